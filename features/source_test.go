package features

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nirnay/nirnay/internal/testenv"
)

// countingStore counts reads of the store it wraps and can be made slow,
// failing or panicking.
type countingStore struct {
	Store
	reads atomic.Int64
	mu    sync.Mutex
	mode  string // "", "slow", "fail", "panic"
}

func (c *countingStore) set(mode string) {
	c.mu.Lock()
	c.mode = mode
	c.mu.Unlock()
}

func (c *countingStore) Read(ctx context.Context, keys []EntityKey, now time.Time) ([][]Entry, error) {
	c.reads.Add(1)
	c.mu.Lock()
	mode := c.mode
	c.mu.Unlock()
	switch mode {
	case "slow":
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(5 * time.Second):
		}
	case "fail":
		return nil, errors.New("connection refused")
	case "panic":
		panic("store bug")
	}
	return c.Store.Read(ctx, keys, now)
}

func newTestSource(t *testing.T, clk *testenv.Clock, reg prometheus.Registerer) (*Source, *countingStore) {
	t.Helper()
	b := fpBuilder(t)
	cs := &countingStore{Store: fpLocal(t, b, clk.Now)}
	s, err := NewSource(SourceConfig{Builder: b, Store: cs, Deadline: 20 * time.Millisecond, Clock: clk.Now, Registerer: reg, Logger: quietLog,
		Breaker: BreakerConfig{Failures: 3, Cooldown: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s, cs
}

func seed(t *testing.T, s *Source) {
	t.Helper()
	err := s.Write(context.Background(),
		Write{Key: EntityKey{"customer", "C1"}, Values: map[string]any{"bureau_score": 760, "monthly_income": 50000, "total_emi": 10000, "fresh_flag": true}},
		Write{Key: EntityKey{"device", "d1"}, Values: map[string]any{"device_rooted": true}},
		Write{Key: EntityKey{"pan", "p1"}, Values: map[string]any{"pan_status": "valid"}},
		Write{Key: EntityKey{"phone", "ph1"}, Values: map[string]any{"phone_age_days": 400}},
		Write{Key: EntityKey{"bank_account", "a1"}, Values: map[string]any{"account_mule": false}})
	if err != nil {
		t.Fatal(err)
	}
}

var fullInput = map[string]any{"device_id": "d1", "pan_hash": "p1", "phone_hash": "ph1", "account_hash": "a1", "amount": 100000}

func TestSourceMergesEntitiesAndServesFromL1(t *testing.T) {
	clk := newFakeClock()
	s, cs := newTestSource(t, clk, nil)
	seed(t, s)
	ctx := context.Background()
	req := Request{CustomerID: "C1", Step: "application", Input: fullInput, Now: clk.Now()}
	v, err := s.Vector(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"bureau_score": int64(760), "device_rooted": true, "pan_status": "valid", "phone_age_days": int64(400),
		"account_mule": false, "emi_to_income": 0.2, "amount": int64(100000), "customers_per_device": int64(0)}
	for name, w := range want {
		if got, ok := fpValue(t, v, name, clk.Now()); !ok || got != w {
			t.Errorf("%s = %v (found %v), want %v", name, got, ok, w)
		}
	}
	if n := cs.reads.Load(); n != 1 {
		t.Errorf("store reads for 5 entities = %d, want 1", n)
	}
	s.cache.c.Wait() // ristretto applies sets asynchronously
	for range 3 {
		if _, err := s.Vector(ctx, req); err != nil {
			t.Fatal(err)
		}
	}
	if n := cs.reads.Load(); n != 1 {
		t.Errorf("store reads after 3 more decisions within the TTL = %d, want still 1 (L1)", n)
	}
	// A write through the source is visible at once.
	if err := s.Write(ctx, Write{Key: EntityKey{"customer", "C1"}, Values: map[string]any{"bureau_score": 640}}); err != nil {
		t.Fatal(err)
	}
	v, _ = s.Vector(ctx, req)
	s.cache.c.Wait()
	if got, _ := fpValue(t, v, "bureau_score", clk.Now()); got != int64(640) {
		t.Errorf("bureau_score after a write = %v, want 640", got)
	}
	if n := cs.reads.Load(); n != 2 {
		t.Errorf("store reads after the write = %d, want 2 (only the customer re-read)", n)
	}
	// The TTL bounds staleness of writes that bypass the source.
	reads := cs.reads.Load()
	clk.Add(2 * time.Second)
	s.Vector(ctx, req)
	if n := cs.reads.Load(); n != reads+1 {
		t.Errorf("store reads after the TTL = %d, want %d", n, reads+1)
	}
	// max_age: fresh_flag (1 h) is stale 2 hours later, and derived values are recomputed from L1 parts.
	clk.Add(2 * time.Hour)
	v, _ = s.Vector(ctx, Request{CustomerID: "C1", Input: fullInput, Now: clk.Now()})
	if got, ok := fpValue(t, v, "fresh_flag", clk.Now()); ok {
		t.Errorf("fresh_flag 2 h after it was written = %v, want missing (max_age 1h)", got)
	}
}

func TestSourceDegradesWithinDeadlineAndRecovers(t *testing.T) {
	clk := newFakeClock()
	reg := prometheus.NewRegistry()
	s, cs := newTestSource(t, clk, reg)
	seed(t, s)
	ctx := context.Background()
	for _, mode := range []string{"slow", "fail", "panic"} {
		// Each mode: the first decisions reach the store (after the first
		// mode, as the half-open probe), the rest are refused by the breaker.
		cs.set(mode)
		s.cache.reset()
		clk.Add(time.Second)
		readsBefore := cs.reads.Load()
		for i := range 5 {
			start := time.Now()
			v, err := s.Vector(ctx, Request{CustomerID: "C1", Input: fullInput, Now: clk.Now()})
			took := time.Since(start)
			if err != nil {
				t.Fatalf("%s: decision %d: error %v, want a vector with features missing", mode, i, err)
			}
			if took > 200*time.Millisecond {
				t.Errorf("%s: decision %d took %s, want within the 20ms deadline (+slack)", mode, i, took)
			}
			if got, ok := fpValue(t, v, "bureau_score", clk.Now()); ok {
				t.Errorf("%s: bureau_score = %v, want missing", mode, got)
			}
			if got, _ := fpValue(t, v, "amount", clk.Now()); got != int64(100000) {
				t.Errorf("%s: request feature amount = %v, want 100000 even when the store is down", mode, got)
			}
			if got, _ := fpValue(t, v, "total_emi", clk.Now()); got != int64(0) {
				t.Errorf("%s: total_emi = %v, want its catalog default 0", mode, got)
			}
		}
		if cs.reads.Load() == readsBefore {
			t.Errorf("%s: the store was never called; the mode was not exercised", mode)
		}
	}
	if s.Breaker().State() != BreakerOpen {
		t.Fatalf("breaker %s after repeated failures, want open", s.Breaker().State())
	}
	if text := gather(t, reg); !strings.Contains(text, "nirnay_features_breaker_state 2") {
		t.Errorf("metrics with the breaker open lack nirnay_features_breaker_state 2:\n%s", text)
	}
	before := cs.reads.Load()
	s.Vector(ctx, Request{CustomerID: "C1", Now: clk.Now()})
	if cs.reads.Load() != before {
		t.Errorf("the store was called while the breaker was open")
	}
	if err := s.Ready(ctx); err == nil {
		t.Errorf("Ready = nil while the breaker is open, want an error")
	}
	// The store recovers; after the cool-down a probe closes the breaker.
	cs.set("")
	clk.Add(time.Second)
	v, _ := s.Vector(ctx, Request{CustomerID: "C1", Now: clk.Now()})
	if got, _ := fpValue(t, v, "bureau_score", clk.Now()); got != int64(760) || s.Breaker().State() != BreakerClosed {
		t.Errorf("after recovery bureau_score = %v and breaker %s; want 760 and closed", got, s.Breaker().State())
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready after recovery: %v", err)
	}
	text := gather(t, reg)
	for _, want := range []string{`nirnay_features_store_reads_total{result="timeout"}`, `nirnay_features_store_reads_total{result="refused"}`,
		`nirnay_features_store_reads_total{result="error"}`, "nirnay_features_breaker_state 0", "nirnay_features_missing_entities_total"} {
		if !strings.Contains(text, want) {
			t.Errorf("metrics lack %q:\n%s", want, text)
		}
	}
}

func gather(t *testing.T, reg *prometheus.Registry) string {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			b.WriteString(mf.GetName())
			if len(m.GetLabel()) > 0 {
				b.WriteString("{")
				for _, l := range m.GetLabel() {
					b.WriteString(l.GetName() + `="` + l.GetValue() + `"`)
				}
				b.WriteString("}")
			}
			switch {
			case m.Counter != nil:
				b.WriteString(" " + trimFloat(m.Counter.GetValue()))
			case m.Gauge != nil:
				b.WriteString(" " + trimFloat(m.Gauge.GetValue()))
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

func trimFloat(f float64) string {
	s := strings.TrimRight(strings.TrimRight(strings.TrimSpace(strings.Replace(prometheusFormat(f), "e+00", "", 1)), "0"), ".")
	if s == "" {
		return "0"
	}
	return s
}

func prometheusFormat(f float64) string { return strings.TrimSpace(fmtFloat(f)) }

func TestCancelledCallersDoNotOpenTheBreaker(t *testing.T) {
	clk := newFakeClock()
	s, cs := newTestSource(t, clk, nil)
	seed(t, s)
	cs.set("slow")
	for range 5 {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Vector(ctx, Request{CustomerID: "C1", Now: clk.Now()}); err != nil {
			t.Fatalf("Vector with a cancelled context: %v, want a vector", err)
		}
	}
	if st := s.Breaker().State(); st != BreakerClosed {
		t.Errorf("breaker %s after 5 cancelled callers, want closed (a caller giving up says nothing about the store)", st)
	}
}
