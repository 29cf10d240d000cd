package cases_test

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/cases"
	"github.com/nirnay/nirnay/decisions"
)

func kind(err error) nirnay.Kind {
	if err == nil {
		return ""
	}
	return nirnay.KindOf(err)
}

// TestWorkingAQueue: next hands out the oldest waiting case, claim takes
// a given one, release gives it back, reassign is for leads; another
// reviewer's case is a conflict.
func TestWorkingAQueue(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ops1, ops2, lead := e.key(t, "asha", "ops"), e.key(t, "ravi", "ops"), e.key(t, "meera", "approver")
		first, second := e.refer(t, "C-1", 300000), e.refer(t, "C-2", 300000)
		if _, err := e.svc.Next(e.ctx, ops1, "nowhere"); kind(err) != nirnay.KindNotFound {
			t.Errorf("next in an unknown queue: %v, want not found", err)
		}
		if _, err := e.svc.Next(e.ctx, ops1, "fraud"); kind(err) != nirnay.KindForbidden {
			t.Errorf("ops taking from the approvers' fraud queue: %v, want forbidden", err)
		}
		c, err := e.svc.Next(e.ctx, ops1, "application")
		if err != nil || c.ID != first.ID || c.Status != cases.StatusAssigned || c.Assignee.ID != ops1.ID {
			t.Fatalf("next: %v, %v; want %s assigned to asha", c, err, first.ID)
		}
		if c, err = e.svc.Next(e.ctx, ops2, "application"); err != nil || c.ID != second.ID {
			t.Fatalf("next for ravi: %v, %v; want %s", c, err, second.ID)
		}
		if _, err := e.svc.Next(e.ctx, ops2, "application"); kind(err) != nirnay.KindNotFound {
			t.Errorf("next with nothing waiting: %v, want not found", err)
		}
		if _, err := e.svc.Claim(e.ctx, ops2, first.ID); kind(err) != nirnay.KindConflict {
			t.Errorf("claiming asha's case: %v, want conflict", err)
		}
		if c, err := e.svc.Claim(e.ctx, ops1, first.ID); err != nil || c.Assignee.ID != ops1.ID {
			t.Errorf("claiming one's own case again: %v, %v; want it unchanged", c, err)
		}
		if _, err := e.svc.Release(e.ctx, ops2, first.ID); kind(err) != nirnay.KindConflict {
			t.Errorf("releasing asha's case as ravi: %v, want conflict", err)
		}
		if c, err := e.svc.Release(e.ctx, ops1, first.ID); err != nil || c.Status != cases.StatusOpen || c.Assignee != nil {
			t.Fatalf("release: %v, %v; want open and unassigned", c, err)
		}
		if _, err := e.svc.Reassign(e.ctx, ops1, first.ID, ops2.ID); kind(err) != nirnay.KindForbidden {
			t.Errorf("ops reassigning: %v, want forbidden (leads only)", err)
		}
		if _, err := e.svc.Reassign(e.ctx, lead, first.ID, "key_nobody"); kind(err) != nirnay.KindInvalid {
			t.Errorf("reassigning to an unknown key: %v, want invalid", err)
		}
		c, err = e.svc.Reassign(e.ctx, lead, first.ID, ops2.ID)
		if err != nil || c.Status != cases.StatusAssigned || c.Assignee.ID != ops2.ID {
			t.Fatalf("reassign to ravi: %v, %v", c, err)
		}
		page, next, err := e.svc.List(e.ctx, cases.Filter{Queue: "application", Limit: 1})
		if err != nil || len(page) != 1 || page[0].ID != first.ID || next == "" {
			t.Fatalf("first page: %v %q %v", page, next, err)
		}
		page, next, err = e.svc.List(e.ctx, cases.Filter{Queue: "application", Limit: 1, Cursor: next})
		if err != nil || len(page) != 1 || page[0].ID != second.ID || next != "" {
			t.Fatalf("second page: %v %q %v", page, next, err)
		}
		if got, _, _ := e.svc.List(e.ctx, cases.Filter{Assignee: ops2.ID}); len(got) != 2 {
			t.Errorf("ravi's cases: %d, want 2", len(got))
		}
		if got, _, _ := e.svc.List(e.ctx, cases.Filter{CustomerID: "C-2", Status: cases.StatusAssigned}); len(got) != 1 || got[0].ID != second.ID {
			t.Errorf("C-2's assigned cases: %v", got)
		}
		if _, _, err := e.svc.List(e.ctx, cases.Filter{Queue: "nowhere"}); kind(err) != nirnay.KindNotFound {
			t.Errorf("listing an unknown queue: %v, want not found", err)
		}
		if _, _, err := e.svc.List(e.ctx, cases.Filter{Status: "closed"}); kind(err) != nirnay.KindInvalid {
			t.Errorf("listing a bad status: %v, want invalid", err)
		}
		rows, err := e.db.Reader().QueryContext(e.ctx, `SELECT action, actor_name FROM audit_log WHERE subject = $1 ORDER BY id`, "case/"+first.ID)
		if err != nil {
			t.Fatal(err)
		}
		var actions []string
		for rows.Next() {
			var a, n string
			if err := rows.Scan(&a, &n); err != nil {
				t.Fatal(err)
			}
			actions = append(actions, a+" by "+n)
		}
		rows.Close()
		want := []string{"case.claim by asha", "case.release by asha", "case.reassign by meera"}
		if !slices.Equal(actions, want) {
			t.Errorf("audit of %s: %v, want %v", first.ID, actions, want)
		}
	})
}

