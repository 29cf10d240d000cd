package loans_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
)

func rs(s string) money.Paise {
	p, err := money.ParseRupees(s)
	if err != nil {
		panic(err)
	}
	return p
}

// activeLoan takes a personal loan from application to disbursal.
func activeLoan(t tb, e *env, customer string, amount money.Paise, tenure int) *loans.Loan {
	t.Helper()
	l := acceptedLoan(t, e, customer, amount, tenure, "acct-"+customer)
	l, err := e.svc.Disburse(context.Background(), l.ID, "acct-"+customer)
	if err != nil {
		t.Fatalf("disburse: %v", err)
	}
	return l
}

// acceptedLoan is a personal loan applied for and accepted, to be paid out
// to account.
func acceptedLoan(t tb, e *env, customer string, amount money.Paise, tenure int, account string) *loans.Loan {
	t.Helper()
	l := offeredLoan(t, e, customer, amount, tenure)
	if _, err := e.svc.Accept(context.Background(), l.ID, loans.Consent{KFSDigest: l.KFSDigest, Agreed: true, AccountHash: account, AccountVerified: true}); err != nil {
		t.Fatalf("accept: %v", err)
	}
	return l
}

// offeredLoan is the loan of an application for a personal loan.
func offeredLoan(t tb, e *env, customer string, amount money.Paise, tenure int) *loans.Loan {
	t.Helper()
	app, err := e.svc.Apply(context.Background(), loans.ApplicationRequest{CustomerID: customer, ProductID: "personal-loan", Amount: amount, TenureMonths: tenure})
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	return app.Loan
}

func reconcileClean(t testing.TB, e *env) int {
	t.Helper()
	n, diffs, err := e.svc.Reconcile(context.Background())
	if err != nil {
		t.Fatalf("reconcile: %v", err)
	}
	for _, d := range diffs {
		t.Errorf("reconcile difference: %s", d)
	}
	return n
}

