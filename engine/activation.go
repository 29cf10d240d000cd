package engine

import (
	"cel.dev/cel-go/common/functions"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

// Lists answers in_list(name, value) over managed block/allow lists. The
// engine asks it during evaluation; it must be safe for concurrent use.
type Lists interface {
	// Contains reports whether value is on the named list. An error makes
	// the calling rule error (RULE_ERROR).
	Contains(list, value string) (bool, error)
}

// StaticLists is an in-memory Lists: list name → entries. A list it does
// not hold is empty.
type StaticLists map[string][]string

// Contains implements Lists.
func (s StaticLists) Contains(list, value string) (bool, error) {
	for _, v := range s[list] {
		if v == value {
			return true, nil
		}
	}
	return false, nil
}

// activation resolves CEL names for one evaluation straight from the
// vector's slots: no map is built per decision.
type activation struct {
	cat    *rules.Catalog
	vec    *features.Vector
	now    int64
	nowVal ref.Val
	input  ref.Val
	lists  Lists
	inList functions.LateBoundOp
}

var emptyInput = types.NewStringInterfaceMap(types.DefaultTypeAdapter, map[string]any{})

func newActivation(vec *features.Vector, in *Inputs) *activation {
	a := &activation{
		cat:    vec.Catalog(),
		vec:    vec,
		now:    in.Now.UnixNano(),
		nowVal: types.Timestamp{Time: in.Now},
		input:  emptyInput,
		lists:  in.Lists,
	}
	if in.Input != nil {
		a.input = types.NewStringInterfaceMap(types.DefaultTypeAdapter, in.Input)
	}
	a.inList = a.callInList
	return a
}

// ResolveName implements interpreter.Activation. A missing or stale feature
// without a default is not found, so a rule reading it errors.
func (a *activation) ResolveName(name string) (any, bool) {
	switch name {
	case rules.VarInput:
		return a.input, true
	case rules.VarNow:
		return a.nowVal, true
	}
	slot, ok := a.cat.SlotOfVar(name)
	if !ok {
		return nil, false
	}
	v, ok := a.vec.Lookup(slot, a.now)
	if !ok {
		return nil, false
	}
	return v, true
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }

// ResolveFunction supplies the late-bound in_list.
func (a *activation) ResolveFunction(name string) (functions.LateBoundOp, bool) {
	if name == rules.FuncInList {
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
	in, err := a.lists.Contains(string(list), string(value))
	if err != nil {
		return types.NewErr("in_list(%q): %v", string(list), err)
	}
	return types.Bool(in)
}
