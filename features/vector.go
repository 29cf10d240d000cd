// Package features holds Nirnay's feature vectors: typed values per catalog
// slot, with their as-of times, built once and read by the engine without
// allocation. Online stores and caches produce Vectors through Builder.
package features

import (
	"fmt"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/rules"
)

// Vector is one entity's feature values, one slot per catalog feature, each
// converted once to its CEL value, with the time it was observed. A Vector
// is immutable after it is built and safe for concurrent use; build it once
// and reuse it. A decision's request features are an overlay (see
// WithInput): the base slots are shared, never copied.
type Vector struct {
	b    *Builder
	vals []ref.Val // nil: no value
	asOf []int64   // unix nanoseconds the value was observed
	// ov, when not nil, overrides the overlay slots (request features and
	// the derived features that depend on them), indexed by b.ovIdx; an
	// entry without a value leaves the base slot in effect.
	ov []overlaid
	// fromMemory: some stored values were taken from memory because the
	// store could not be read (see Source); Observe marks them Stale.
	fromMemory bool
}

// overlaid is one overlay slot's value.
type overlaid struct {
	val  ref.Val // nil: the base slot applies
	asOf int64
}

// raw is a slot's stored value (nil when none) and its as-of time, the
// overlay first.
func (v *Vector) raw(slot int) (ref.Val, int64) {
	if v.ov != nil {
		if i := v.b.ovIdx[slot]; i >= 0 && v.ov[i].val != nil {
			return v.ov[i].val, v.ov[i].asOf
		}
	}
	return v.vals[slot], v.asOf[slot]
}

// Catalog is the catalog the vector was built against.
func (v *Vector) Catalog() *rules.Catalog { return v.b.cat }

// Lookup returns the value of a slot as of now: the stored value unless it
// is absent or older than the feature's max_age, else the catalog default,
// else not found. nowNanos is now in unix nanoseconds.
func (v *Vector) Lookup(slot int, nowNanos int64) (ref.Val, bool) {
	val, at := v.raw(slot)
	if val != nil {
		if max := v.b.maxAge[slot]; max == 0 || nowNanos-at <= max {
			return val, true
		}
	}
	if d := v.b.defaults[slot]; d != nil {
		return d, true
	}
	return nil, false
}

// State says where a feature's value came from.
type State string

// States of a feature value.
const (
	Present State = "present" // stored and fresh
	Default State = "default" // absent or stale; the catalog default was used
	Stale   State = "stale"   // older than max_age and no default: missing; or, with a value, held in memory while the store could not be read
	Missing State = "missing" // no value and no default
)

// Observation is one feature's value as a decision saw it.
type Observation struct {
	Name  string
	Value any           // int64, float64, string, bool, time.Time, []string; nil when missing
	Age   time.Duration // now minus the as-of time (0 for defaults and missing)
	State State
}

// Observe reports a slot's value, age and state as of now.
func (v *Vector) Observe(slot int, now time.Time) Observation {
	f := &v.b.cat.Features[slot]
	o := Observation{Name: f.Name, State: Missing}
	if val, at := v.raw(slot); val != nil {
		age := time.Duration(now.UnixNano() - at)
		if max := v.b.maxAge[slot]; max == 0 || int64(age) <= max {
			o.Value, o.Age, o.State = val.Value(), age, Present
			if v.fromMemory && v.b.ovIdx[slot] < 0 {
				o.State = Stale
			}
			return o
		}
		o.State = Stale
	}
	if f.Default != nil {
		o.Value, o.State = f.Default, Default
	}
	return o
}

// Observed is a value with the time it was observed.
type Observed struct {
	Value any
	AsOf  time.Time
}

// Builder turns plain values into Vectors for one catalog: it validates
// types, computes derived features (expr-lang formulas compiled once) and
// takes request features from a request's input. Safe for concurrent use.
type Builder struct {
	cat      *rules.Catalog
	defaults []ref.Val
	maxAge   []int64
	request  []int // slots of source: request features
	perStep  []int // slots of per_step features (rules.Feature.PerStep)
	derived  []derived
	// reqDerived indexes the derived formulas that depend, directly or
	// not, on request features (in derived's order).
	reqDerived []int
	// ovIdx maps a slot to its place in a Vector's overlay: request
	// features and reqDerived formulas' slots; -1 for every other slot.
	ovIdx []int
	nOv   int
}

// NewBuilder prepares a builder for cat, compiling its derived formulas.
func NewBuilder(cat *rules.Catalog) (*Builder, error) {
	b := &Builder{
		cat:      cat,
		defaults: make([]ref.Val, cat.Len()),
		maxAge:   make([]int64, cat.Len()),
	}
	for i := range cat.Features {
		f := &cat.Features[i]
		if f.Default != nil {
			b.defaults[i] = toVal(f.Default)
		}
		b.maxAge[i] = int64(f.MaxAge)
		if f.Source == rules.SourceRequest {
			b.request = append(b.request, i)
		}
		if f.PerStep {
			b.perStep = append(b.perStep, i)
		}
	}
	if err := b.compileDerived(); err != nil {
		return nil, err
	}
	b.ovIdx = make([]int, cat.Len())
	for i := range b.ovIdx {
		b.ovIdx[i] = -1
	}
	for _, slot := range b.request {
		b.ovIdx[slot] = b.nOv
		b.nOv++
	}
	for _, slot := range b.perStep {
		b.ovIdx[slot] = b.nOv
		b.nOv++
	}
	for i := range b.derived {
		if d := &b.derived[i]; d.onRequest {
			b.reqDerived = append(b.reqDerived, i)
			b.ovIdx[d.slot] = b.nOv
			b.nOv++
		}
	}
	return b, nil
}

