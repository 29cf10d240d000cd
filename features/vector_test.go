package features

import (
	"context"
	"strings"
	"testing"
	"time"

	"cel.dev/cel-go/common/types"

	"github.com/nirnay/nirnay/rules"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func testBuilder(t *testing.T) *Builder {
	t.Helper()
	cat, err := rules.ParseCatalog("features.yaml", []byte(`features:
  - {name: income, type: int, max_age: 24h}
  - {name: emi, type: int, default: 0}
  - {name: foir, type: double, source: derived, expr: "emi / income"}
  - {name: foir_pct, type: int, source: derived, expr: "foir * 100"}
  - {name: amount, type: int, source: request}
  - {name: amount_to_income, type: double, source: derived, expr: "amount / income"}
  - {name: city, type: string}
  - {name: apps, type: list<string>}
  - {name: seen, type: timestamp}
  - {name: ok, type: bool}
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := NewBuilder(cat)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func lookup(t *testing.T, v *Vector, name string, at time.Time) (any, bool) {
	t.Helper()
	f, ok := v.Catalog().Lookup(name)
	if !ok {
		t.Fatalf("no feature %s", name)
	}
	val, ok := v.Lookup(f.Slot, at.UnixNano())
	if !ok {
		return nil, false
	}
	return val.Value(), true
}

func TestBuildTypesDefaultsAndDerived(t *testing.T) {
	b := testBuilder(t)
	v, err := b.Build(map[string]any{
		"income": float64(40000), "emi": 10000, "city": "Pune",
		"apps": []any{"com.bet", "com.bank"}, "seen": "2026-11-20T00:00:00Z", "ok": true,
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{"income": int64(40000), "foir": 0.25, "foir_pct": int64(25), "city": "Pune", "ok": true} {
		if got, ok := lookup(t, v, name, now); !ok || got != want {
			t.Errorf("%s: got %v (%T, found %v), want %v", name, got, got, ok, want)
		}
	}
	if got, _ := lookup(t, v, "apps", now); strings.Join(got.([]string), ",") != "com.bet,com.bank" {
		t.Errorf("apps: got %v", got)
	}
	f, _ := v.Catalog().Lookup("seen")
	if val, ok := v.Lookup(f.Slot, now.UnixNano()); !ok || val.(types.Timestamp).Day() != 20 {
		t.Errorf("seen: got %v", val)
	}
	if _, ok := lookup(t, v, "amount_to_income", now); ok {
		t.Error("amount_to_income computed without the request amount")
	}
	// Stale after max_age; emi falls back to its default when absent.
	if _, ok := lookup(t, v, "income", now.Add(25*time.Hour)); ok {
		t.Error("income older than max_age 24h is still present")
	}
	obs := v.Observe(0, now.Add(25*time.Hour))
	if obs.State != Stale || obs.Value != nil {
		t.Errorf("Observe stale income: got %+v", obs)
	}
	empty, _ := b.Build(nil, now)
	if got, ok := lookup(t, empty, "emi", now); !ok || got != int64(0) {
		t.Errorf("emi default: got %v, %v; want 0, true", got, ok)
	}
	if obs := empty.Observe(1, now); obs.State != Default {
		t.Errorf("Observe default emi: got %+v", obs)
	}
}

func TestBuildRejectsBadValues(t *testing.T) {
	b := testBuilder(t)
	for _, tc := range []struct {
		vals map[string]any
		want string
	}{
		{map[string]any{"incme": 1}, `feature "incme" is not in the catalog`},
		{map[string]any{"income": "lots"}, `feature "income": want int`},
		{map[string]any{"income": 1.5}, `feature "income": want int`},
		{map[string]any{"apps": []any{1}}, `feature "apps"`},
		{map[string]any{"seen": "yesterday"}, `feature "seen": want timestamp`},
	} {
		if _, err := b.Build(tc.vals, now); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Build(%v): got %v, want %q", tc.vals, err, tc.want)
		}
	}
}

func TestDerivedNeverPanics(t *testing.T) {
	b := testBuilder(t)
	v, err := b.Build(map[string]any{"income": 0, "emi": 100}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := lookup(t, v, "foir", now); ok {
		t.Errorf("foir with zero income: got %v, want missing", got)
	}
	if _, ok := lookup(t, v, "foir_pct", now); ok {
		t.Error("foir_pct over a missing foir: want missing")
	}
	cat, _ := rules.ParseCatalog("c.yaml", []byte("features:\n  - {name: a, type: int, source: derived, expr: \"b + \"}\n  - {name: b, type: int}\n"))
	if _, err := NewBuilder(cat); err == nil || !strings.Contains(err.Error(), "c.yaml:2: features[a].expr") {
		t.Errorf("bad formula: got %v, want an error naming c.yaml:2 features[a].expr", err)
	}
	cyc, _ := rules.ParseCatalog("c.yaml", []byte("features:\n  - {name: a, type: int, source: derived, expr: \"b\"}\n  - {name: b, type: int, source: derived, expr: \"a\"}\n"))
	if _, err := NewBuilder(cyc); err == nil || !strings.Contains(err.Error(), "cycle") {
		t.Errorf("cycle: got %v, want a cycle error", err)
	}
}

func TestWithInputAndStatic(t *testing.T) {
	b := testBuilder(t)
	v, _ := b.Build(map[string]any{"income": 50000}, now)
	src := NewStatic(v)
	got, err := src.Vector(context.Background(), Request{Input: map[string]any{"amount": float64(100000)}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := lookup(t, got, "amount_to_income", now); !ok || r != 2.0 {
		t.Errorf("amount_to_income: got %v, %v; want 2, true", r, ok)
	}
	if _, ok := lookup(t, v, "amount", now); ok {
		t.Error("WithInput modified the shared vector")
	}
	if _, err := src.Vector(context.Background(), Request{Input: map[string]any{"amount": "x"}, Now: now}); err == nil || !strings.Contains(err.Error(), "input.amount") {
		t.Errorf("bad request value: got %v", err)
	}
	same, _ := v.WithInput(map[string]any{"other": 1}, now)
	if same == v {
		// The catalog has request features, so a copy is expected only when
		// one is present; a payload without them may share v.
		if _, ok := lookup(t, same, "amount", now); ok {
			t.Error("amount present without input")
		}
	}
}
