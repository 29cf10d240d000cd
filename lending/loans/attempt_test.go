package loans_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/loans"
)

// TestAcceptAttempts: each acceptance attempt is its own decision named by
// the client's key; retries of an attempt replay it; a new attempt after a
// decline is decided again; the input carries what the lending core knows.
func TestAcceptAttempts(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.dec.offer = map[string]any{"limit": int64(80000)}
		l := offeredLoan(t, e, "C-A", rs("100000"), 12)
		consent := func(key string) loans.Consent {
			return loans.Consent{KFSDigest: l.KFSDigest, Agreed: true, AccountHash: "acct-a", AccountVerified: true, RequestID: key}
		}
		e.dec.stop[loans.StepOfferAccept] = loans.Verdict{DecisionID: "dec_declined", Outcome: "decline", Reasons: []string{"REPAYMENT_MANDATE_NOT_ACTIVE"}}
		var stop *loans.StoppedError
		if _, err := e.svc.Accept(ctx, l.ID, consent("k1")); !errors.As(err, &stop) || stop.Outcome != "decline" {
			t.Fatalf("accept with the decline in place: got %v, want a decline", err)
		}
		if got, want := e.dec.lastID(), "offer_accept:"+l.ID+":k1"; got != want {
			t.Errorf("decision request id %q, want %q", got, want)
		}
		in := e.dec.input(loans.StepOfferAccept)
		want := map[string]any{"amount": int64(80000), "offer_limit": int64(80000), "kfs_acknowledged": true, "loan_agreement_esigned": true,
			"consent": true, "kfs_digest": l.KFSDigest, "tenure_months": int64(12), "loan_id": l.ID,
			"offer_generated_at": l.CreatedAt.UTC().Format(time.RFC3339)}
		for k, v := range want {
			if in[k] != v {
				t.Errorf("offer_accept input %s = %#v, want %#v", k, in[k], v)
			}
		}

		delete(e.dec.stop, loans.StepOfferAccept) // the cause is fixed
		if _, err := e.svc.Accept(ctx, l.ID, consent("k1")); !errors.As(err, &stop) || stop.DecisionID != "dec_declined" {
			t.Fatalf("retry of attempt k1: got %v, want its decline replayed", err)
		}
		got, err := e.svc.Accept(ctx, l.ID, consent("k2"))
		if err != nil || got.Status != loans.StatusAccepted {
			t.Fatalf("new attempt k2: got %v, %v; want accepted", got, err)
		}
		n := e.dec.counter
		if got, err := e.svc.Accept(ctx, l.ID, consent("k2")); err != nil || got.Status != loans.StatusAccepted || e.dec.counter != n {
			t.Errorf("retry of the accepting attempt k2: got %v, %v, %d new decisions; want the accepted loan, none", got, err, e.dec.counter-n)
		}
		if _, err := e.svc.Accept(ctx, l.ID, consent("k1")); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Errorf("attempt k1 on the accepted loan: got %v, want a conflict", err)
		}
	})
}

// TestDisburseAttempts: without a key every disbursal call is a new
// decision, so a referral cleared by a reviewer does not stick.
func TestDisburseAttempts(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		id := acceptedLoan(t, e, "C-D", rs("50000"), 6, "acct-d").ID
		e.dec.stop[loans.StepDisbursal] = loans.Verdict{DecisionID: "dec_review", Outcome: "review", Reasons: []string{"NEW_BANK_ACCOUNT"}}
		var ids []string
		for range 2 {
			var stop *loans.StoppedError
			if _, err := e.svc.Disburse(ctx, id, "acct-d"); !errors.As(err, &stop) || stop.Outcome != "review" {
				t.Fatalf("disburse under review: got %v, want a review", err)
			}
			ids = append(ids, e.dec.lastID())
		}
		if ids[0] == ids[1] || !strings.HasPrefix(ids[0], "disbursal:"+id+":") {
			t.Errorf("disbursal request ids without a key %q; want two different ids disbursal:%s:…", ids, id)
		}
		if in := e.dec.input(loans.StepDisbursal); in["account_verified"] != true || in["account_hash"] != "acct-d" || in["amount"] != int64(50000) {
			t.Errorf("disbursal input %v; want account_verified true, account_hash acct-d, amount 50000", in)
		}
		if _, err := e.svc.DisburseWith(ctx, id, loans.DisburseRequest{AccountHash: "acct-d", RequestID: strings.Repeat("k", 129)}); !nirnay.IsKind(err, nirnay.KindInvalid) {
			t.Errorf("a 129-character key: got %v, want KindInvalid", err)
		}
		delete(e.dec.stop, loans.StepDisbursal) // a reviewer cleared it
		l, err := e.svc.DisburseWith(ctx, id, loans.DisburseRequest{AccountHash: "acct-d", RequestID: "d-3"})
		if err != nil || l.Status != loans.StatusActive {
			t.Fatalf("disbursal after the review: got %v, %v; want active", l, err)
		}
		if got, want := e.dec.lastID(), "disbursal:"+id+":d-3"; got != want {
			t.Errorf("decision request id %q, want %q", got, want)
		}
	})
}