// Catalog is the builder's catalog.
func (b *Builder) Catalog() *rules.Catalog { return b.cat }

// Build makes a vector from feature name → value, all observed at asOf
// (values given directly are fresh as of the decision time). Unknown names
// and values of the wrong type are errors naming the feature.
func (b *Builder) Build(values map[string]any, asOf time.Time) (*Vector, error) {
	obs := make(map[string]Observed, len(values))
	for k, v := range values {
		obs[k] = Observed{Value: v, AsOf: asOf}
	}
	return b.BuildObserved(obs, asOf)
}

// BuildObserved makes a vector from values with their own as-of times.
// Derived features not given are computed as of computedAt; a derived
// formula that fails (a missing input, division by zero) leaves the
// feature missing.
func (b *Builder) BuildObserved(values map[string]Observed, computedAt time.Time) (*Vector, error) {
	v := &Vector{b: b, vals: make([]ref.Val, b.cat.Len()), asOf: make([]int64, b.cat.Len())}
	for name, o := range values {
		f, ok := b.cat.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("feature %q is not in the catalog", name)
		}
		if o.Value == nil {
			continue
		}
		val, err := rules.CoerceValue(f.Type, o.Value)
		if err != nil {
			return nil, fmt.Errorf("feature %q: %w", name, err)
		}
		v.vals[f.Slot] = toVal(val)
		v.asOf[f.Slot] = o.AsOf.UnixNano()
	}
	b.computeDerived(v, computedAt.UnixNano(), false)
	return v, nil
}

// WithInput returns the vector with the request features taken from a
// decision's input (by feature name), observed at now, and the derived
// features that depend on them computed where v has no value for them.
// When input holds no request feature it returns v itself. The result
// shares v's slots and overlays only the request features and their
// dependent derived features, so v is never copied or modified. A request
// value of the wrong type is an error naming the feature.
func (v *Vector) WithInput(input map[string]any, now time.Time) (*Vector, error) {
	b := v.b
	if len(b.request) == 0 || len(input) == 0 {
		return v, nil
	}
	var nv *Vector
	nowNanos := now.UnixNano()
	for _, slot := range b.request {
		f := &b.cat.Features[slot]
		raw, ok := input[f.Name]
		if !ok || raw == nil {
			continue
		}
		val, err := rules.CoerceValue(f.Type, raw)
		if err != nil {
			return nil, nirnay.FieldError("input."+f.Name, "%v", err)
		}
		if nv == nil {
			nv = &Vector{b: b, vals: v.vals, asOf: v.asOf, ov: make([]overlaid, b.nOv), fromMemory: v.fromMemory}
			copy(nv.ov, v.ov) // an overlay over an overlay keeps the first one's values
		}
		nv.ov[b.ovIdx[slot]] = overlaid{val: toVal(val), asOf: nowNanos}
	}
	if nv == nil {
		return v, nil
	}
	b.computeDerived(nv, nowNanos, true)
	return nv, nil
}

// ForStep returns the vector as a decision of step reads it: each per_step
// feature (rules.Feature.PerStep) holds only the values stored for that
// step that have not expired at now (rules.PerStepValues), with the stored
// as-of time. When the vector holds no per_step value it returns v itself;
// otherwise v is neither copied nor modified (the result overlays it).
func (v *Vector) ForStep(step string, now time.Time) *Vector {
	var nv *Vector
	for _, slot := range v.b.perStep {
		val, at := v.raw(slot)
		if val == nil {
			continue
		}
		stored, ok := val.Value().([]string)
		if !ok {
			continue
		}
		if nv == nil {
			nv = &Vector{b: v.b, vals: v.vals, asOf: v.asOf, ov: make([]overlaid, v.b.nOv), fromMemory: v.fromMemory}
			copy(nv.ov, v.ov)
		}
		nv.ov[v.b.ovIdx[slot]] = overlaid{val: toVal(rules.PerStepValues(stored, step, now.Unix())), asOf: at}
	}
	if nv == nil {
		return v
	}
	return nv
}

// toVal converts a canonical Go value (see rules.CoerceValue) to CEL.
func toVal(v any) ref.Val {
	switch x := v.(type) {
	case int64:
		return types.Int(x)
	case float64:
		return types.Double(x)
	case string:
		return types.String(x)
	case bool:
		return types.Bool(x)
	case time.Time:
		return types.Timestamp{Time: x}
	case []string:
		return types.NewStringList(types.DefaultTypeAdapter, x)
	}
	return types.DefaultTypeAdapter.NativeToValue(v)
}