// TestDecide: only the reviewer holding a case decides it; the verdict is
// a logged decision (role manual, parent the reviewed one) whose approve
// offer is the policy's over the same features and input, lowered, never
// raised, by the reviewer; the same verdict again is answered unchanged,
// another is a conflict; the case_decided event is in the outbox.
func TestDecide(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ops1, ops2 := e.key(t, "asha", "ops"), e.key(t, "ravi", "ops")
		c := e.refer(t, "C-1", 180000) // under the ₹2,00,000 four-eyes amount
		approve := cases.Verdict{Outcome: nirnay.Approve, Reasons: []string{"INCOME_VERIFIED"}, Note: "payslips match"}
		if _, err := e.svc.Decide(e.ctx, ops1, c.ID, approve); kind(err) != nirnay.KindConflict {
			t.Errorf("deciding an unclaimed case: %v, want conflict", err)
		}
		if _, err := e.svc.Claim(e.ctx, ops1, c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Decide(e.ctx, ops2, c.ID, approve); kind(err) != nirnay.KindConflict {
			t.Errorf("deciding asha's case as ravi: %v, want conflict", err)
		}
		for _, bad := range []cases.Verdict{{Outcome: "maybe"}, {Outcome: nirnay.Decline}, {Outcome: nirnay.Approve, Reasons: []string{"lower case"}}} {
			if _, err := e.svc.Decide(e.ctx, ops1, c.ID, bad); kind(err) != nirnay.KindInvalid {
				t.Errorf("verdict %+v: %v, want invalid", bad, err)
			}
		}
		// The policy offers 6 × monthly income = 180000, tenure min(36, 24).
		raise, lower, shorter := int64(180001), int64(150000), int64(18)
		if _, err := e.svc.Decide(e.ctx, ops1, c.ID, cases.Verdict{Outcome: nirnay.Approve, Limit: &raise}); kind(err) != nirnay.KindUnprocessable {
			t.Errorf("raising the limit above the policy's offer: %v, want unprocessable", err)
		}
		approve.Limit, approve.TenureMonths = &lower, &shorter
		got, err := e.svc.Decide(e.ctx, ops1, c.ID, approve)
		if err != nil {
			t.Fatal(err)
		}
		r := got.Resolution
		if got.Status != cases.StatusDecided || got.Assignee != nil || r == nil || r.Outcome != nirnay.Approve || r.By.ID != ops1.ID ||
			r.Note != "payslips match" || mustJSON(t, r.Offer) != `{"annual_rate_bps":2000,"limit":150000,"tenure_months":18}` {
			t.Fatalf("decided case %s", mustJSON(t, got))
		}
		rec, err := e.log.Get(e.ctx, r.DecisionID)
		if err != nil {
			t.Fatalf("verdict decision %s: %v", r.DecisionID, err)
		}
		var body decisions.Body
		if err := json.Unmarshal(rec.Body, &body); err != nil {
			t.Fatal(err)
		}
		var resp map[string]any
		if err := json.Unmarshal(body.Response, &resp); err != nil {
			t.Fatal(err)
		}
		pol, _ := resp["policy"].(map[string]any)
		if rec.Role != nirnay.RoleManual || rec.ParentID != c.DecisionID || rec.Outcome != nirnay.Approve || rec.PolicyID != "refer" ||
			pol["role"] != "manual" || resp["parent_id"] != c.DecisionID || resp["case_id"] != c.ID || len(body.Features) == 0 ||
			body.Input["amount"] != float64(180000) {
			t.Errorf("verdict record %+v, response %s, input %v", rec, body.Response, body.Input)
		}
		if again, err := e.svc.Decide(e.ctx, ops1, c.ID, approve); err != nil || again.Resolution.DecisionID != r.DecisionID {
			t.Errorf("the same verdict again: %v, %v; want the case unchanged", again, err)
		}
		decline := cases.Verdict{Outcome: nirnay.Decline, Reasons: []string{"FORGED_PAYSLIP"}}
		if _, err := e.svc.Decide(e.ctx, ops1, c.ID, decline); kind(err) != nirnay.KindConflict {
			t.Errorf("another verdict on a decided case: %v, want conflict", err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM decisions WHERE role = 'manual' AND parent_id = $1`, c.DecisionID); n != 1 {
			t.Errorf("%d verdict decisions, want 1", n)
		}
		var payload string
		if err := e.db.Reader().QueryRowContext(e.ctx, `SELECT payload FROM outbox WHERE topic = 'case_decided' AND key = $1`, c.ID).Scan(&payload); err != nil {
			t.Fatalf("case_decided in the outbox: %v", err)
		}
		var ev cases.Decided
		if err := json.Unmarshal([]byte(payload), &ev); err != nil || ev.VerdictDecisionID != r.DecisionID || ev.Outcome != nirnay.Approve || ev.DecisionID != c.DecisionID {
			t.Errorf("case_decided payload %s", payload)
		}
		evs, _ := e.svc.Events(e.ctx, c.ID)
		var actions []string
		for _, ev := range evs {
			actions = append(actions, ev.Action)
		}
		if !slices.Equal(actions, []string{"opened", "claimed", "decided"}) {
			t.Errorf("events %v", actions)
		}
	})
}

// TestFourEyes: above the queue's amount the first verdict waits for a
// second, different reviewer, who decides.
func TestFourEyes(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ops1, ops2 := e.key(t, "asha", "ops"), e.key(t, "ravi", "ops")
		c := e.refer(t, "C-1", 250000) // above ₹2,00,000
		if _, err := e.svc.Claim(e.ctx, ops1, c.ID); err != nil {
			t.Fatal(err)
		}
		first := cases.Verdict{Outcome: nirnay.Approve, Reasons: []string{"OK"}}
		got, err := e.svc.Decide(e.ctx, ops1, c.ID, first)
		if err != nil || got.Status != cases.StatusAwaitingSecond || got.Assignee != nil || got.FirstReview == nil || got.Resolution != nil {
			t.Fatalf("first review: %s, %v; want awaiting_second", mustJSON(t, got), err)
		}
		if again, err := e.svc.Decide(e.ctx, ops1, c.ID, first); err != nil || again.Status != cases.StatusAwaitingSecond {
			t.Errorf("the first reviewer's same verdict again: %v, %v", again, err)
		}
		if _, err := e.svc.Claim(e.ctx, ops1, c.ID); kind(err) != nirnay.KindConflict {
			t.Errorf("the first reviewer claiming the second review: %v, want conflict", err)
		}
		if _, err := e.svc.Next(e.ctx, ops1, "application"); kind(err) != nirnay.KindNotFound {
			t.Errorf("next for the first reviewer: %v, want none waiting for them", err)
		}
		got, err = e.svc.Next(e.ctx, ops2, "application")
		if err != nil || got.ID != c.ID || got.Status != cases.StatusAwaitingSecond || got.Assignee.ID != ops2.ID {
			t.Fatalf("next for ravi: %v, %v", got, err)
		}
		got, err = e.svc.Decide(e.ctx, ops2, c.ID, cases.Verdict{Outcome: nirnay.Approve, Reasons: []string{"OK"}, Note: "second look"})
		if err != nil || got.Status != cases.StatusDecided || got.Resolution.By.ID != ops2.ID || got.FirstReview.By.ID != ops1.ID {
			t.Fatalf("second review: %s, %v", mustJSON(t, got), err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM decisions WHERE role = 'manual'`); n != 1 {
			t.Errorf("%d verdict decisions, want 1 (the first review is not one)", n)
		}
	})
}
