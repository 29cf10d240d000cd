package features

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm"

	"github.com/nirnay/nirnay/rules"
)

// derived is one compiled source: derived formula.
type derived struct {
	slot      int
	prog      *vm.Program
	deps      []int // slots the formula reads
	onRequest bool  // depends, directly or not, on a request feature
}

// compileDerived compiles every derived formula once, against an expr-lang
// environment typed by the catalog, and orders them so a formula runs after
// the derived features it reads. Cycles and unknown names are errors.
func (b *Builder) compileDerived() error {
	cat := b.cat
	env := make(map[string]any, cat.Len())
	for _, f := range cat.Features {
		env[f.Name] = zeroOf(f.Type)
	}
	byslot := map[int]*derived{}
	for i := range cat.Features {
		f := &cat.Features[i]
		if f.Source != rules.SourceDerived {
			continue
		}
		prog, err := expr.Compile(f.Expr, expr.Env(env))
		if err != nil {
			return fmt.Errorf("%s:%d: features[%s].expr: %v", cat.File, f.Line, f.Name, oneLine(err.Error()))
		}
		d := &derived{slot: i, prog: prog}
		node := prog.Node()
		ast.Walk(&node, identVisitor(func(name string) {
			if g, ok := cat.Lookup(name); ok && !slices.Contains(d.deps, g.Slot) {
				d.deps = append(d.deps, g.Slot)
			}
		}))
		byslot[i] = d
	}
	// Topological order by depth-first search.
	state := map[int]int{} // 1 visiting, 2 done
	var visit func(slot int) error
	visit = func(slot int) error {
		d, ok := byslot[slot]
		if !ok {
			return nil
		}
		switch state[slot] {
		case 1:
			return fmt.Errorf("%s:%d: features[%s].expr: derived features form a cycle", cat.File, cat.Features[slot].Line, cat.Features[slot].Name)
		case 2:
			return nil
		}
		state[slot] = 1
		for _, dep := range d.deps {
			if err := visit(dep); err != nil {
				return err
			}
			if cat.Features[dep].Source == rules.SourceRequest || (byslot[dep] != nil && byslot[dep].onRequest) {
				d.onRequest = true
			}
		}
		state[slot] = 2
		b.derived = append(b.derived, *d)
		return nil
	}
	for i := range cat.Features {
		if err := visit(i); err != nil {
			return err
		}
	}
	return nil
}

type identVisitor func(string)

func (v identVisitor) Visit(n *ast.Node) {
	if id, ok := (*n).(*ast.IdentifierNode); ok {
		v(id.Value)
	}
}

func oneLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}

func zeroOf(t rules.FeatureType) any {
	switch t {
	case rules.TypeInt:
		return 0
	case rules.TypeDouble:
		return 0.0
	case rules.TypeString:
		return ""
	case rules.TypeBool:
		return false
	case rules.TypeTimestamp:
		return time.Time{}
	case rules.TypeStringList:
		return []string{}
	}
	return nil
}

// computeDerived fills derived slots that have no value. With onlyRequest
// it computes only the formulas that depend on request features, writing
// them to v's overlay (v must have one). A formula whose inputs are
// missing, that fails, or that gives a non-finite or mistyped result
// leaves the slot missing; it never panics.
func (b *Builder) computeDerived(v *Vector, nowNanos int64, onlyRequest bool) {
	if len(b.derived) == 0 {
		return
	}
	var run *derivedRun
	n := len(b.derived)
	if onlyRequest {
		n = len(b.reqDerived)
	}
	for k := 0; k < n; k++ {
		d := &b.derived[k]
		if onlyRequest {
			d = &b.derived[b.reqDerived[k]]
		}
		if cur, _ := v.raw(d.slot); cur != nil {
			continue
		}
		if run == nil {
			run = derivedRuns.Get().(*derivedRun)
		}
		oldest := nowNanos
		ok := true
		for _, dep := range d.deps {
			val, found := v.Lookup(dep, nowNanos)
			if !found {
				ok = false
				break
			}
			run.env[b.cat.Features[dep].Name] = exprValue(val)
			if stored, at := v.raw(dep); stored != nil && at < oldest {
				oldest = at
			}
		}
		if !ok {
			continue
		}
		out, err := run.vm.Run(d.prog, run.env) // recovers a formula's panic as an error
		if err != nil {
			continue
		}
		val, err := coerceDerived(b.cat.Features[d.slot].Type, out)
		if err != nil {
			continue
		}
		if onlyRequest {
			v.ov[b.ovIdx[d.slot]] = overlaid{val: toVal(val), asOf: oldest}
		} else {
			v.vals[d.slot] = toVal(val)
			v.asOf[d.slot] = oldest
		}
	}
	if run != nil {
		run.release()
	}
}

// derivedRun is the scratch space of one computeDerived call: the
// expr-lang environment (formula inputs by name) and a machine to run the
// formulas on (it resets itself at every run). It is pooled, so a call
// builds no map; one goroutine uses it at a time, and release clears the
// environment before it goes back to the pool.
type derivedRun struct {
	env map[string]any
	vm  vm.VM
}

var derivedRuns = sync.Pool{New: func() any { return &derivedRun{env: make(map[string]any, 8)} }}

func (r *derivedRun) release() {
	clear(r.env)
	derivedRuns.Put(r)
}

// exprValue converts a CEL value to what expr-lang computes with (int, not
// int64, so arithmetic mixes freely).
func exprValue(v ref.Val) any {
	switch x := v.(type) {
	case types.Int:
		return int(x)
	case types.Double:
		return float64(x)
	case types.String:
		return string(x)
	case types.Bool:
		return bool(x)
	}
	return v.Value()
}

// coerceDerived converts a formula's result to the feature's type. A float
// result of an int feature is truncated toward zero; NaN and ±Inf (such
// as a division by zero) are errors.
func coerceDerived(t rules.FeatureType, out any) (any, error) {
	if f, ok := out.(float64); ok {
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("non-finite result")
		}
		if t == rules.TypeInt {
			return int64(math.Trunc(f)), nil
		}
	}
	if n, ok := out.(int); ok {
		out = int64(n)
	}
	return rules.CoerceValue(t, out)
}
