package engine

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

// TestResult is the result of one policy test.
type TestResult struct {
	Policy   *rules.Policy
	Test     *rules.Test
	Failures []string // empty when the test passed
}

// Passed reports whether the test passed.
func (r TestResult) Passed() bool { return len(r.Failures) == 0 }

// String is "file:line: id@version: name: failure; failure".
func (r TestResult) String() string {
	return fmt.Sprintf("%s:%d: %s: %s: %s", r.Policy.File, r.Test.Line, r.Policy.Ref(), r.Test.Name, strings.Join(r.Failures, "; "))
}

// RunTests runs the tests of a compiled policy. Test features are fresh
// as of the test's now (default rules.DefaultTestNow); request features
// may also come from the test's input; lists feed in_list. The outcome is
// always compared; reasons (exact, ordered), score, actions (exact,
// ordered) and offer (the given fields; null means no offer) when given.
func RunTests(c *rules.Compiled, b *features.Builder) []TestResult {
	out := make([]TestResult, 0, len(c.Policy.Tests))
	for i := range c.Policy.Tests {
		t := &c.Policy.Tests[i]
		out = append(out, TestResult{Policy: c.Policy, Test: t, Failures: runTest(c, b, t)})
	}
	return out
}

func runTest(c *rules.Compiled, b *features.Builder, t *rules.Test) []string {
	vec, err := b.Build(t.Features, t.Now)
	if err == nil {
		vec, err = vec.WithInput(t.Input, t.Now)
	}
	if err != nil {
		return []string{"features: " + err.Error()}
	}
	res, err := Evaluate(c, Inputs{Vector: vec, Input: t.Input, Now: t.Now, Lists: StaticLists(t.Lists)})
	if err != nil {
		return []string{err.Error()}
	}
	var fails []string
	e := &t.Expect
	if res.Outcome != e.Outcome {
		fails = append(fails, fmt.Sprintf("outcome: got %s, want %s", res.Outcome, e.Outcome))
	}
	if e.HasReasons && !slices.Equal(res.Reasons, nonNil(e.Reasons)) {
		fails = append(fails, fmt.Sprintf("reasons: got %v, want %v", res.Reasons, e.Reasons))
	}
	if e.HasScore && res.Score != e.Score {
		fails = append(fails, fmt.Sprintf("score: got %d, want %d", res.Score, e.Score))
	}
	if e.HasActions && !slices.Equal(res.Actions, nonNil(e.Actions)) {
		fails = append(fails, fmt.Sprintf("actions: got %v, want %v", res.Actions, e.Actions))
	}
	if e.HasOffer {
		switch {
		case e.Offer == nil && res.Offer != nil:
			fails = append(fails, fmt.Sprintf("offer: got %v, want none", res.Offer))
		case e.Offer != nil && res.Offer == nil:
			fails = append(fails, fmt.Sprintf("offer: got none, want %v", e.Offer))
		case e.Offer != nil:
			keys := make([]string, 0, len(e.Offer))
			for k := range e.Offer {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				got, ok := res.Offer[k]
				if !ok || !sameValue(got, e.Offer[k]) {
					fails = append(fails, fmt.Sprintf("offer.%s: got %v, want %v", k, orNone(got, ok), e.Offer[k]))
				}
			}
		}
	}
	return fails
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func orNone(v any, ok bool) any {
	if !ok {
		return "none"
	}
	return v
}

// sameValue compares numbers by value (YAML ints and floats against int64
// and float64 results) and anything else deeply.
func sameValue(got, want any) bool {
	g, gok := number(got)
	w, wok := number(want)
	if gok && wok {
		return g == w || math.Abs(g-w) < 1e-9*math.Max(1, math.Abs(w))
	}
	return reflect.DeepEqual(got, want)
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case float64:
		return x, true
	}
	return 0, false
}
