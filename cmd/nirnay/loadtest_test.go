package main

import "testing"

// TestOutcomeOf: the load generator tells a decision's outcome from its
// response by the outcome field, not by a reason or rule that names one.
func TestOutcomeOf(t *testing.T) {
	for resp, want := range map[string]int8{
		`{"decision_id":"dec_1","outcome":"review","reasons":["approve_later"]}`: 1,
		`{"outcome":"approve"}`:                                 0,
		`{"rules":[{"outcome":"decline"}],"outcome":"step_up"}`: 3, // the first outcome field wins
		`{"outcome":"approved"}`:                                -1,
		`{"status":404}`:                                        -1,
	} {
		if got := outcomeOf([]byte(resp)); got != want {
			t.Errorf("outcomeOf(%s) = %d, want %d", resp, got, want)
		}
	}
}