func TestLifecycle(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		l := offeredLoan(t, e, "C-1", rs("100000"), 12)
		if l.Status != loans.StatusOffered || l.KFSDigest == "" || len(l.KFS) == 0 {
			t.Fatalf("application: status %s digest %q; want offered with a KFS", l.Status, l.KFSDigest)
		}
		// Consent must quote the KFS shown.
		_, err := e.svc.Accept(ctx, l.ID, loans.Consent{KFSDigest: "other", Agreed: true, AccountHash: "a1", AccountVerified: true})
		if !nirnay.IsKind(err, nirnay.KindUnprocessable) {
			t.Fatalf("accept with a wrong KFS digest: got %v, want unprocessable", err)
		}
		if _, err := e.svc.Disburse(ctx, l.ID, "a1"); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Fatalf("disburse before acceptance: got %v, want conflict", err)
		}
		if _, err := e.svc.Accept(ctx, l.ID, loans.Consent{KFSDigest: l.KFSDigest, Agreed: true, AccountHash: "a1", AccountVerified: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Disburse(ctx, l.ID, "someone-else"); !nirnay.IsKind(err, nirnay.KindUnprocessable) {
			t.Fatalf("disburse to another account: got %v, want unprocessable", err)
		}
		l, err = e.svc.Disburse(ctx, l.ID, "a1")
		if err != nil {
			t.Fatal(err)
		}
		if l.Status != loans.StatusActive || l.Outstanding != rs("100000") {
			t.Fatalf("after disbursal: %s outstanding %s; want active 100000.00", l.Status, l.Outstanding)
		}
		// Pay the first EMI on its due date: 8884.88 at 12%? product rate is 18%: EMI 9167.99
		e.clk.Set(day("2026-02-10"))
		got, _ := e.svc.Get(ctx, l.ID)
		emi := got.State.Rows[0].Principal + got.State.Rows[0].Interest
		p, replayed, err := e.svc.Pay(ctx, l.ID, loans.PaymentRequest{Key: "k1", Amount: emi})
		if err != nil || replayed {
			t.Fatalf("pay: %v replayed %v", err, replayed)
		}
		p2, replayed, err := e.svc.Pay(ctx, l.ID, loans.PaymentRequest{Key: "k1", Amount: emi})
		if err != nil || !replayed || p2.ID != p.ID {
			t.Fatalf("replay: got %v %v %v, want the same payment %s", p2, replayed, err, p.ID)
		}
		if _, _, err := e.svc.Pay(ctx, l.ID, loans.PaymentRequest{Key: "k1", Amount: emi + 1}); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Fatalf("same key, other amount: got %v, want conflict", err)
		}
		got, _ = e.svc.Get(ctx, l.ID)
		if want := rs("100000") - got.State.Rows[0].Principal; got.Outstanding != want {
			t.Fatalf("outstanding after the first EMI: got %s, want %s", got.Outstanding, want)
		}
		// Bounce it: the state is what it was, plus the penal charge.
		before := got.Outstanding
		l, err = e.svc.Bounce(ctx, l.ID, p.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		pen := rs("500") + rs("90") // ₹500 + 18% GST
		if want := rs("100000") + got.State.Rows[0].Interest + pen; l.Outstanding != want {
			t.Fatalf("after the bounce: outstanding %s, want %s (before the bounce %s)", l.Outstanding, want, before)
		}
		if _, err := e.svc.Bounce(ctx, l.ID, p.ID, ""); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Fatalf("bouncing twice: got %v, want conflict", err)
		}
		// Foreclose on a quote: the amount is exact to the paisa.
		e.clk.Set(day("2026-02-20"))
		q, err := e.svc.Quote(ctx, l.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.svc.Foreclose(ctx, l.ID, loans.PaymentRequest{Key: "fc", Amount: q.Total - 1}); !nirnay.IsKind(err, nirnay.KindUnprocessable) {
			t.Fatalf("foreclose a paisa short: got %v, want unprocessable", err)
		}
		if _, _, err := e.svc.Foreclose(ctx, l.ID, loans.PaymentRequest{Key: "fc", Amount: q.Total}); err != nil {
			t.Fatalf("foreclose with the quote %s: %v", q.Total, err)
		}
		l, _ = e.svc.Get(ctx, l.ID)
		if l.Status != loans.StatusForeclosed || l.Outstanding != 0 {
			t.Fatalf("after foreclosure: %s outstanding %s; want foreclosed 0.00", l.Status, l.Outstanding)
		}
		if _, _, err := e.svc.Pay(ctx, l.ID, loans.PaymentRequest{Key: "late", Amount: 100}); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Fatalf("payment on a foreclosed loan: got %v, want conflict", err)
		}
		if n := reconcileClean(t, e); n != 1 {
			t.Fatalf("reconciled %d loans, want 1", n)
		}
	})
}