// TestRepaymentFacts: the repayment decision is told what the borrower
// owes on the payment date and what of it is past due.
func TestRepaymentFacts(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		l := activeLoan(t, e, "C-R", rs("100000"), 12)
		if _, _, err := e.svc.Pay(ctx, l.ID, loans.PaymentRequest{Key: "p0", Amount: rs("100")}); err != nil {
			t.Fatal(err)
		}
		in := e.dec.input(loans.StepRepayment)
		if in["loan_outstanding"] != int64(100000) || in["loan_overdue"] != int64(0) || in["amount"] != int64(100) {
			t.Errorf("repayment input on the disbursal day %v; want loan_outstanding 100000, loan_overdue 0, amount 100", in)
		}
		l, err := e.svc.Get(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		first := l.State.Rows[0]
		e.clk.Set(day((first.Due + 10).String()))
		if _, _, err := e.svc.Pay(ctx, l.ID, loans.PaymentRequest{Key: "p1", Amount: rs("1000"), Mode: "upi"}); err != nil {
			t.Fatal(err)
		}
		in = e.dec.input(loans.StepRepayment)
		owed := int64(l.State.PrincipalOutstanding()+first.Interest-first.PaidInterest) / 100
		overdue := int64(first.Principal+first.Interest-first.PaidPrincipal-first.PaidInterest) / 100
		if in["loan_outstanding"] != owed || in["loan_overdue"] != overdue || in["payment_mode"] != "upi" {
			t.Errorf("repayment input 10 days after the first due date %v; want loan_outstanding %d, loan_overdue %d, payment_mode upi", in, owed, overdue)
		}
	})
}

// TestLimitIncreaseAttempts: a declined limit increase asked again for the
// same limit is a new decision, told the consent the lending core recorded.
func TestLimitIncreaseAttempts(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		app, err := e.svc.Apply(ctx, loans.ApplicationRequest{CustomerID: "C-L", ProductID: "credit-line", Amount: rs("50000")})
		if err != nil {
			t.Fatal(err)
		}
		id := app.Line.ID
		if _, err := e.svc.AcceptLine(ctx, id, loans.Consent{Agreed: true, AccountHash: "acct", AccountVerified: true, RequestID: "acc"}); err != nil {
			t.Fatal(err)
		}
		if got := e.dec.lastID(); got != "offer_accept:"+id+":acc" {
			t.Errorf("line acceptance request id %q, want offer_accept:%s:acc", got, id)
		}
		e.dec.stop[loans.StepLimitIncrease] = loans.Verdict{DecisionID: "dec_li", Outcome: "decline", Reasons: []string{"INSUFFICIENT_HISTORY_ON_BOOK"}}
		var stop *loans.StoppedError
		if _, err := e.svc.LimitIncrease(ctx, id, rs("80000"), true, ""); !errors.As(err, &stop) {
			t.Fatalf("limit increase with the decline in place: got %v, want stopped", err)
		}
		in := e.dec.input(loans.StepLimitIncrease)
		if in["limit_increase_consent"] != true || in["current_limit"] != int64(50000) || in["amount"] != int64(80000) {
			t.Errorf("limit_increase input %v; want limit_increase_consent true, current_limit 50000, amount 80000", in)
		}
		delete(e.dec.stop, loans.StepLimitIncrease)
		line, err := e.svc.LimitIncrease(ctx, id, rs("80000"), true, "")
		if err != nil || line.Limit != rs("80000") {
			t.Fatalf("the same ask later: got %v, %v; want the limit raised to 80000", line, err)
		}
	})
}
