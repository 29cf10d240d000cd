package rules

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/types"
	"github.com/nirnay/nirnay"
)

// Compiled is a policy version in executable form: every rule and offer
// expression parsed, type-checked, cost-checked and planned once. It is
// immutable and safe for concurrent use.
type Compiled struct {
	Policy  *Policy
	Env     *Env
	Rules   []CompiledRule // file order
	Offer   []CompiledExpr // file order
	rank    map[nirnay.Outcome]int
	maxCost uint64
	reads   []int
}

// Reads lists the catalog slots any rule or offer expression reads,
// ascending. The caller must not modify it.
func (c *Compiled) Reads() []int { return c.reads }

// CompiledRule is one rule's program and the feature slots it reads.
type CompiledRule struct {
	Rule    *Rule
	Program cel.Program
	Reads   []int  // catalog slots the expression references, ascending
	Cost    uint64 // estimated worst-case cost
}

// CompiledExpr is one offer field's program.
type CompiledExpr struct {
	Name    string
	Program cel.Program
	Reads   []int
	Cost    uint64
}

// Rank is an outcome's place in the policy's precedence (0 is highest);
// outcomes not listed rank after all listed ones.
func (c *Compiled) Rank(outcome nirnay.Outcome) int {
	if r, ok := c.rank[outcome]; ok {
		return r
	}
	return len(c.rank)
}

// MaxCost is the largest estimated cost among the policy's expressions.
func (c *Compiled) MaxCost() uint64 { return c.maxCost }

// Integer offer fields: they must type-check to int (or dyn, checked when
// evaluated). limit is whole rupees.
var intOfferFields = []string{"limit", "annual_rate_bps", "tenure_months"}

// Compile type-checks and plans every expression of p against the
// environment. Errors (bad CEL, unknown features, a rule that is not bool,
// an offer field of the wrong type, an expression over the cost ceiling)
// are all reported as an ErrorList naming file, line and field.
func (e *Env) Compile(p *Policy) (*Compiled, error) {
	c := &Compiled{Policy: p, Env: e, rank: make(map[nirnay.Outcome]int, len(p.Precedence))}
	for i, o := range p.Precedence {
		c.rank[o] = i
	}
	var errs ErrorList
	c.Rules = make([]CompiledRule, len(p.Rules))
	for i := range p.Rules {
		r := &p.Rules[i]
		field := "rules[" + r.ID + "].when"
		if r.ID == "" {
			field = fmt.Sprintf("rules[%d].when", i)
		}
		line, col := r.WhenLine, r.WhenCol
		if line == 0 {
			line, col = r.Line, 1
		}
		prg, reads, est, ok := e.compileExpr(&errs, p.File, line, col, field, r.When, func(t *cel.Type) string {
			if t.IsExactType(types.BoolType) || t.IsExactType(types.DynType) {
				return ""
			}
			return "must be bool, is " + t.String()
		})
		c.Rules[i] = CompiledRule{Rule: r, Program: prg, Reads: reads, Cost: est}
		if ok {
			c.maxCost = max(c.maxCost, est)
		}
	}
	for _, of := range p.Offer {
		want := func(t *cel.Type) string {
			if slices.Contains(intOfferFields, of.Name) {
				if t.IsExactType(types.IntType) || t.IsExactType(types.DynType) {
					return ""
				}
				return "must be int, is " + t.String() + " (wrap it in int(...))"
			}
			for _, ok := range []*cel.Type{types.IntType, types.DoubleType, types.StringType, types.BoolType, types.UintType, types.DynType} {
				if t.IsExactType(ok) {
					return ""
				}
			}
			return "must be int, double, string or bool, is " + t.String()
		}
		prg, reads, est, ok := e.compileExpr(&errs, p.File, of.Line, 1, "offer."+of.Name, of.Expr, want)
		c.Offer = append(c.Offer, CompiledExpr{Name: of.Name, Program: prg, Reads: reads, Cost: est})
		if ok {
			c.maxCost = max(c.maxCost, est)
		}
	}
	e.checkTests(&errs, p)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	for i := range c.Rules {
		c.reads = append(c.reads, c.Rules[i].Reads...)
	}
	for i := range c.Offer {
		c.reads = append(c.reads, c.Offer[i].Reads...)
	}
	slices.Sort(c.reads)
	c.reads = slices.Compact(c.reads)
	return c, nil
}