func TestBadInputWritesNothing(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		bad := []struct {
			name string
			req  loans.ApplicationRequest
			kind nirnay.Kind
		}{
			{"amount above the product", loans.ApplicationRequest{CustomerID: "C", ProductID: "personal-loan", Amount: rs("900000"), TenureMonths: 12}, nirnay.KindUnprocessable},
			{"tenure out of range", loans.ApplicationRequest{CustomerID: "C", ProductID: "personal-loan", Amount: rs("50000"), TenureMonths: 60}, nirnay.KindUnprocessable},
			{"zero amount", loans.ApplicationRequest{CustomerID: "C", ProductID: "personal-loan", Amount: 0, TenureMonths: 12}, nirnay.KindInvalid},
			{"unknown product", loans.ApplicationRequest{CustomerID: "C", ProductID: "gold", Amount: rs("50000"), TenureMonths: 12}, nirnay.KindInvalid},
			{"no customer", loans.ApplicationRequest{ProductID: "personal-loan", Amount: rs("50000"), TenureMonths: 12}, nirnay.KindInvalid},
		}
		for _, b := range bad {
			if _, err := e.svc.Apply(ctx, b.req); !nirnay.IsKind(err, b.kind) {
				t.Errorf("%s: got %v, want %s", b.name, err, b.kind)
			}
		}
		// An application repeated with its request id is the same application.
		req := loans.ApplicationRequest{CustomerID: "C-r", ProductID: "personal-loan", Amount: rs("50000"), TenureMonths: 12, RequestID: "req-1"}
		a1, err1 := e.svc.Apply(ctx, req)
		a2, err2 := e.svc.Apply(ctx, req)
		if err1 != nil || err2 != nil || a1.Loan.ID != a2.Loan.ID {
			t.Fatalf("repeated request id: %v %v; want one loan", err1, err2)
		}
		if ls, _ := e.svc.ListByCustomer(ctx, "C-r"); len(ls) != 1 {
			t.Fatalf("repeated request id made %d loans, want 1", len(ls))
		}
		if ls, _ := e.svc.ListByCustomer(ctx, "C"); len(ls) != 0 {
			t.Fatalf("bad applications wrote %d loans", len(ls))
		}
		l := activeLoan(t, e, "C-2", rs("50000"), 6)
		e.clk.Set(day("2026-01-20"))
		cases := []struct {
			name string
			req  loans.PaymentRequest
			kind nirnay.Kind
		}{
			{"negative", loans.PaymentRequest{Key: "a", Amount: -100}, nirnay.KindInvalid},
			{"zero", loans.PaymentRequest{Key: "b", Amount: 0}, nirnay.KindInvalid},
			{"no key", loans.PaymentRequest{Amount: 100}, nirnay.KindInvalid},
			{"future date", loans.PaymentRequest{Key: "c", Amount: 100, On: "2026-03-01"}, nirnay.KindUnprocessable},
			{"before the loan", loans.PaymentRequest{Key: "d", Amount: 100, On: "2026-01-01"}, nirnay.KindUnprocessable},
			{"not a date", loans.PaymentRequest{Key: "e", Amount: 100, On: "01/02/2026"}, nirnay.KindInvalid},
		}
		for _, c := range cases {
			if _, _, err := e.svc.Pay(ctx, l.ID, c.req); !nirnay.IsKind(err, c.kind) {
				t.Errorf("payment %s: got %v, want %s", c.name, err, c.kind)
			}
		}
		if _, _, err := e.svc.Pay(ctx, "ln_nope", loans.PaymentRequest{Key: "x", Amount: 100}); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Errorf("unknown loan: got %v, want not found", err)
		}
		if ps, _ := e.svc.Payments(ctx, l.ID); len(ps) != 0 {
			t.Fatalf("bad payments wrote %d rows", len(ps))
		}
		got, _ := e.svc.Get(ctx, l.ID)
		if got.Outstanding != rs("50000") {
			t.Fatalf("outstanding moved to %s", got.Outstanding)
		}
	})
}

func TestDecisionStopsTheFlow(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		e.dec.stop[loans.StepApplication] = loans.Verdict{DecisionID: "dec_1", Outcome: "decline", Reasons: []string{"LOW_SCORE"}}
		_, err := e.svc.Apply(ctx, loans.ApplicationRequest{CustomerID: "C-9", ProductID: "personal-loan", Amount: rs("50000"), TenureMonths: 6})
		var stop *loans.StoppedError
		if !errors.As(err, &stop) || stop.Reasons[0] != "LOW_SCORE" || !nirnay.IsKind(err, nirnay.KindUnprocessable) || stop.SubjectID == "" {
			t.Fatalf("declined application: got %v, want a StoppedError with LOW_SCORE", err)
		}
		l, err := e.svc.Get(ctx, stop.SubjectID)
		if err != nil || l.Status != loans.StatusDeclined {
			t.Fatalf("declined application recorded as %v, %v; want declined", l, err)
		}
		delete(e.dec.stop, loans.StepApplication)
		e.dec.stop[loans.StepDisbursal] = loans.Verdict{DecisionID: "dec_2", Outcome: "review", Reasons: []string{"MULE_SIGNAL"}}
		app, _ := e.svc.Apply(ctx, loans.ApplicationRequest{CustomerID: "C-9", ProductID: "personal-loan", Amount: rs("50000"), TenureMonths: 6})
		if _, err := e.svc.Accept(ctx, app.Loan.ID, loans.Consent{KFSDigest: app.Loan.KFSDigest, Agreed: true, AccountHash: "a", AccountVerified: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.Disburse(ctx, app.Loan.ID, "a"); !errors.As(err, &stop) || stop.Outcome != "review" {
			t.Fatalf("disbursal under review: got %v, want stopped", err)
		}
		if l, _ := e.svc.Get(ctx, app.Loan.ID); l.Status != loans.StatusAccepted || l.State != nil {
			t.Fatalf("a stopped disbursal changed the loan to %s", l.Status)
		}
	})
}

