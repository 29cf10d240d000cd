package live_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions/decisionstest"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/simulator/live"
	"github.com/nirnay/nirnay/store"
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

// TestReplayReportsReviewerAgreement replays referred decisions of the log
// (September archived to the cold tier, October hot) through credit@1 and
// credit@2 and checks the report's comparison with the reviewers'
// verdicts, which were given in either tier, up to 14 days after the range.
//
// The referrals (live rules in brackets):
//   - 4 with bureau 650 [big_ask]: reviewers approve 3, decline 1;
//     credit@1 approves them, credit@2 declines them;
//   - 3 with bureau 550 [thin_file]: reviewers decline; both decline;
//   - 2 without a bureau score [thin_file, stale_score]: reviewers approve;
//     both refer again (the rule reading the score errors);
//   - 1 never reviewed, 1 reviewed 20 days after the range (past the window).
//
// Two approvals are not referrals, a shadow of a referral is not replayed,
// and a verdict on a decision before the range counts for nothing.
func TestReplayReportsReviewerAgreement(t *testing.T) {
	testenv.ParallelBackends(t, func(t *testing.T, _ testenv.Backend, db *store.DB) {
		ctx := context.Background()
		l := decisionstest.Log(t, db, decisionlog.Options{Linger: time.Millisecond})
		c := decisionstest.Bundle(t, os.DirFS("testdata"), "credit-v1.yaml", "credit-v2.yaml")
		from := time.Date(2026, 9, 25, 0, 0, 0, 0, time.UTC)
		to := time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)
		gen := ids.New(nil)
		var recs []*decisionlog.Record
		n := 0
		decision := func(role nirnay.PolicyRole, parent string, outcome nirnay.Outcome, at time.Time, score any, fired ...string) string {
			n++
			id := gen.At("dec", at)
			feats := map[string]any{"monthly_income": 40000}
			if score != nil {
				feats["bureau_score"] = score
			}
			var rr []map[string]any
			for _, r := range fired {
				rr = append(rr, map[string]any{"id": r, "fired": true})
			}
			body, _ := json.Marshal(map[string]any{"input": map[string]any{"amount": 50000}, "features": feats,
				"response": map[string]any{"decision_id": id, "rules": rr}})
			recs = append(recs, &decisionlog.Record{ID: id, ParentID: parent, RequestID: fmt.Sprintf("r-%d", n), CustomerID: fmt.Sprintf("C-%02d", n),
				Step: "application", Outcome: outcome, PolicyID: "credit", PolicyVersion: 1, Role: role, DecidedAt: at, Rules: fired, Body: body})
			return id
		}
		verdict := func(of string, v nirnay.Outcome, at time.Time) {
			decision(nirnay.RoleManual, of, v, at, nil)
		}
		day := func(d int) time.Time { return from.AddDate(0, 0, d).Add(10 * time.Hour) } // day 0: 25 September
		for i := range 4 {
			id := decision(nirnay.RoleChampion, "", nirnay.Review, day(i), 650, "big_ask")
			v := nirnay.Approve
			if i == 3 {
				v = nirnay.Decline
			}
			verdict(id, v, day(i+9)) // in October: hot
			if i == 0 {
				decision(nirnay.RoleShadow, id, nirnay.Approve, day(i), 650)
			}
		}
		for i := range 3 {
			id := decision(nirnay.RoleChampion, "", nirnay.Review, day(2+i), 550, "thin_file")
			verdict(id, nirnay.Decline, day(3+i)) // 28 to 30 September: cold
		}
		for i := range 2 {
			id := decision(nirnay.RoleChallenger, "", nirnay.Review, day(6+i), nil, "thin_file", "stale_score")
			verdict(id, nirnay.Approve, day(19)) // 14 October, near the window's end
		}
		decision(nirnay.RoleChampion, "", nirnay.Review, day(1), 650, "big_ask")
		late := decision(nirnay.RoleChampion, "", nirnay.Review, day(7), 650, "big_ask")
		verdict(late, nirnay.Approve, day(28)) // 23 October: past the window
		decision(nirnay.RoleChampion, "", nirnay.Approve, day(1), 760)
		decision(nirnay.RoleChampion, "", nirnay.Approve, day(7), 760)
		before := decision(nirnay.RoleChampion, "", nirnay.Review, day(-3), 650, "big_ask")
		verdict(before, nirnay.Approve, day(1))
		if err := l.Append(recs...); err != nil {
			t.Fatal(err)
		}
		ship(t, l)
		if moved, err := l.Archive(ctx, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)); err != nil || moved != 15 {
			t.Fatalf("archive September: moved %d, %v; want its 15 decisions and verdicts", moved, err)
		}

		c1, _ := c.Registry.Get(rules.PolicyRef{ID: "credit", Version: 1})
		c2, _ := c.Registry.Get(rules.PolicyRef{ID: "credit", Version: 2})
		rng := live.Range{Step: "application", From: from, To: to}
		rep := replay(t, l, rng, live.SourceOptions{}, c1, c2, c.Builder)
		if rep.Records != 13 {
			t.Fatalf("replayed %d records, want 13 (11 referrals and 2 approvals; no shadow, verdict or decision outside the range)", rep.Records)
		}
		rv := rep.Reviewers
		if rv == nil {
			t.Fatal("the report has no reviewers section; want one (9 referrals have verdicts)")
		}
		got, err := json.MarshalIndent(rv, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		want := `{
  "referred": 11,
  "reviewed": 9,
  "verdicts_until": "2026-10-17T00:00:00Z",
  "verdicts": {
    "approve": 5,
    "decline": 4
  },
  "baseline": {
    "compared": 9,
    "agree": 6,
    "agreement_bps": 6667,
    "matrix": {
      "approve": {
        "approve": 3,
        "review": 2
      },
      "decline": {
        "approve": 1,
        "decline": 3
      }
    },
    "still_refers": 2,
    "disagree": 1
  },
  "candidate": {
    "compared": 9,
    "agree": 4,
    "agreement_bps": 4444,
    "matrix": {
      "approve": {
        "decline": 3,
        "review": 2
      },
      "decline": {
        "decline": 4
      }
    },
    "still_refers": 2,
    "disagree": 3
  },
  "rules": [
    {
      "rule": "thin_file",
      "reviewed": 5,
      "approved": 2,
      "approval_rate_bps": 4000
    },
    {
      "rule": "big_ask",
      "reviewed": 4,
      "approved": 3,
      "approval_rate_bps": 7500
    },
    {
      "rule": "stale_score",
      "reviewed": 2,
      "approved": 2,
      "approval_rate_bps": 10000
    }
  ]
}`
		if string(got) != want {
			t.Errorf("reviewers section:\n%s\nwant:\n%s", got, want)
		}

		// Without a window no verdict is read, and the section is left out.
		rep2 := replay(t, l, rng, live.SourceOptions{VerdictWindow: -1}, c1, c2, c.Builder)
		if rep2.Reviewers != nil {
			t.Errorf("no verdicts read, yet reviewers = %+v; want the section omitted", rep2.Reviewers)
		}
		b, _ := rep2.MarshalIndent()
		if strings.Contains(string(b), `"reviewers"`) {
			t.Errorf("report.json without verdicts has a reviewers key")
		}
	})
}
