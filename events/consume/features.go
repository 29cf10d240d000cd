package consume

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/nirnay/nirnay/events/apps"
	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

// Aggregator updates windowed aggregates; features.RedisStore and
// features.LocalStore satisfy it. It must skip event ids it has applied.
type Aggregator interface {
	Apply(ctx context.Context, events ...features.Event) error
}

// FeatureWriter stores online feature values; *features.Source satisfies it.
type FeatureWriter interface {
	Write(ctx context.Context, ws ...features.Write) error
}

// Features turns events into aggregate events and online features, one
// handler per event type (eventHandlers); other types are ignored.
// Everything it does is idempotent by event id.
//
// NewFeatures checks the online features the handlers write against the
// feature catalog; a Features built as a literal (tests) is not checked.
type Features struct {
	Agg     Aggregator
	Writer  FeatureWriter
	Signals SignalStore
	Apps    *apps.Mapping // nil: the shipped mapping
	Clock   func() time.Time
}

// NewFeatures returns the features consumer over agg, w and signals once
// every online feature of its event table is checked against cat: each
// must be in cat, online, of the entity its handler writes it for, and an
// int (the handlers write int64 values). Each failure is reported, naming
// the event type and the feature. Apps and Clock keep their defaults.
func NewFeatures(cat *rules.Catalog, agg Aggregator, w FeatureWriter, signals SignalStore) (*Features, error) {
	if cat == nil || agg == nil || w == nil || signals == nil {
		return nil, errors.New("consume: NewFeatures needs a catalog, an aggregator, a writer and a signal store")
	}
	if err := checkHandlers(eventHandlers, cat); err != nil {
		return nil, err
	}
	return &Features{Agg: agg, Writer: w, Signals: signals}, nil
}

// Wants reports whether the features consumer reads events of type t.
func (f *Features) Wants(t string) bool {
	_, ok := eventHandlers[t]
	return ok
}

// Handle processes a batch. Events whose data cannot be read are refused.
func (f *Features) Handle(ctx context.Context, events []ingest.Event) ([]Refusal, error) {
	clock := f.Clock
	if clock == nil {
		clock = time.Now
	}
	b := &batch{apps: f.Apps, touched: map[string]bool{}}
	if b.apps == nil {
		b.apps = apps.Default()
	}
	now := clock()
	var refused []Refusal
	for i := range events {
		if h, ok := eventHandlers[events[i].Type]; ok {
			if reason := h.handle(b, i, &events[i]); reason != "" {
				refused = append(refused, Refusal{Event: events[i], Reason: reason})
			}
		}
	}
	if len(b.aggs) > 0 {
		if err := f.Agg.Apply(ctx, b.aggs...); err != nil {
			var bad features.EventErrors
			if !errors.As(err, &bad) {
				return nil, err
			}
			// The others were applied; refuse the source events of the bad ones.
			done := map[int]bool{}
			for k, e := range bad {
				i := b.aggSrc[k]
				if !done[i] {
					done[i] = true
					refused = append(refused, Refusal{Event: events[i], Reason: "aggregate: " + e.Error()})
				}
			}
		}
	}
	if len(b.signals) > 0 {
		if err := f.Signals.Add(ctx, b.signals, now); err != nil {
			return nil, err
		}
	}
	if err := f.write(ctx, b.writes); err != nil {
		return nil, err
	}
	if len(b.touched) > 0 {
		custs := make([]string, 0, len(b.touched))
		for c := range b.touched {
			custs = append(custs, c)
		}
		sort.Strings(custs)
		if err := f.writeSMSFeatures(ctx, custs, now); err != nil {
			return nil, err
		}
	}
	// An aggregator that saves in the background (the in-process store) is
	// flushed before the batch is acknowledged, so a crash loses no update.
	if fl, ok := f.Agg.(interface{ Flush(context.Context) error }); ok && len(b.aggs) > 0 {
		if err := fl.Flush(ctx); err != nil {
			return nil, err
		}
	}
	return refused, nil
}

// maxRecomputes bounds how often one batch recomputes a customer whose
// signals keep changing under it (another consumer adding at once).
const maxRecomputes = 5

// writeSMSFeatures computes and writes the online SMS features of custs
// from their signals, again for any customer whose signals another
// consumer changed meanwhile (see SignalStore).
func (f *Features) writeSMSFeatures(ctx context.Context, custs []string, now time.Time) error {
	for round := 0; len(custs) > 0; round++ {
		if round == maxRecomputes {
			return fmt.Errorf("sms features of %d customers kept changing during %d recomputations", len(custs), maxRecomputes)
		}
		got, seen, err := f.Signals.Since(ctx, custs, now.Add(-90*24*time.Hour))
		if err != nil {
			return err
		}
		ws := make([]features.Write, len(custs))
		for i, c := range custs {
			ws[i] = features.Write{Key: features.EntityKey{Entity: "customer", ID: c}, AsOf: now, Values: SMSFeatures(got[c], now)}
		}
		if err := f.write(ctx, ws); err != nil {
			return err
		}
		cur, err := f.Signals.Versions(ctx, custs)
		if err != nil {
			return err
		}
		var again []string
		for _, c := range custs {
			if cur[c] != seen[c] {
				again = append(again, c)
			}
		}
		custs = again
	}
	return nil
}

func (f *Features) write(ctx context.Context, ws []features.Write) error {
	for i := range ws {
		ws[i].By = "events"
	}
	for len(ws) > 0 {
		n := min(len(ws), features.MaxBatchWrites)
		if err := f.Writer.Write(ctx, ws[:n]...); err != nil {
			return err
		}
		ws = ws[n:]
	}
	return nil
}