func TestCoolingOffExit(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		l := activeLoan(t, e, "C-3", rs("120000"), 12)
		e.clk.Set(day("2026-01-12")) // two days after disbursal on the 10th
		q, err := e.svc.Quote(ctx, l.ID, "")
		if err != nil {
			t.Fatal(err)
		}
		// 2 days of 18% on 1,20,000 under 30/360: 120000 × 0.18 × 2/360 = 120.00
		if !q.CoolingOff || q.AccruedInterest != rs("120") || q.CoolingOffTotal != rs("120120") {
			t.Fatalf("cooling-off quote: %+v; want accrued 120.00 and total 120120.00", q)
		}
		got, p, err := e.svc.Cancel(ctx, l.ID, loans.PaymentRequest{Key: "exit", Amount: q.CoolingOffTotal})
		if err != nil || p == nil {
			t.Fatalf("cancel: %v", err)
		}
		if got.Status != loans.StatusCancelled || got.Outstanding != 0 {
			t.Fatalf("after the exit: %s %s; want cancelled 0.00", got.Status, got.Outstanding)
		}
		l2 := activeLoan(t, e, "C-4", rs("120000"), 12)
		e.clk.Set(day("2026-01-20"))
		if _, _, err := e.svc.Cancel(ctx, l2.ID, loans.PaymentRequest{Key: "exit", Amount: rs("1")}); !nirnay.IsKind(err, nirnay.KindUnprocessable) {
			t.Fatalf("exit after the cooling-off period: got %v, want unprocessable", err)
		}
		reconcileClean(t, e)
	})
}

