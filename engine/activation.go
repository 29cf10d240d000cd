package engine

import (
	"sync"
	"time"

	"cel.dev/cel-go/common/functions"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

// Lists answers in_list(name, value) over managed block/allow lists. The
// engine asks it during evaluation, with the decision time; it must be safe
// for concurrent use.
type Lists interface {
	// Contains reports whether value is on the named list at time at (the
	// decision's now: live decisions ask about the present, replays about
	// the past, and an entry that has expired by then is not on the list).
	// An error makes the calling rule error (RULE_ERROR).
	Contains(list, value string, at time.Time) (bool, error)
}

// StaticLists is an in-memory Lists: list name → entries. A list it does
// not hold is empty.
type StaticLists map[string][]string

// Contains implements Lists.
func (s StaticLists) Contains(list, value string, _ time.Time) (bool, error) {
	for _, v := range s[list] {
		if v == value {
			return true, nil
		}
	}
	return false, nil
}

// activation resolves CEL names for one evaluation straight from the
// vector's slots: no map is built per decision, and `now` and `input` are
// converted to CEL only when a rule reads them. Activations are pooled:
// one is used by one goroutine for one Evaluate, then released.
type activation struct {
	vars   *varSlots
	vec    *features.Vector
	now    int64
	nowT   time.Time
	nowVal ref.Val // nil until `now` is read
	in     map[string]any
	input  ref.Val // nil until `input` is read
	lists  Lists
	inList functions.LateBoundOp // bound to this activation once, when pooled
}

var emptyInput = types.NewStringInterfaceMap(types.DefaultTypeAdapter, map[string]any{})

var activations = sync.Pool{New: func() any {
	a := &activation{}
	a.inList = a.callInList
	return a
}}

func newActivation(vec *features.Vector, in *Inputs) *activation {
	a := activations.Get().(*activation)
	a.vars = varSlotsOf(vec.Catalog())
	a.vec = vec
	a.now, a.nowT = in.Now.UnixNano(), in.Now
	a.in = in.Input
	a.lists = in.Lists
	return a
}

// release returns a to the pool; it must not be used afterwards.
func (a *activation) release() {
	inList := a.inList
	*a = activation{inList: inList}
	activations.Put(a)
}

// ResolveName implements interpreter.Activation. A missing or stale feature
// without a default is not found, so a rule reading it errors.
func (a *activation) ResolveName(name string) (any, bool) {
	if slot, ok := a.vars.slot(name); ok {
		return a.vec.Lookup(slot, a.now)
	}
	switch name {
	case rules.VarInput:
		if a.input == nil {
			a.input = emptyInput
			if a.in != nil {
				a.input = types.NewStringInterfaceMap(types.DefaultTypeAdapter, a.in)
			}
		}
		return a.input, true
	case rules.VarNow:
		if a.nowVal == nil {
			a.nowVal = types.Timestamp{Time: a.nowT}
		}
		return a.nowVal, true
	}
	return nil, false
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }

// ResolveFunction supplies the late-bound in_list.
func (a *activation) ResolveFunction(name string) (functions.LateBoundOp, bool) {
	if name == rules.FuncListContains {
		return a.inList, true
	}
	return nil, false
}

func (a *activation) callInList(_ string, args ...ref.Val) ref.Val {
	if len(args) != 2 {
		return types.NewErr("in_list takes (list name, value)")
	}
	list, ok1 := args[0].(types.String)
	value, ok2 := args[1].(types.String)
	if !ok1 || !ok2 {
		return types.NewErr("in_list takes two strings")
	}
	if a.lists == nil {
		return types.False
	}
	in, err := a.lists.Contains(string(list), string(value), a.nowT)
	if err != nil {
		return types.NewErr("in_list(%q): %v", string(list), err)
	}
	return types.Bool(in)
}
