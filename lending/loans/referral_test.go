package loans_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/product"
)

// referring runs fn on both backends with a lending core whose referred
// steps wait on their case (Options.Referrals), as the service wires it.
func referring(t *testing.T, fn func(t *testing.T, e *env)) {
	backends(t, func(t *testing.T, e *env) {
		cat, err := product.Default()
		if err != nil {
			t.Fatal(err)
		}
		e.svc = loans.New(e.db, cat, e.dec, loans.Options{Now: e.clk.Now, Referrals: true})
		fn(t, e)
	})
}

// referral is a review verdict for step with its own decision id.
func referral(id string, reasons ...string) loans.Verdict {
	return loans.Verdict{DecisionID: "dec_" + id, Outcome: nirnay.Review, Reasons: reasons}
}

func verdict(id string, outcome nirnay.Outcome, offer nirnay.Offer, reasons ...string) loans.CaseVerdict {
	return loans.CaseVerdict{CaseID: "case_" + id, DecisionID: "dec_" + id, VerdictID: "dec_v" + id, Outcome: outcome, Reasons: reasons, Offer: offer}
}

// TestReferredApplication: an application referred for review is
// recorded referred (never declined), a retry is told it waits on its
// case, and the verdict offers it (the reviewer's offer, bounded by what
// was asked) or declines it with the reviewer's reasons, once.
func TestReferredApplication(t *testing.T) {
	referring(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		apply := func(customer string) (*loans.Application, error) {
			return e.svc.Apply(ctx, loans.ApplicationRequest{CustomerID: customer, ProductID: "personal-loan", Amount: rs("150000"),
				TenureMonths: 24, RequestID: "app-" + customer})
		}
		e.dec.stop[loans.StepApplication] = referral("a1", "THIN_FILE")
		_, err := apply("C-1")
		var stop *loans.StoppedError
		if !errors.As(err, &stop) || stop.Outcome != nirnay.Review || stop.CaseID != "case_a1" || stop.SubjectID == "" {
			t.Fatalf("referred application: %v; want a review naming case_a1 and the loan", err)
		}
		id := stop.SubjectID
		l, err := e.svc.Get(ctx, id)
		if err != nil || l.Status != loans.StatusReferred || l.Referral == nil || l.Referral.CaseID != "case_a1" || l.Referral.Status != loans.ReferralReferred {
			t.Fatalf("referred loan %+v, %v; want referred, waiting on case_a1", l, err)
		}
		if _, err := apply("C-1"); !errors.As(err, &stop) || stop.CaseID != "case_a1" || stop.Outcome != nirnay.Review {
			t.Fatalf("retry while referred: %v; want the same referral", err)
		}
		// The verdict: approve with a limit of 120,000 and 18 months.
		offer := nirnay.Offer{"limit": int64(120000), "annual_rate_bps": int64(2000), "tenure_months": int64(18)}
		for range 2 { // a redelivered case_decided event changes nothing more
			if err := e.svc.Resume(ctx, verdict("a1", nirnay.Approve, offer, "INCOME_VERIFIED")); err != nil {
				t.Fatal(err)
			}
		}
		l, err = e.svc.Get(ctx, id)
		if err != nil || l.Status != loans.StatusOffered || l.Amount != rs("120000") || l.TenureMonths != 18 || l.AnnualRateBPS != 2000 ||
			l.KFSDigest == "" || l.Referral.Status != loans.ReferralApproved || l.Referral.VerdictDecisionID != "dec_va1" {
			t.Fatalf("after approve: %+v, %v; want offered 120000 over 18 months at 2000 bps with a KFS", l, err)
		}
		if app, err := apply("C-1"); err != nil || app.Loan.ID != id || app.Loan.Status != loans.StatusOffered {
			t.Errorf("retry after the verdict: %v, %v; want the offered loan", app, err)
		}
		if _, err := e.svc.Accept(ctx, id, loans.Consent{KFSDigest: l.KFSDigest, Agreed: true, AccountHash: "acct-1", AccountVerified: true}); err != nil {
			t.Errorf("accepting the offer made on the verdict: %v", err)
		}
		if n := countEvents(t, e, id, "referral_approved"); n != 1 {
			t.Errorf("%d referral_approved events, want 1", n)
		}

		// Declined by the reviewer.
		e.dec.stop[loans.StepApplication] = referral("a2")
		if _, err := apply("C-2"); !errors.As(err, &stop) {
			t.Fatal(err)
		}
		if err := e.svc.Resume(ctx, verdict("a2", nirnay.Decline, nil, "FORGED_PAYSLIP")); err != nil {
			t.Fatal(err)
		}
		if l, _ := e.svc.Get(ctx, stop.SubjectID); l.Status != loans.StatusDeclined || !slices.Equal(l.Reasons, []string{"FORGED_PAYSLIP"}) {
			t.Errorf("after decline: %s %v; want declined with FORGED_PAYSLIP", l.Status, l.Reasons)
		}
		if _, err := apply("C-2"); !errors.As(err, &stop) || stop.Outcome != nirnay.Decline || !slices.Equal(stop.Reasons, []string{"FORGED_PAYSLIP"}) {
			t.Errorf("retry after the decline: %v; want a decline with the reviewer's reasons", err)
		}
		// A verdict no lending step waits on (a direct decision) is nothing to do.
		if err := e.svc.Resume(ctx, verdict("nobody", nirnay.Approve, nil)); err != nil {
			t.Errorf("a verdict with no referral: %v", err)
		}
	})
}