func TestDayEndDelinquency(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := activeLoan(t, e, "C-5", rs("60000"), 6)
		b := activeLoan(t, e, "C-5", rs("30000"), 6)
		run := func(d string) {
			t.Helper()
			e.clk.Set(day(d))
			if _, err := e.svc.DayEnd(ctx, schedule.Date(mustDate(d))); err != nil {
				t.Fatalf("day-end %s: %v", d, err)
			}
		}
		run("2026-02-10") // due today: 0 DPD
		if l, _ := e.svc.Get(ctx, a.ID); l.DPD != 0 {
			t.Fatalf("on the due date: DPD %d, want 0", l.DPD)
		}
		// The borrower's first day end announces both loans, current, so
		// the customer's current_dpd is known before anything is late.
		var first int
		if err := e.db.Reader().QueryRow(`SELECT COUNT(*) FROM outbox WHERE topic = 'loan.dpd_changed'`).Scan(&first); err != nil || first != 2 {
			t.Fatalf("dpd_changed events after the first day end: %d (%v), want 2", first, err)
		}
		run("2026-02-11")
		l, _ := e.svc.Get(ctx, a.ID)
		if l.DPD != 1 || l.AssetClass != loans.ClassSMA0 || len(l.State.Charges) != 1 {
			t.Fatalf("a day late: DPD %d class %s charges %d; want 1 sma_0 with one penal charge", l.DPD, l.AssetClass, len(l.State.Charges))
		}
		// Loan b is kept current; loan a slides into NPA, taking b with it.
		pay := func(id, key string) {
			t.Helper()
			q, err := e.svc.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.svc.Pay(ctx, id, loans.PaymentRequest{Key: key, Amount: q.Outstanding - q.PrincipalOutstanding + q.State.Rows[0].Principal}); err != nil {
				t.Fatal(err)
			}
		}
		pay(b.ID, "b1")
		run("2026-05-12") // instalment 1 of a was due 10 Feb: 91 days
		la, _ := e.svc.Get(ctx, a.ID)
		lb, _ := e.svc.Get(ctx, b.ID)
		if la.DPD != 91 || la.AssetClass != loans.ClassNPA || lb.AssetClass != loans.ClassNPA {
			t.Fatalf("91 days: a DPD %d %s, b DPD %d %s; want a npa and b npa (borrower level)", la.DPD, la.AssetClass, lb.DPD, lb.AssetClass)
		}
		// Paying part of a's arrears is no upgrade.
		if _, _, err := e.svc.Pay(ctx, a.ID, loans.PaymentRequest{Key: "a1", Amount: rs("20000")}); err != nil {
			t.Fatal(err)
		}
		run("2026-05-13")
		if la, _ = e.svc.Get(ctx, a.ID); la.AssetClass != loans.ClassNPA || la.DPD == 0 {
			t.Fatalf("partly cleared: a %d %s; want still npa", la.DPD, la.AssetClass)
		}
		// Clear everything due on both loans: upgraded.
		for _, id := range []string{a.ID, b.ID} {
			q, _ := e.svc.Get(ctx, id)
			due := q.Outstanding - q.PrincipalOutstanding
			for _, r := range q.State.Rows {
				if r.Due <= schedule.Date(mustDate("2026-05-13")) {
					due += r.Principal - r.PaidPrincipal
				}
			}
			if due > 0 {
				if _, _, err := e.svc.Pay(ctx, id, loans.PaymentRequest{Key: "clear-" + id, Amount: due}); err != nil {
					t.Fatal(err)
				}
			}
		}
		run("2026-05-14")
		la, _ = e.svc.Get(ctx, a.ID)
		bs, _ := e.svc.BorrowerStatus(ctx, "C-5")
		if la.DPD != 0 || la.AssetClass != loans.ClassStandard || bs.AssetClass != loans.ClassStandard {
			t.Fatalf("all arrears cleared: a %d %s, borrower %s; want standard", la.DPD, la.AssetClass, bs.AssetClass)
		}
		var events int
		if err := e.db.Reader().QueryRow(`SELECT COUNT(*) FROM outbox WHERE topic = 'loan.dpd_changed'`).Scan(&events); err != nil || events < 4 {
			t.Fatalf("dpd_changed outbox events: %d (%v); want at least 4", events, err)
		}
		// Each carries the borrower's worst DPD across their loans with its own.
		rows, err := e.db.Reader().Query(`SELECT payload FROM outbox WHERE topic = 'loan.dpd_changed'`)
		if err != nil {
			t.Fatal(err)
		}
		worst := 0
		for rows.Next() {
			var body string
			var p struct {
				DPD         *int `json:"dpd"`
				CustomerDPD *int `json:"customer_dpd"`
			}
			if err := rows.Scan(&body); err != nil || json.Unmarshal([]byte(body), &p) != nil ||
				p.DPD == nil || p.CustomerDPD == nil || *p.CustomerDPD < *p.DPD {
				t.Fatalf("dpd_changed payload %s (%v): want dpd and customer_dpd ≥ dpd", body, err)
			}
			worst = max(worst, *p.CustomerDPD)
		}
		rows.Close()
		if worst != 91 {
			t.Fatalf("worst customer_dpd in dpd_changed events %d, want 91", worst)
		}
		rep, err := e.svc.DayEnd(ctx, schedule.Date(mustDate("2026-05-14")))
		if err != nil || rep.Skipped != 2 {
			t.Fatalf("running a day-end twice: %+v %v; want both loans skipped", rep, err)
		}
		reconcileClean(t, e)
	})
}

