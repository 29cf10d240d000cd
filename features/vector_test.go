package features

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"cel.dev/cel-go/common/types"

	"github.com/nirnay/nirnay/rules"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func testBuilder(t *testing.T) *Builder {
	t.Helper()
	return mustBuilder(t, `features:
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
`)
}

func TestBuildTypesDefaultsAndDerived(t *testing.T) {
	t.Parallel()
	b := testBuilder(t)
	v, err := b.Build(map[string]any{
		"income": float64(40000), "emi": 10000, "city": "Pune",
		"apps": []any{"com.bet", "com.bank"}, "seen": "2026-11-20T00:00:00Z", "ok": true,
	}, now)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{"income": int64(40000), "foir": 0.25, "foir_pct": int64(25), "city": "Pune", "ok": true} {
		if got, ok := fpValue(t, v, name, now); !ok || got != want {
			t.Errorf("%s: got %v (%T, found %v), want %v", name, got, got, ok, want)
		}
	}
	if got, _ := fpValue(t, v, "apps", now); strings.Join(got.([]string), ",") != "com.bet,com.bank" {
		t.Errorf("apps: got %v", got)
	}
	f, _ := v.Catalog().Lookup("seen")
	if val, ok := v.Lookup(f.Slot, now.UnixNano()); !ok || val.(types.Timestamp).Day() != 20 {
		t.Errorf("seen: got %v", val)
	}
	if _, ok := fpValue(t, v, "amount_to_income", now); ok {
		t.Error("amount_to_income computed without the request amount")
	}
	// Stale after max_age; emi falls back to its default when absent.
	if _, ok := fpValue(t, v, "income", now.Add(25*time.Hour)); ok {
		t.Error("income older than max_age 24h is still present")
	}
	obs := v.Observe(0, now.Add(25*time.Hour))
	if obs.State != Stale || obs.Value != nil {
		t.Errorf("Observe stale income: got %+v", obs)
	}
	empty, _ := b.Build(nil, now)
	if got, ok := fpValue(t, empty, "emi", now); !ok || got != int64(0) {
		t.Errorf("emi default: got %v, %v; want 0, true", got, ok)
	}
	if obs := empty.Observe(1, now); obs.State != Default {
		t.Errorf("Observe default emi: got %+v", obs)
	}
}

