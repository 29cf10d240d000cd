package features

import (
	"context"
	"fmt"
	"time"

	"cel.dev/cel-go/common/types/ref"
)

// HistoryReader reads an entity's values as they were at a past time.
// LocalStore satisfies it (from its feature_history table).
type HistoryReader interface {
	ReadAsOf(ctx context.Context, key EntityKey, t time.Time) ([]Entry, error)
}

// AsOf serves vectors as they were at each request's Now, for the
// simulator and decision-log replay: every stored feature takes the latest
// value written with an as-of time at or before Now (so max_age is judged
// as it was then), aggregates take their windows ending at Now as far as
// their state is still retained, and derived and request features are
// computed as usual. It satisfies the engine's FeatureSource and is safe
// for concurrent use. Unlike Source it has no cache and no deadline, and a
// store error is returned (a replay must not silently run on missing data).
type AsOf struct {
	b  *Builder
	h  HistoryReader
	es entitySlots
}

// NewAsOf returns a point-in-time source over h for b's catalog.
func NewAsOf(b *Builder, h HistoryReader) *AsOf {
	return &AsOf{b: b, h: h, es: slotsOf(b.Catalog())}
}

// Vector returns the vector of req's entities as of req.Now.
func (a *AsOf) Vector(ctx context.Context, req Request) (*Vector, error) {
	if req.Now.IsZero() {
		return nil, fmt.Errorf("as-of vector: the request has no time")
	}
	n := a.b.cat.Len()
	v := &Vector{b: a.b, vals: make([]ref.Val, n), asOf: make([]int64, n)}
	for i, id := range a.es.idsOf(req) {
		if id == "" {
			continue
		}
		e := decisionEntities[i]
		entries, err := a.h.ReadAsOf(ctx, EntityKey{Entity: e, ID: id}, req.Now)
		if err != nil {
			return nil, fmt.Errorf("as-of vector of %s:%s at %s: %w", e, id, req.Now.Format(time.RFC3339), err)
		}
		for _, en := range entries {
			v.vals[en.Slot], v.asOf[en.Slot] = en.Val, en.AsOf
		}
	}
	a.b.computeDerived(v, req.Now.UnixNano(), false)
	return v.WithInput(req.Input, req.Now)
}