// TestReferredLine: a credit-line application, a draw and a limit
// increase referred for review each wait on their case.
func TestReferredLine(t *testing.T) {
	referring(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.dec.stop[loans.StepApplication] = referral("l1")
		_, err := e.svc.Apply(ctx, loans.ApplicationRequest{CustomerID: "C-L", ProductID: "credit-line", Amount: rs("60000")})
		var stop *loans.StoppedError
		if !errors.As(err, &stop) || stop.CaseID != "case_l1" {
			t.Fatalf("referred line: %v", err)
		}
		lineID := stop.SubjectID
		if c, _ := e.svc.GetLine(ctx, lineID); c.Status != loans.StatusReferred {
			t.Fatalf("line %s, want referred", c.Status)
		}
		if err := e.svc.Resume(ctx, verdict("l1", nirnay.Approve, nirnay.Offer{"limit": int64(50000)})); err != nil {
			t.Fatal(err)
		}
		c, err := e.svc.GetLine(ctx, lineID)
		if err != nil || c.Status != loans.StatusOffered || c.Limit != rs("50000") {
			t.Fatalf("line after approve: %+v, %v; want offered with 50000", c, err)
		}
		delete(e.dec.stop, loans.StepApplication)
		if _, err := e.svc.AcceptLine(ctx, lineID, loans.Consent{Agreed: true, AccountHash: "acct", AccountVerified: true}); err != nil {
			t.Fatal(err)
		}

		// A draw referred, then disbursed on approve.
		e.dec.stop[loans.StepDisbursal] = referral("d1", "MULE_SIGNAL")
		kfs, dig, err := e.svc.DrawKFS(ctx, lineID, rs("10000"), 6)
		if err != nil || len(kfs) == 0 {
			t.Fatal(err)
		}
		_, err = e.svc.Draw(ctx, lineID, loans.DrawRequest{Amount: rs("10000"), TenureMonths: 6, AccountHash: "acct", KFSDigest: dig, Agreed: true})
		if !errors.As(err, &stop) || stop.CaseID != "case_d1" {
			t.Fatalf("referred draw: %v", err)
		}
		drawID := stop.SubjectID
		if d, _ := e.svc.Get(ctx, drawID); d.Status != loans.StatusReferred || d.State != nil {
			t.Fatalf("referred draw %s, want referred and not disbursed", d.Status)
		}
		if c, _ := e.svc.GetLine(ctx, lineID); c.Available != rs("50000") {
			t.Errorf("available while the draw is referred: %s, want 50000", c.Available)
		}
		if err := e.svc.Resume(ctx, verdict("d1", nirnay.Approve, nil, "ACCOUNT_CHECKED")); err != nil {
			t.Fatal(err)
		}
		if d, _ := e.svc.Get(ctx, drawID); d.Status != loans.StatusActive || d.State == nil || d.DisbursedOn == "" {
			t.Fatalf("draw after approve: %s; want active", d.Status)
		}
		if c, _ := e.svc.GetLine(ctx, lineID); c.Available != rs("40000") {
			t.Errorf("available after the draw: %s, want 40000", c.Available)
		}
		reconcileClean(t, e)

		// A limit increase referred: asked again meanwhile, the same referral;
		// on approve raised to the reviewer's offer.
		e.dec.stop[loans.StepLimitIncrease] = referral("li1")
		if _, err := e.svc.LimitIncrease(ctx, lineID, rs("90000"), true, ""); !errors.As(err, &stop) || stop.CaseID != "case_li1" {
			t.Fatalf("referred limit increase: %v", err)
		}
		delete(e.dec.stop, loans.StepLimitIncrease)
		if _, err := e.svc.LimitIncrease(ctx, lineID, rs("90000"), true, ""); !errors.As(err, &stop) || stop.CaseID != "case_li1" {
			t.Fatalf("limit increase asked again while referred: %v; want the pending referral", err)
		}
		if c, _ := e.svc.GetLine(ctx, lineID); c.LimitIncrease == nil || c.LimitIncrease.Status != loans.ReferralReferred || c.Limit != rs("50000") {
			t.Fatalf("line while the increase is referred: %+v", c)
		}
		if err := e.svc.Resume(ctx, verdict("li1", nirnay.Approve, nirnay.Offer{"limit": int64(75000)})); err != nil {
			t.Fatal(err)
		}
		if c, _ := e.svc.GetLine(ctx, lineID); c.Limit != rs("75000") || c.LimitIncrease.Status != loans.ReferralApproved {
			t.Errorf("line after approve: limit %s, referral %+v; want 75000, approved", c.Limit, c.LimitIncrease)
		}
	})
}