// tb is what the helpers need of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

func mustDate(s string) schedule.Date {
	d, err := schedule.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestReconcileFindsTampering(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		l := activeLoan(t, e, "C-7", rs("40000"), 6)
		if n := reconcileClean(t, e); n != 1 {
			t.Fatalf("checked %d loans, want 1", n)
		}
		if _, err := e.db.Writer().ExecContext(ctx, `UPDATE ledger_lines SET debit = debit + 1 WHERE loan_id = $1 AND debit > 0`, l.ID); err != nil {
			t.Fatal(err)
		}
		_, diffs, err := e.svc.Reconcile(ctx)
		if err != nil || len(diffs) < 2 {
			t.Fatalf("after tampering with the ledger: %v %v; want the unbalanced journal and the account named", diffs, err)
		}
	})
}

// TestSettledWhilePastDue: a loan settled while past due announces the
// borrower's DPD without it — the worst of their other loans — so the
// customer's current_dpd does not keep the settled loan's arrears.
func TestSettledWhilePastDue(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		a := activeLoan(t, e, "C-6", rs("60000"), 6)
		b := activeLoan(t, e, "C-6", rs("30000"), 6)
		e.clk.Set(day("2026-02-15"))
		if _, err := e.svc.DayEnd(ctx, schedule.Date(mustDate("2026-02-15"))); err != nil {
			t.Fatal(err)
		}
		settle := func(id string) map[string]any {
			t.Helper()
			q, err := e.svc.Quote(ctx, id, "")
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := e.svc.Foreclose(ctx, id, loans.PaymentRequest{Key: "fc-" + id, Amount: q.Total}); err != nil {
				t.Fatal(err)
			}
			var body string
			if err := e.db.Reader().QueryRow(`SELECT payload FROM outbox WHERE topic = 'loan.dpd_changed' AND key = $1 ORDER BY created_at DESC, id DESC LIMIT 1`, id).Scan(&body); err != nil {
				t.Fatal(err)
			}
			var p map[string]any
			if err := json.Unmarshal([]byte(body), &p); err != nil {
				t.Fatal(err)
			}
			return p
		}
		if p := settle(a.ID); p["dpd"] != 0.0 || p["dpd_before"] != 5.0 || p["customer_dpd"] != 5.0 {
			t.Fatalf("a settled 5 days past due while b is too: %v; want dpd 0 from 5, customer_dpd 5", p)
		}
		if p := settle(b.ID); p["dpd"] != 0.0 || p["customer_dpd"] != 0.0 {
			t.Fatalf("b settled, no other loan: %v; want customer_dpd 0", p)
		}
	})
}

// TestWriteOffChecksTheAmount: a write-off is of the whole outstanding; an
// amount given with it must be that outstanding (it was accepted and
// ignored before).
func TestWriteOffChecksTheAmount(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		l := activeLoan(t, e, "C-WO", rs("50000"), 6)
		if _, err := e.svc.WriteOff(ctx, l.ID, "", rs("1000")); !nirnay.IsKind(err, nirnay.KindUnprocessable) ||
			!strings.Contains(err.Error(), "whole outstanding") {
			t.Fatalf("write-off of 1000 of a 50000 loan: %v; want unprocessable naming the outstanding", err)
		}
		if _, err := e.svc.WriteOff(ctx, l.ID, "", -1); !nirnay.IsKind(err, nirnay.KindInvalid) {
			t.Errorf("negative amount: %v, want invalid", err)
		}
		got, err := e.svc.Get(ctx, l.ID)
		if err != nil || got.Status != loans.StatusActive {
			t.Fatalf("after refused write-offs: %v %v; want still active", got, err)
		}
		out, err := e.svc.WriteOff(ctx, l.ID, "", got.Outstanding)
		if err != nil || out.Status == loans.StatusActive {
			t.Fatalf("write-off of exactly the outstanding %s: %v %v", got.Outstanding, out, err)
		}
		reconcileClean(t, e)
	})
}
