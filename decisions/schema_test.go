package decisions_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// TestClaimAndStepUpConstraints: the keys and CHECK constraints of
// decision_claims and step_ups (migration 16) hold on both backends: one
// claim per (customer, request id), one request per decision id, and no
// empty ids, unknown steps or over-long challenge names.
func TestClaimAndStepUpConstraints(t *testing.T) {
	testenv.ParallelBackends(t, func(t *testing.T, _ testenv.Backend, db *store.DB) {
		ctx := context.Background()
		now := time.Now()
		claim := func(customer, request, decision string) error {
			_, err := db.Writer().ExecContext(ctx, `INSERT INTO decision_claims (customer_id, request_id, request_hash, decision_id, claimed_at)
				VALUES ($1, $2, 'h', $3, $4)`, customer, request, decision, store.Instant(now))
			return store.Translate(err)
		}
		if err := claim("C-1", "r-1", "dec_1"); err != nil {
			t.Fatal(err)
		}
		if err := claim("C-2", "r-1", "dec_2"); err != nil {
			t.Fatalf("the same request id for another customer: %v", err)
		}
		if err := claim("C-1", "r-1", "dec_3"); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Errorf("a second claim of (C-1, r-1): %v; want a conflict", err)
		}
		if err := claim("C-1", "r-2", "dec_1"); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Errorf("decision dec_1 claimed for a second request: %v; want a conflict", err)
		}
		for _, c := range [][4]string{
			{"C-1", "", "dec_4", "decision_claims_request_present"},
			{"", "r-4", "dec_4", "decision_claims_customer_present"},
			{"C-1", "r-4", "", "decision_claims_decision_present"},
		} {
			if got := violated(claim(c[0], c[1], c[2])); got != c[3] {
				t.Errorf("claim %q: constraint %q broken; want %s", c[:3], got, c[3])
			}
		}
		report := func(action, step, result string) error {
			_, err := db.Writer().ExecContext(ctx, `INSERT INTO step_ups (decision_id, action, customer_id, step, result, reported_at, reported_by)
				VALUES ('dec_1', $1, 'C-1', $2, $3, $4, 'key_1')`, action, step, result, store.Instant(now))
			return store.Translate(err)
		}
		if err := report(strings.Repeat("x", 64), "login", "passed"); err != nil {
			t.Fatalf("a 64-byte action: %v", err)
		}
		for _, c := range [][4]string{
			{strings.Repeat("x", 65), "login", "passed", "step_ups_action_length"},
			{"", "login", "passed", "step_ups_action_length"},
			{"otp", "teleport", "passed", "step_ups_step_known"},
			{"otp", "login", "maybe", "step_ups_result_known"},
		} {
			if got := violated(report(c[0], c[1], c[2])); got != c[3] {
				t.Errorf("step-up %.20q at %s %s: constraint %q broken; want %s", c[0], c[1], c[2], got, c[3])
			}
		}
	})
}

// violated names the constraint err reports broken ("" for none).
func violated(err error) string {
	var v *store.Violation
	if errors.As(err, &v) && nirnay.IsKind(err, nirnay.KindUnprocessable) {
		return v.Constraint
	}
	return ""
}