// TestReferredDisbursal: a disbursal referred for review leaves the
// accepted loan referred; a retry is told so; a decline ends it declined.
func TestReferredDisbursal(t *testing.T) {
	referring(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		id := acceptedLoan(t, e, "C-D", rs("50000"), 6, "acct-d").ID
		e.dec.stop[loans.StepDisbursal] = referral("x1", "NEW_BANK_ACCOUNT")
		var stop *loans.StoppedError
		if _, err := e.svc.Disburse(ctx, id, "acct-d"); !errors.As(err, &stop) || stop.CaseID != "case_x1" || stop.SubjectID != id {
			t.Fatalf("referred disbursal: %v", err)
		}
		calls := len(e.dec.calls)
		if _, err := e.svc.Disburse(ctx, id, "acct-d"); !errors.As(err, &stop) || stop.CaseID != "case_x1" || len(e.dec.calls) != calls {
			t.Fatalf("disbursal tried again while referred: %v (%d decisions more); want the pending referral, no new decision", err, len(e.dec.calls)-calls)
		}
		if err := e.svc.Resume(ctx, verdict("x1", nirnay.Decline, nil, "MULE_ACCOUNT")); err != nil {
			t.Fatal(err)
		}
		l, _ := e.svc.Get(ctx, id)
		if l.Status != loans.StatusDeclined || l.State != nil || !slices.Equal(l.Reasons, []string{"MULE_ACCOUNT"}) {
			t.Errorf("after decline: %s %v; want declined with MULE_ACCOUNT, never disbursed", l.Status, l.Reasons)
		}
		if _, err := e.svc.Disburse(ctx, id, "acct-d"); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Errorf("disbursing a declined loan: %v, want conflict", err)
		}
	})
}

func countEvents(t *testing.T, e *env, subject, typ string) int {
	t.Helper()
	var n int
	if err := e.db.Reader().QueryRow(`SELECT COUNT(*) FROM lending_events WHERE subject_id = $1 AND type = $2`, subject, typ).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestReviewStopsWithoutReferrals: a lending core not wired to review
// cases stops a referred step as before (a declined application).
func TestReviewStopsWithoutReferrals(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		e.dec.stop[loans.StepApplication] = referral("n1")
		_, err := e.svc.Apply(context.Background(), loans.ApplicationRequest{CustomerID: "C-N", ProductID: "personal-loan", Amount: rs("50000"), TenureMonths: 6})
		var stop *loans.StoppedError
		if !errors.As(err, &stop) || stop.CaseID != "" {
			t.Fatalf("review without referrals: %v", err)
		}
		if l, _ := e.svc.Get(context.Background(), stop.SubjectID); l.Status != loans.StatusDeclined || l.Referral != nil {
			t.Errorf("application %s, referral %v; want declined with none", l.Status, l.Referral)
		}
	})
}
