package features

import (
	"context"
	"errors"
	"fmt"
	"github.com/nirnay/nirnay/internal/testenv"
	"reflect"
	"testing"
	"time"
)

func TestResolution(t *testing.T) {
	t.Parallel()
	cases := []struct{ window, want time.Duration }{
		{time.Hour, time.Minute}, {2 * time.Hour, 15 * time.Minute}, {24 * time.Hour, 15 * time.Minute},
		{168 * time.Hour, time.Hour}, {720 * time.Hour, 6 * time.Hour}, {2160 * time.Hour, 6 * time.Hour},
	}
	for _, c := range cases {
		if got := Resolution(c.window); got != c.want {
			t.Errorf("Resolution(%s) = %s, want %s", c.window, got, c.want)
		}
		if n := c.window / Resolution(c.window); n > 360 {
			t.Errorf("window %s has %d buckets, want at most 360", c.window, n)
		}
	}
}

func ev(id, typ string, at time.Time, ents map[string]string, fields map[string]any) Event {
	return Event{ID: id, Type: typ, At: at, Entities: ents, Fields: fields}
}

func readAgg(t *testing.T, s *LocalStore, key EntityKey, at time.Time) map[string]any {
	t.Helper()
	got, err := s.Read(context.Background(), []EntityKey{key}, at)
	if err != nil {
		t.Fatal(err)
	}
	return fpEntries(s.cat, got[0])
}

func TestAggregateWindowsSlide(t *testing.T) {
	t.Parallel()
	s := fpLocal(t, fpBuilder(t), newFakeClock().Now)
	ctx := context.Background()
	c1 := map[string]string{"customer": "C1"}
	// Loan applications: 1 h window, 1 min buckets.
	for i := range 3 {
		if err := s.Apply(ctx, ev(fmt.Sprint("app", i), "loan_application", fpT0.Add(time.Duration(i)*20*time.Minute), c1, nil)); err != nil {
			t.Fatal(err)
		}
	}
	// EMI debits (30 d sum), credits (7 d max), balances (24 h min).
	evs := []Event{
		ev("e1", "emi_debit", fpT0, c1, map[string]any{"amount": 5000}),
		ev("e2", "emi_debit", fpT0.Add(10*24*time.Hour), c1, map[string]any{"amount": 3000}),
		ev("k1", "credit", fpT0, c1, map[string]any{"amount": 90000}),
		ev("k2", "credit", fpT0.Add(3*24*time.Hour), c1, map[string]any{"amount": 20000}),
		ev("b1", "balance", fpT0, c1, map[string]any{"balance": 1500.5}),
		ev("b2", "balance", fpT0.Add(12*time.Hour), c1, map[string]any{"balance": 800.25}),
	}
	if err := s.Apply(ctx, evs...); err != nil {
		t.Fatal(err)
	}
	key := EntityKey{"customer", "C1"}
	steps := []struct {
		at   time.Duration
		want map[string]any
	}{
		{50 * time.Minute, map[string]any{"apps_1h": int64(3), "emi_sum_30d": int64(5000), "max_credit_7d": int64(90000), "min_balance_24h": 1500.5}},
		// 1h10m: the application at 0m left the 1 h window (its bucket ended at 1m).
		{70 * time.Minute, map[string]any{"apps_1h": int64(2)}},
		{101 * time.Minute, map[string]any{"apps_1h": int64(0)}},
		{13 * time.Hour, map[string]any{"min_balance_24h": 800.25}},
		// 24 h + a bucket after the first balance it has left; the second stays.
		{24*time.Hour + 15*time.Minute, map[string]any{"min_balance_24h": 800.25}},
		// After 7 d + 1 h the first credit left the 7 d window.
		{7*24*time.Hour + time.Hour, map[string]any{"max_credit_7d": int64(20000)}},
		{11 * 24 * time.Hour, map[string]any{"emi_sum_30d": int64(8000)}},
		{31 * 24 * time.Hour, map[string]any{"emi_sum_30d": int64(3000)}},
		{37*24*time.Hour + time.Hour, map[string]any{"min_balance_24h": nil, "max_credit_7d": nil}},
	}
	for _, st := range steps {
		got := readAgg(t, s, key, fpT0.Add(st.at))
		for name, want := range st.want {
			if g := got[name]; !reflect.DeepEqual(g, want) {
				t.Errorf("at +%s: %s = %v, want %v", st.at, name, g, want)
			}
		}
	}
}

