package live_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/simulator/live"
)

// TestCompareReviewerAgreement: the reviewers' verdicts on the range's
// referred decisions (given after the range) are counted, each shadow's
// agreement with them, and each referring rule's approval rate.
func TestCompareReviewerAgreement(t *testing.T) {
	db := testenv.SQLite(t)
	l, err := decisionlog.Open(t.TempDir(), db, decisionlog.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var recs []*decisionlog.Record
	rec := func(id, parent string, role nirnay.PolicyRole, version int, outcome nirnay.Outcome, at time.Time, rules ...string) {
		body := `{"response": {"rules": [`
		for i, r := range rules {
			if i > 0 {
				body += ", "
			}
			body += `{"id": "` + r + `", "fired": true}`
		}
		body += `]}}`
		recs = append(recs, &decisionlog.Record{ID: id, ParentID: parent, CustomerID: "C-" + id, Step: "application", Outcome: outcome,
			PolicyID: "credit", PolicyVersion: version, Role: role, DecidedAt: at, Rules: rules, Body: []byte(body)})
	}
	// Ten referred decisions: the first four by big_ask (reviewers approve
	// three), the rest by thin_file (reviewers decline them); the shadow
	// credit@3 approves big asks and declines thin files, so it agrees on
	// 3 + 6 = 9 of 10. One referral is still waiting for its verdict.
	for i := range 11 {
		id := fmt.Sprintf("dec_%02d", i)
		at := from.Add(time.Duration(i) * time.Hour)
		rule, shadow, verdict := "big_ask", nirnay.Approve, nirnay.Approve
		if i >= 4 {
			rule, shadow, verdict = "thin_file", nirnay.Decline, nirnay.Decline
		}
		if i == 3 {
			verdict = nirnay.Decline
		}
		rec(id, "", nirnay.RoleChampion, 1, nirnay.Review, at, rule)
		rec(id+".s1", id, nirnay.RoleShadow, 3, shadow, at)
		if i < 10 {
			rec("dec_v"+id[4:], id, nirnay.RoleManual, 1, verdict, from.Add(40*24*time.Hour)) // after the range
		}
	}
	rec("dec_approved", "", nirnay.RoleChampion, 1, nirnay.Approve, from)
	if err := db.InTx(context.Background(), func(tx *sql.Tx) error { return decisionlog.WriteTx(context.Background(), tx, db.Dialect, recs...) }); err != nil {
		t.Fatal(err)
	}
	c, err := live.Compare(context.Background(), live.Decisions{Hot: l}, db, live.CompareOptions{
		Range: live.Range{Step: "application", From: from, To: from.AddDate(0, 0, 30)}, AsOf: from.AddDate(0, 0, 60)})
	if err != nil {
		t.Fatal(err)
	}
	r := c.Reviewers
	if c.Decisions != 12 || r.Referred != 11 || r.Reviewed != 10 || r.Verdicts[nirnay.Approve] != 3 || r.Verdicts[nirnay.Decline] != 7 {
		t.Fatalf("decisions %d, reviewers %+v; want 12 decisions (verdicts are not arms), 11 referred, 10 reviewed: 3 approved, 7 declined", c.Decisions, r)
	}
	if len(r.Candidates) != 1 || r.Candidates[0].Shadow != "credit@3" || r.Candidates[0].Compared != 10 || r.Candidates[0].Agree != 9 ||
		*r.Candidates[0].AgreementBps != 9000 || r.Candidates[0].Matrix[nirnay.Decline][nirnay.Approve] != 1 {
		t.Errorf("candidates %+v; want credit@3 agreeing on 9 of 10 (9000 bps), once approving what a reviewer declined", r.Candidates)
	}
	if len(r.Rules) != 2 || r.Rules[0].Rule != "thin_file" || r.Rules[0].Reviewed != 6 || r.Rules[0].Approved != 0 ||
		r.Rules[1].Rule != "big_ask" || r.Rules[1].Approved != 3 || *r.Rules[1].ApprovalRateBps != 7500 {
		t.Errorf("rules %+v; want thin_file 0 of 6 approved, big_ask 3 of 4 (7500 bps)", r.Rules)
	}
	for _, a := range c.Arms {
		if a.Role == nirnay.RoleManual {
			t.Errorf("a manual arm %+v: verdicts are not an arm", a)
		}
	}
}
