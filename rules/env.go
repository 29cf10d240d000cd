package rules

import (
	"fmt"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
	"cel.dev/cel-go/ext"
)

// Limits bound what a compiled expression may cost. The cost is estimated
// statically at compile time from the type-checked expression (never
// tracked at run time, which would slow every evaluation).
type Limits struct {
	MaxCost       uint64 // ceiling on the estimated worst-case cost of one expression
	MaxListSize   uint64 // assumed largest list<string> feature or input list
	MaxStringSize uint64 // assumed longest string feature or input string
}

// DefaultLimits are used when a zero Limits is given.
var DefaultLimits = Limits{MaxCost: 100_000, MaxListSize: 1_000, MaxStringSize: 1_024}

// Names of the CEL variables and functions beyond standard CEL.
const (
	VarInput   = "input"
	VarNow     = "now"
	FuncInList = "in_list"
	// FuncListContains is the late-bound function in_list(name, value)
	// expands to when parsed. It must not be named in_list itself: cel-go
	// dispatches a function by its name and by its overload ids in one
	// table, and "in_list" is the overload id of the standard `in` over
	// lists, so a function of that name would take over every `x in list`.
	FuncListContains = "nirnay.in_list"
)

// Env is the CEL environment of one catalog: f.<name> typed per the
// catalog, input as map(string, dyn), now as a timestamp, in_list(name,
// value) (bound late, per evaluation, to the managed lists), min(list) and
// max(list) of ints or doubles, and the CEL strings extension. Build it once
// per catalog; it is safe for concurrent use.
type Env struct {
	Catalog *Catalog
	limits  Limits
	cel     *cel.Env
}

// NewEnv builds the environment of a catalog. A zero Limits means
// DefaultLimits.
func NewEnv(cat *Catalog, limits Limits) (*Env, error) {
	if limits == (Limits{}) {
		limits = DefaultLimits
	}
	opts := []cel.EnvOption{
		cel.Variable(VarInput, cel.MapType(cel.StringType, cel.DynType)),
		cel.Variable(VarNow, cel.TimestampType),
		cel.Macros(cel.GlobalMacro(FuncInList, 2, expandInList)),
		cel.Function(FuncListContains,
			cel.Overload("nirnay_in_list_string_string", []*cel.Type{cel.StringType, cel.StringType}, cel.BoolType,
				cel.LateFunctionBinding())),
		cel.Function("min",
			cel.Overload("min_list_int", []*cel.Type{cel.ListType(cel.IntType)}, cel.IntType),
			cel.Overload("min_list_double", []*cel.Type{cel.ListType(cel.DoubleType)}, cel.DoubleType),
			cel.SingletonUnaryBinding(func(v ref.Val) ref.Val { return extreme(v, types.IntNegOne) })),
		cel.Function("max",
			cel.Overload("max_list_int", []*cel.Type{cel.ListType(cel.IntType)}, cel.IntType),
			cel.Overload("max_list_double", []*cel.Type{cel.ListType(cel.DoubleType)}, cel.DoubleType),
			cel.SingletonUnaryBinding(func(v ref.Val) ref.Val { return extreme(v, types.IntOne) })),
		ext.Strings(),
	}
	for _, f := range cat.Features {
		opts = append(opts, cel.Variable("f."+f.Name, CELType(f.Type)))
	}
	env, err := cel.NewEnv(opts...)
	if err != nil {
		return nil, fmt.Errorf("build CEL environment: %w", err)
	}
	return &Env{Catalog: cat, limits: limits, cel: env}, nil
}

// CEL returns the underlying cel-go environment (for tools and benchmarks).
func (e *Env) CEL() *cel.Env { return e.cel }

// CELType is the CEL type of a feature type.
func CELType(t FeatureType) *cel.Type {
	switch t {
	case TypeInt:
		return cel.IntType
	case TypeDouble:
		return cel.DoubleType
	case TypeString:
		return cel.StringType
	case TypeBool:
		return cel.BoolType
	case TypeTimestamp:
		return cel.TimestampType
	case TypeStringList:
		return cel.ListType(cel.StringType)
	}
	return cel.DynType
}

// extreme returns the smallest (want = -1) or largest (want = 1) element
// of a non-empty numeric list; an empty list or a non-numeric element is an
// error.
func extreme(v ref.Val, want types.Int) ref.Val {
	l, ok := v.(traits.Lister)
	if !ok {
		return types.NewErr("min/max: want a list, got %s", v.Type().TypeName())
	}
	size, _ := l.Size().(types.Int)
	if size == 0 {
		return types.NewErr("min/max of an empty list")
	}
	best := l.Get(types.Int(0))
	for i := types.Int(0); i < size; i++ {
		e := l.Get(i)
		if _, ok := e.(traits.Comparer); !ok || !isNumber(e) {
			return types.NewErr("min/max: element %d is %s, not a number", i, e.Type().TypeName())
		}
		if c, ok := e.(traits.Comparer).Compare(best).(types.Int); ok && c == want {
			best = e
		}
	}
	return best
}

func isNumber(v ref.Val) bool {
	switch v.(type) {
	case types.Int, types.Double, types.Uint:
		return true
	}
	return false
}

// estimator gives the static cost check sizes for features and input.
type estimator struct {
	cat    *Catalog
	limits Limits
}

func (e estimator) EstimateSize(n cost.AstNode) *cost.SizeEstimate {
	path := n.Path()
	if len(path) == 0 {
		return nil
	}
	root := path[0]
	if _, ok := e.cat.SlotOfVar(root); !ok && root != VarInput {
		return nil
	}
	switch n.Type().Kind() {
	case types.StringKind, types.BytesKind:
		return &cost.SizeEstimate{Min: 0, Max: e.limits.MaxStringSize}
	case types.ListKind, types.MapKind, types.DynKind:
		return &cost.SizeEstimate{Min: 0, Max: e.limits.MaxListSize}
	}
	return nil
}

func (e estimator) EstimateCallCost(function, _ string, _ *cost.AstNode, args []cost.AstNode) *cost.CallEstimate {
	switch function {
	case FuncListContains:
		return &cost.CallEstimate{CostEstimate: cost.Estimate{Min: 1, Max: 1}}
	case "min", "max":
		return &cost.CallEstimate{CostEstimate: cost.Estimate{Min: 1, Max: e.limits.MaxListSize}}
	}
	return nil
}

// expandInList rewrites in_list(name, value) to the late-bound
// FuncListContains(name, value) at parse time.
func expandInList(eh cel.MacroExprFactory, _ celast.Expr, args []celast.Expr) (celast.Expr, *common.Error) {
	return eh.NewCall(FuncListContains, args...), nil
}

// celErrors turns CEL issues into Errors positioned in the policy file.
func celErrors(errs *ErrorList, file string, line, col int, field string, iss *cel.Issues) {
	for _, e := range iss.Errors() {
		l, c := line, col
		if e.Location != nil && e.Location.Line() > 0 {
			l = line + e.Location.Line() - 1
			if e.Location.Line() == 1 {
				c = col + e.Location.Column()
			} else {
				c = e.Location.Column() + 1
			}
		}
		msg := strings.ReplaceAll(e.Message, "\n", " ")
		errs.add(file, l, field, "%s (column %d)", msg, c)
	}
}