func TestGraphFeaturesAndDedupe(t *testing.T) {
	t.Parallel()
	b := fpBuilder(t)
	clk := newFakeClock()
	dir := t.TempDir()
	db := testenv.SQLiteAt(t, dir)
	s, err := NewLocalStore(context.Background(), db, b.Catalog(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(context.Background())
	ctx := context.Background()
	seen := func(id, cust, dev string, at time.Time) Event {
		return ev(id, "device_seen", at, map[string]string{"customer": cust, "device": dev}, map[string]any{"customer_id": cust, "device_id": dev})
	}
	batch := []Event{
		seen("s1", "C1", "d1", fpT0), seen("s2", "C2", "d1", fpT0), seen("s3", "C3", "d1", fpT0.Add(time.Hour)),
		seen("s4", "C1", "d2", fpT0), seen("s1", "C1", "d1", fpT0), // s1 repeated in the batch
		ev("p1", "pan_submitted", fpT0, map[string]string{"pan": "P"}, map[string]any{"customer_id": "C1"}),
		ev("p2", "pan_submitted", fpT0, map[string]string{"pan": "P"}, map[string]any{"customer_id": "C9"}),
		ev("a1", "account_added", fpT0, map[string]string{"bank_account": "A"}, map[string]any{"customer_id": "C1"}),
		ev("a2", "account_added", fpT0, map[string]string{"bank_account": "A"}, map[string]any{"customer_id": "C1"}),
	}
	if err := s.Apply(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	// Replaying the whole batch changes nothing.
	if err := s.Apply(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	at := fpT0.Add(2 * time.Hour)
	checks := []struct {
		key  EntityKey
		name string
		want int64
	}{
		{EntityKey{"device", "d1"}, "customers_per_device", 3},
		{EntityKey{"device", "d2"}, "customers_per_device", 1},
		{EntityKey{"customer", "C1"}, "devices_per_customer", 2},
		{EntityKey{"pan", "P"}, "customers_per_pan", 2},
		{EntityKey{"bank_account", "A"}, "customers_per_bank_account", 1},
	}
	check := func(s *LocalStore, when string) {
		for _, c := range checks {
			if got := readAgg(t, s, c.key, at)[c.name]; got != c.want {
				t.Errorf("%s: %s of %s = %v, want %d", when, c.name, c.key, got, c.want)
			}
		}
	}
	check(s, "after a replayed batch")
	// Restart: state and dedupe survive.
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s2, err := NewLocalStore(ctx, db, b.Catalog(), clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close(context.Background())
	if err := s2.Apply(ctx, batch...); err != nil {
		t.Fatal(err)
	}
	check(s2, "after a restart and another replay")
	// A device seen 91 days ago no longer links.
	if got := readAgg(t, s2, EntityKey{"device", "d1"}, fpT0.Add(91*24*time.Hour))["customers_per_device"]; got != int64(0) {
		t.Errorf("customers_per_device after 91 days = %v, want 0", got)
	}
}

func TestMalformedEventsAreReportedOthersApplied(t *testing.T) {
	t.Parallel()
	b := fpBuilder(t)
	s := fpLocal(t, b, newFakeClock().Now)
	c1 := map[string]string{"customer": "C1"}
	err := s.Apply(context.Background(),
		ev("x1", "emi_debit", fpT0, c1, map[string]any{"amount": "lots"}),
		ev("x2", "emi_debit", fpT0, c1, map[string]any{"amount": 100}),
		ev("x3", "emi_debit", fpT0, c1, nil))
	var ee EventErrors
	if !errors.As(err, &ee) || len(ee) != 2 || ee[0] == nil || ee[2] == nil {
		t.Fatalf("Apply = %v, want EventErrors for events 0 and 2", err)
	}
	if got := readAgg(t, s, EntityKey{"customer", "C1"}, fpT0)["emi_sum_30d"]; got != int64(100) {
		t.Errorf("emi_sum_30d = %v, want 100 (only the good event)", got)
	}
}

func TestAggregateCatalogChecks(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		`{name: a, type: int, source: aggregate, aggregate: {event: e, fn: median, window: 24h}}`,
		`{name: a, type: int, source: aggregate, aggregate: {event: e, fn: count, window: 30m}}`,
		`{name: a, type: int, source: aggregate, aggregate: {event: e, fn: count, window: 2161h}}`,
		`{name: a, type: int, source: aggregate, aggregate: {event: e, fn: sum, window: 24h}}`,
		`{name: a, type: string, source: aggregate, aggregate: {event: e, fn: count, window: 24h}}`,
		`{name: a, type: int, entity: device, source: aggregate, aggregate: {event: e, fn: count, window: 24h}}`,
	} {
		cat := mustCatalog(t, "features:\n  - "+bad+"\n")
		if _, err := compileAggregates(cat); err == nil {
			t.Errorf("%s: want an error", bad)
		}
	}
}

func TestShippedCatalogAggregatesCompile(t *testing.T) {
	t.Parallel()
	b := bench200Builder(t)
	a, err := compileAggregates(b.Catalog())
	if err != nil {
		t.Fatalf("shipped catalog: %v", err)
	}
	if len(a.bySlot) < 10 {
		t.Errorf("shipped catalog has %d aggregates, want the 12 it declares", len(a.bySlot))
	}
}

func TestDedupeFallsBackToTheDatabase(t *testing.T) {
	t.Parallel()
	b := fpBuilder(t)
	s := fpLocal(t, b, newFakeClock().Now)
	ctx := context.Background()
	e := ev("once", "loan_application", fpT0, map[string]string{"customer": "C1"}, nil)
	if err := s.Apply(ctx, e); err != nil {
		t.Fatal(err)
	}
	if err := s.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	// As when more ids were applied than memory keeps.
	s.wb.mu.Lock()
	s.wb.known, s.wb.complete = nil, false
	s.wb.mu.Unlock()
	if err := s.Apply(ctx, e); err != nil {
		t.Fatal(err)
	}
	if got := readAgg(t, s, EntityKey{"customer", "C1"}, fpT0)["apps_1h"]; got != int64(1) {
		t.Errorf("apps_1h after a replay checked against the database = %v, want 1", got)
	}
}