func TestBuildRejectsBadValues(t *testing.T) {
	t.Parallel()
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
	t.Parallel()
	b := testBuilder(t)
	v, err := b.Build(map[string]any{"income": 0, "emi": 100}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := fpValue(t, v, "foir", now); ok {
		t.Errorf("foir with zero income: got %v, want missing", got)
	}
	if _, ok := fpValue(t, v, "foir_pct", now); ok {
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
	t.Parallel()
	b := testBuilder(t)
	v, _ := b.Build(map[string]any{"income": 50000}, now)
	src := NewStatic(v)
	got, err := src.Vector(context.Background(), Request{Input: map[string]any{"amount": float64(100000)}, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := fpValue(t, got, "amount_to_income", now); !ok || r != 2.0 {
		t.Errorf("amount_to_income: got %v, %v; want 2, true", r, ok)
	}
	if _, ok := fpValue(t, v, "amount", now); ok {
		t.Error("WithInput modified the shared vector")
	}
	if _, err := src.Vector(context.Background(), Request{Input: map[string]any{"amount": "x"}, Now: now}); err == nil || !strings.Contains(err.Error(), "input.amount") {
		t.Errorf("bad request value: got %v", err)
	}
	same, _ := v.WithInput(map[string]any{"other": 1}, now)
	if same == v {
		// The catalog has request features, so a copy is expected only when
		// one is present; a payload without them may share v.
		if _, ok := fpValue(t, same, "amount", now); ok {
			t.Error("amount present without input")
		}
	}
}

// TestWithInputOverlay checks the request overlay: request features are
// present with age 0, derived features over them are computed (through a
// chain), the base is untouched and shared, a payload without request
// features returns the base itself, and a second overlay keeps the first.
func TestWithInputOverlay(t *testing.T) {
	t.Parallel()
	cat := mustCatalog(t, `features:
  - {name: income, type: int, max_age: 24h}
  - {name: amount, type: int, source: request}
  - {name: tenure, type: int, source: request}
  - {name: emi, type: int, source: derived, expr: "amount / tenure"}
  - {name: emi_share, type: double, source: derived, expr: "emi / income"}
  - {name: income_k, type: int, source: derived, expr: "income / 1000"}
`)
	b := newBuilder(t, cat)
	base, err := b.Build(map[string]any{"income": 50000}, now.Add(-time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if same, err := base.WithInput(map[string]any{"device_id": "d1"}, now); err != nil || same != base {
		t.Errorf("WithInput without request features: got %p, %v; want the base %p itself", same, err, base)
	}
	v, err := base.WithInput(map[string]any{"amount": 120000, "tenure": 12}, now)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]any{"amount": int64(120000), "emi": int64(10000), "emi_share": 0.2, "income_k": int64(50), "income": int64(50000)} {
		if got, ok := fpValue(t, v, name, now); !ok || got != want {
			t.Errorf("%s: got %v (%T, found %v), want %v", name, got, got, ok, want)
		}
	}
	for _, name := range []string{"amount", "emi", "emi_share"} {
		if got, ok := fpValue(t, base, name, now); ok {
			t.Errorf("base %s: got %v, want missing (WithInput must not modify the base)", name, got)
		}
	}
	f, _ := cat.Lookup("amount")
	if o := v.Observe(f.Slot, now); o.State != Present || o.Age != 0 || o.Value != int64(120000) {
		t.Errorf("Observe amount: got %+v, want present, age 0, 120000", o)
	}
	f, _ = cat.Lookup("emi_share")
	if o := v.Observe(f.Slot, now); o.State != Present || o.Age != time.Hour {
		t.Errorf("Observe emi_share: got %+v, want present with the age of its oldest input (1h)", o)
	}
	// Division by zero leaves the derived features missing.
	z, err := base.WithInput(map[string]any{"amount": 1000, "tenure": 0}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := fpValue(t, z, "emi", now); ok {
		t.Errorf("emi with tenure 0: got %v, want missing", got)
	}
	// An overlay over an overlay: the new amount applies; emi, computed
	// already, is kept as a value of the vector given.
	w, err := v.WithInput(map[string]any{"amount": 60000}, now)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := fpValue(t, w, "amount", now); got != int64(60000) {
		t.Errorf("second overlay amount: got %v, want 60000", got)
	}
	if got, _ := fpValue(t, w, "tenure", now); got != int64(12) {
		t.Errorf("second overlay tenure: got %v, want 12 from the first overlay", got)
	}
	if got, _ := fpValue(t, v, "amount", now); got != int64(120000) {
		t.Errorf("first overlay amount after the second: got %v, want 120000", got)
	}
}

// TestWithInputConcurrent runs overlays of one shared base from several
// goroutines (run with -race): each sees its own request values.
func TestWithInputConcurrent(t *testing.T) {
	t.Parallel()
	b := testBuilder(t)
	base, err := b.Build(map[string]any{"income": 1000}, now)
	if err != nil {
		t.Fatal(err)
	}
	errs := make(chan string, 8)
	for g := range 8 {
		go func() {
			for i := range 200 {
				amount := (g*1000 + i) * 10
				v, err := base.WithInput(map[string]any{"amount": amount}, now)
				if err != nil {
					errs <- err.Error()
					return
				}
				if got, ok := fpValue(t, v, "amount_to_income", now); !ok || got != float64(amount)/1000 {
					errs <- fmt.Sprintf("amount %d: amount_to_income got %v, %v; want %v", amount, got, ok, float64(amount)/1000)
					return
				}
			}
			errs <- ""
		}()
	}
	for range 8 {
		if e := <-errs; e != "" {
			t.Error(e)
		}
	}
}

func TestForStepReadsOnlyThatStepsUnexpiredValues(t *testing.T) {
	t.Parallel()
	cat, err := rules.NewCatalog([]rules.Feature{
		{Name: "step_up_passed", Type: rules.TypeStringList, PerStep: true, Default: []string{}},
		{Name: "age", Type: rules.TypeInt},
	})
	if err != nil {
		t.Fatal(err)
	}
	b := newBuilder(t, cat)
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, time.UTC)
	until := strconv.FormatInt(now.Add(time.Minute).Unix(), 10)
	gone := strconv.FormatInt(now.Add(-time.Second).Unix(), 10)
	stored := []string{"login:otp:" + until, "disbursal:otp:" + until, "login:selfie:" + gone, "login:face", "bad", "login::" + until}
	v, err := b.Build(map[string]any{"step_up_passed": stored, "age": 30}, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		step string
		want []string
	}{{"login", []string{"otp", "face"}}, {"disbursal", []string{"otp"}}, {"signup", []string{}}} {
		got := v.ForStep(tt.step, now).Observe(0, now)
		if !slices.Equal(got.Value.([]string), tt.want) || got.State != Present {
			t.Errorf("step %s: got %v (%s), want %v present", tt.step, got.Value, got.State, tt.want)
		}
	}
	if got := v.Observe(0, now).Value.([]string); len(got) != len(stored) {
		t.Errorf("ForStep changed the base vector: %v", got)
	}
	empty, _ := b.Build(map[string]any{"age": 30}, now)
	if empty.ForStep("login", now) != empty {
		t.Error("a vector without per_step values was copied")
	}
	if got := empty.ForStep("login", now).Observe(0, now); got.State != Default || len(got.Value.([]string)) != 0 {
		t.Errorf("missing per_step feature: got %v (%s), want the empty default", got.Value, got.State)
	}
}