// compileExpr parses, checks unknown features, type-checks (typeErr returns
// "" when the output type is acceptable), cost-checks and plans one
// expression.
func (e *Env) compileExpr(errs *ErrorList, file string, line, col int, field, src string, typeErr func(*cel.Type) string) (cel.Program, []int, uint64, bool) {
	if strings.TrimSpace(src) == "" {
		errs.add(file, line, field, "expression is empty")
		return nil, nil, 0, false
	}
	parsed, iss := e.cel.Parse(src)
	if iss.Err() != nil {
		celErrors(errs, file, line, col, field, iss)
		return nil, nil, 0, false
	}
	if unknown := e.unknownFeatures(parsed.NativeRep()); len(unknown) > 0 {
		errs.add(file, line, field, "unknown feature %s (not in catalog %s)", strings.Join(unknown, ", "), e.Catalog.File)
		return nil, nil, 0, false
	}
	checked, iss := e.cel.Check(parsed)
	if iss.Err() != nil {
		celErrors(errs, file, line, col, field, iss)
		return nil, nil, 0, false
	}
	if msg := typeErr(checked.OutputType()); msg != "" {
		errs.add(file, line, field, "%s", msg)
		return nil, nil, 0, false
	}
	est, err := e.cel.EstimateCost(checked, estimator{cat: e.Catalog, limits: e.limits})
	if err != nil {
		errs.add(file, line, field, "cost estimate: %v", err)
		return nil, nil, 0, false
	}
	if est.Max > e.limits.MaxCost {
		errs.add(file, line, field, "estimated cost %d exceeds the ceiling %d", est.Max, e.limits.MaxCost)
		return nil, nil, 0, false
	}
	prg, err := e.cel.Program(checked, cel.EvalOptions(cel.OptOptimize))
	if err != nil {
		errs.add(file, line, field, "plan: %v", strings.ReplaceAll(err.Error(), "\n", " "))
		return nil, nil, 0, false
	}
	return prg, e.reads(checked.NativeRep()), est.Max, true
}

// unknownFeatures finds f.<name> selections whose name is not in the
// catalog, so the analyst reads "unknown feature x" rather than a CEL
// "undeclared reference".
func (e *Env) unknownFeatures(a *ast.AST) []string {
	var out []string
	ast.PreOrderVisit(a.Expr(), ast.NewExprVisitor(func(x ast.Expr) {
		if x.Kind() != ast.SelectKind {
			return
		}
		sel := x.AsSelect()
		if sel.Operand().Kind() == ast.IdentKind && sel.Operand().AsIdent() == "f" {
			if _, ok := e.Catalog.Lookup(sel.FieldName()); !ok && !slices.Contains(out, sel.FieldName()) {
				out = append(out, sel.FieldName())
			}
		}
	}))
	return out
}

// reads lists the catalog slots a checked expression references.
func (e *Env) reads(a *ast.AST) []int {
	var out []int
	for _, ref := range a.ReferenceMap() {
		if slot, ok := e.Catalog.SlotOfVar(ref.Name); ok && !slices.Contains(out, slot) {
			out = append(out, slot)
		}
	}
	slices.Sort(out)
	return out
}

// CompileSource parses and compiles one policy source named name. When
// parsing finds problems the expressions are still compiled, so every
// problem comes back at once as one ErrorList, with the problems each of
// checks (what a policy names beyond the catalog) finds.
func (e *Env) CompileSource(name string, data []byte, checks ...func(*Policy) ErrorList) (*Compiled, error) {
	p, perr := ParsePolicy(name, data)
	if p == nil {
		return nil, perr
	}
	c, cerr := e.Compile(p)
	errs, failed := []error{perr, cerr}, perr != nil
	for _, check := range checks {
		err := check(p).Err()
		errs, failed = append(errs, err), failed || err != nil
	}
	if !failed {
		return c, cerr
	}
	var all ErrorList
	for _, err := range errs {
		var list ErrorList
		if errors.As(err, &list) {
			all = append(all, list...)
		} else if err != nil {
			return nil, errors.Join(errs...)
		}
	}
	return nil, all.Err()
}

// CompileExpr compiles a standalone boolean expression against the
// environment (for tools and benchmarks), with the same checks as a rule.
func (e *Env) CompileExpr(src string) (cel.Program, error) {
	var errs ErrorList
	prg, _, _, _ := e.compileExpr(&errs, "<expr>", 1, 1, "when", src, func(t *cel.Type) string {
		if t.IsExactType(types.BoolType) {
			return ""
		}
		return "must be bool, is " + t.String()
	})
	return prg, errs.Err()
}

// checkTests validates test feature values against the catalog so a typo
// fails at load with its line, not as a confusing test failure.
func (e *Env) checkTests(errs *ErrorList, p *Policy) {
	for i := range p.Tests {
		t := &p.Tests[i]
		names := make([]string, 0, len(t.Features))
		for name := range t.Features {
			names = append(names, name)
		}
		slices.Sort(names)
		for _, name := range names {
			field := fmt.Sprintf("tests[%d].features.%s", i, name)
			f, ok := e.Catalog.Lookup(name)
			if !ok {
				errs.add(p.File, t.FeatureLines[name], field, "unknown feature %q (not in catalog %s)", name, e.Catalog.File)
				continue
			}
			if v := t.Features[name]; v != nil {
				if _, err := CoerceValue(f.Type, v); err != nil {
					errs.add(p.File, t.FeatureLines[name], field, "%v", err)
				}
			}
		}
	}
}
