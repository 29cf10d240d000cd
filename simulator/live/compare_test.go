package live_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/simulator/live"
)

var d0 = time.Date(2026, 6, 1, 4, 0, 0, 0, time.UTC)

// Fates of approved applications in the test book.
const (
	fateNone     = iota // the offer is never taken
	fateBad             // disbursed on day 0, never repaid: 120 DPD by day 150
	fateGood            // disbursed on day 0 and foreclosed the same day
	fateImmature        // disbursed on day 100: 50 days old on day 150
)

type tally struct {
	decisions, approved         int64
	noLoan, bad, good, immature int64
	outcomes                    map[nirnay.Outcome]int64
}

// TestCompareChampionChallenger runs applications through the real loan
// book and decision service (credit@1 champion, credit@2 challenger for
// half the customers, credit@3 shadow), gives the approved loans
// constructed fates, archives part of the log to the cold tier, and checks
// every per-arm figure against the tally of what the test did.
func TestCompareChampionChallenger(t *testing.T) {
	t.Parallel()
	w := newWorld(t, d0)
	ctx := context.Background()
	scores := []int64{550, 650, 750, 800, 720}
	want := map[string]*tally{}
	agree := map[nirnay.Outcome]map[nirnay.Outcome]int64{} // acted-on → shadow outcome
	type pending struct {
		loanID, customer string
		fate             int
	}
	var taken []pending
	const customers = 60
	for n := range customers {
		id := fmt.Sprintf("C-%03d", n)
		w.feats.vals[id] = map[string]any{"bureau_score": scores[n%len(scores)], "monthly_income": 40000}
		if n == 7 {
			w.feats.asOf[id] = d0.Add(-40 * 24 * time.Hour) // a stale bureau score: the rule errors, review
		}
		app, err := w.book.Apply(ctx, loans.ApplicationRequest{CustomerID: id, ProductID: "personal-loan",
			Amount: money.Paise(100000_00), TenureMonths: 12, RequestID: "app-" + id})
		var stop *loans.StoppedError
		if err != nil && !errors.As(err, &stop) {
			t.Fatalf("apply %s: %v", id, err)
		}
		rec, ferr := w.log.FindByRequest(ctx, id, "app-"+id)
		if ferr != nil {
			t.Fatal(ferr)
		}
		arm := string(rec.Role) + " " + fmt.Sprintf("%s@%d", rec.PolicyID, rec.PolicyVersion)
		tl := want[arm]
		if tl == nil {
			tl = &tally{outcomes: map[nirnay.Outcome]int64{}}
			want[arm] = tl
		}
		tl.decisions++
		tl.outcomes[rec.Outcome]++
		shadowOutcome := nirnay.Decline
		if scores[n%len(scores)] >= 750 && n != 7 {
			shadowOutcome = "approve"
		} else if n == 7 {
			shadowOutcome = "review"
		}
		if agree[rec.Outcome] == nil {
			agree[rec.Outcome] = map[nirnay.Outcome]int64{}
		}
		agree[rec.Outcome][shadowOutcome]++
		if err != nil {
			continue
		}
		tl.approved++
		fate := (n / len(scores)) % 4
		switch fate {
		case fateNone:
			tl.noLoan++
			continue
		case fateBad:
			tl.bad++
		case fateGood:
			tl.good++
		case fateImmature:
			tl.immature++
		}
		l := app.Loan
		if _, err := w.book.Accept(ctx, l.ID, loans.Consent{KFSDigest: l.KFSDigest, Agreed: true, AccountHash: "acct-" + id, AccountVerified: true}); err != nil {
			t.Fatalf("accept %s: %v", id, err)
		}
		taken = append(taken, pending{l.ID, id, fate})
	}
	// Day 0: disburse the bad and good loans; foreclose the good ones.
	for _, p := range taken {
		if p.fate == fateImmature {
			continue
		}
		if _, err := w.book.Disburse(ctx, p.loanID, "acct-"+p.customer); err != nil {
			t.Fatalf("disburse %s: %v", p.loanID, err)
		}
		if p.fate == fateGood {
			q, err := w.book.Quote(ctx, p.loanID, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := w.book.Foreclose(ctx, p.loanID, loans.PaymentRequest{Key: "fc-" + p.loanID, Amount: q.Total}); err != nil {
				t.Fatalf("foreclose %s: %v", p.loanID, err)
			}
		}
	}
	w.loanAt.Add(100 * 24 * time.Hour)
	for _, p := range taken {
		if p.fate == fateImmature {
			if _, err := w.book.Disburse(ctx, p.loanID, "acct-"+p.customer); err != nil {
				t.Fatalf("disburse %s: %v", p.loanID, err)
			}
		}
	}
	w.loanAt.Add(50 * 24 * time.Hour)
	if _, err := w.book.DayEnd(ctx, w.book.Today()); err != nil {
		t.Fatalf("day-end: %v", err)
	}
	w.ship(t)
	// Half the decisions go to the cold tier.
	moved, err := w.log.Archive(ctx, d0.Add(customers/2*time.Minute))
	if err != nil || moved == 0 {
		t.Fatalf("archive: moved %d, %v; want some moved", moved, err)
	}

	got, err := live.Compare(ctx, live.FromLog(w.log), w.db, live.CompareOptions{
		Range: live.Range{Step: "application", From: d0.Add(-time.Hour), To: d0.Add(24 * time.Hour)},
		AsOf:  w.loanAt.Now(),
	})
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		b, _ := json.MarshalIndent(got, "", " ")
		t.Logf("%s", b)
	}
	if got.Decisions != customers {
		t.Errorf("decisions = %d, want %d", got.Decisions, customers)
	}
	if len(got.Arms) != 2 || got.Arms[0].Role != nirnay.RoleChampion || got.Arms[1].Role != nirnay.RoleChallenger {
		t.Fatalf("arms = %+v; want the champion then the challenger", got.Arms)
	}
	for _, a := range got.Arms {
		tl := want[string(a.Role)+" "+a.Policy]
		if tl == nil {
			t.Fatalf("arm %s %s was not in the traffic", a.Role, a.Policy)
		}
		if a.Decisions != tl.decisions || a.Customers != tl.decisions || a.Approved != tl.approved {
			t.Errorf("%s: decisions %d customers %d approved %d; want %d, %d, %d", a.Policy, a.Decisions, a.Customers, a.Approved, tl.decisions, tl.decisions, tl.approved)
		}
		for o, n := range tl.outcomes {
			if a.Outcomes[o] != n {
				t.Errorf("%s: %s = %d, want %d", a.Policy, o, a.Outcomes[o], n)
			}
		}
		r := a.Repayment
		if r.NoLoan != tl.noLoan || r.Bad != tl.bad || r.Good != tl.good || r.Immature != tl.immature || r.Disbursed != tl.bad+tl.good+tl.immature {
			t.Errorf("%s repayment = %+v; want no loan %d, bad %d, good %d, immature %d", a.Policy, r, tl.noLoan, tl.bad, tl.good, tl.immature)
		}
		if den := tl.bad + tl.good; den > 0 {
			wantRate := (tl.bad*20000 + den) / (2 * den)
			if r.BadRateBps == nil || *r.BadRateBps != wantRate {
				t.Errorf("%s bad rate = %v bps, want %d", a.Policy, r.BadRateBps, wantRate)
			}
		}
	}
	if want["challenger credit@2"].approved >= want["champion credit@1"].approved*2 || want["champion credit@1"].bad == 0 {
		t.Fatalf("the constructed book is degenerate: %+v", want)
	}
	if len(got.Comparisons) != 1 {
		t.Fatalf("comparisons = %d, want 1", len(got.Comparisons))
	}
	cmp := got.Comparisons[0]
	ch, cl := want["champion credit@1"], want["challenger credit@2"]
	if cmp.ApprovalRate.A.X != ch.approved || cmp.ApprovalRate.A.N != ch.decisions || cmp.ApprovalRate.B.X != cl.approved ||
		cmp.BadRate.A.N != ch.bad+ch.good || cmp.BadRate.B.X != cl.bad || cmp.ApprovalRate.Z == nil {
		t.Errorf("comparison = %+v; want approval %d/%d vs %d/%d", cmp, ch.approved, ch.decisions, cl.approved, cl.decisions)
	}
	if len(got.Shadows) != 1 || got.Shadows[0].Shadow != "credit@3" || got.Shadows[0].Compared != customers {
		t.Fatalf("shadows = %+v; want credit@3 compared on %d decisions", got.Shadows, customers)
	}
	for acted, row := range agree {
		for sh, n := range row {
			if got.Shadows[0].Matrix[acted][sh] != n {
				t.Errorf("agreement[%s][%s] = %d, want %d", acted, sh, got.Shadows[0].Matrix[acted][sh], n)
			}
		}
	}
	if len(got.Censoring) < 3 {
		t.Errorf("censoring notes = %q; want the general notes and one per arm", got.Censoring)
	}
}

func TestTwoProportion(t *testing.T) {
	t.Parallel()
	z := live.TwoProportion(50, 100, 70, 100)
	if z.Z == nil || *z.Z != 2.8868 || z.PValue == nil || *z.PValue != 0.0039 || !z.Significant || *z.DifferenceBps != 2000 {
		t.Errorf("50/100 vs 70/100: z %v p %v significant %v; want z 2.8868, p 0.0039, significant", deref(z.Z), deref(z.PValue), z.Significant)
	}
	z = live.TwoProportion(1, 10, 2, 10)
	if z.ApproximationOK || z.Significant {
		t.Errorf("1/10 vs 2/10: approximation ok %v, significant %v; want neither", z.ApproximationOK, z.Significant)
	}
	z = live.TwoProportion(0, 0, 5, 10)
	if z.Z != nil || z.A.RateBps != nil {
		t.Errorf("empty arm: z %v; want null", deref(z.Z))
	}
}

func deref(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}
