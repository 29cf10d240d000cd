package engine

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
)

// TestVarSlotsResolveByName checks the name cache against the catalog:
// every feature resolves to its own slot whatever string data carries the
// name (fresh copies, many more names than cache entries), and names that
// are not features are not found.
func TestVarSlotsResolveByName(t *testing.T) {
	fx := newFixture(t)
	cat := fx.env.Catalog
	vs := varSlotsOf(cat)
	if again := varSlotsOf(cat); again != vs {
		t.Fatalf("varSlotsOf: got a second cache %p for the same catalog, want %p", again, vs)
	}
	for round := range 3 * varSlotsSize / cat.Len() {
		for _, f := range cat.Features {
			name := strings.Clone("f." + f.Name) // new string data every round
			if slot, ok := vs.slot(name); !ok || slot != f.Slot {
				t.Fatalf("round %d: slot(%q) = %d, %v; want %d, true", round, name, slot, ok, f.Slot)
			}
		}
	}
	for _, name := range []string{"input", "now", "x", "f.", "f.no_such_feature", "age"} {
		for range 2 { // a cached miss stays a miss
			if slot, ok := vs.slot(name); ok {
				t.Errorf("slot(%q) = %d, true; want not found", name, slot)
			}
		}
	}
}

// TestVarSlotsConcurrent resolves from many goroutines at once (run with
// -race).
func TestVarSlotsConcurrent(t *testing.T) {
	fx := newFixture(t)
	cat := fx.env.Catalog
	vs := varSlotsOf(cat)
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				f := &cat.Features[i%cat.Len()]
				name := "f." + f.Name
				if i%3 == 0 {
					name = strings.Clone(name)
				}
				if slot, ok := vs.slot(name); !ok || slot != f.Slot {
					errs <- name
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for name := range errs {
		t.Errorf("slot(%q) resolved wrong under concurrency", name)
	}
}

// TestPooledActivationForgetsInput evaluates with an input, then without:
// the pooled activation must not carry the first input (or now) over.
func TestPooledActivationForgetsInput(t *testing.T) {
	fx := newFixture(t)
	c := fx.compile(t, head+"rules:\n  - {id: flag, when: 'has(input.flag) && input.flag == \"yes\"', outcome: decline, reasons: [FLAG]}\n  - {id: late, when: now > timestamp(\"2026-11-26T12:00:00Z\"), outcome: review, reasons: [LATE]}\n")
	vec, err := fx.b.Build(map[string]any{"age": 30}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	for i, tc := range []struct {
		input map[string]any
		now   time.Time
		want  nirnay.Outcome
	}{
		{map[string]any{"flag": "yes"}, testNow, "decline"},
		{nil, testNow, "approve"},
		{map[string]any{"flag": "no"}, testNow.Add(3 * time.Hour), "review"},
		{nil, testNow, "approve"},
	} {
		res, err := Evaluate(c, Inputs{Vector: vec, Input: tc.input, Now: tc.now})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != tc.want {
			t.Errorf("evaluation %d (input %v, now %s): got %s, want %s", i, tc.input, tc.now.Format(time.RFC3339), res.Outcome, tc.want)
		}
	}
}
