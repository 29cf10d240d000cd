package loans_test

// Race tests of the money paths' isolation (docs/isolation.md): many
// goroutines on two store.DB handles of one database — as two instances of
// the service would have — hit the same loan or credit line at once, and
// the outcome must be one that running the calls one after another could
// give. Each fails when the lock of its path is taken out.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// instances runs fn on a fresh SQLite and a fresh PostgreSQL with two
// services on two handles of the database, sharing the clock and the
// decider: e.svc and the second instance, in that order.
func instances(t *testing.T, fn func(t *testing.T, e *env, svcs []*loans.Service)) {
	testenv.ParallelBackends(t, func(t *testing.T, b testenv.Backend, db *store.DB) {
		e := newEnv(t, db)
		cat, err := product.Default()
		if err != nil {
			t.Fatal(err)
		}
		other := loans.New(b.Open(t), cat, e.dec, loans.Options{Now: e.clk.Now})
		fn(t, e, []*loans.Service{e.svc, other})
	})
}

// race runs fn(0) … fn(n-1) at once, call i on instance i%2, and returns
// each call's error.
func race(svcs []*loans.Service, n int, fn func(i int, s *loans.Service) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i, svcs[i%len(svcs)])
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// refused counts the calls that failed with an error of kind k whose
// message contains want; any other error fails the test.
func refused(t *testing.T, errs []error, k nirnay.Kind, want string) int {
	t.Helper()
	n := 0
	for i, err := range errs {
		switch {
		case err == nil:
		case nirnay.IsKind(err, k) && strings.Contains(err.Error(), want):
			n++
		default:
			t.Errorf("call %d: %v; want success or a %s error saying %q", i, err, k, want)
		}
	}
	return n
}

// activeLine applies for and accepts a credit line of limit.
func activeLine(t tb, e *env, customer string, limit money.Paise) string {
	t.Helper()
	ctx := context.Background()
	app, err := e.svc.Apply(ctx, loans.ApplicationRequest{CustomerID: customer, ProductID: "credit-line", Amount: limit})
	if err != nil {
		t.Fatalf("apply for a line: %v", err)
	}
	if _, err := e.svc.AcceptLine(ctx, app.Line.ID, loans.Consent{Agreed: true, AccountHash: "acct", AccountVerified: true}); err != nil {
		t.Fatalf("accept line: %v", err)
	}
	return app.Line.ID
}

// drawDigest is the digest of the KFS of a draw of amount over tenure
// months on line, which the draw's borrower must quote.
func drawDigest(t tb, e *env, line string, amount money.Paise, tenure int) string {
	t.Helper()
	_, dig, err := e.svc.DrawKFS(context.Background(), line, amount, tenure)
	if err != nil {
		t.Fatalf("draw kfs: %v", err)
	}
	return dig
}

// TestRaceDrawsStayWithinTheLimit: 20 draws of 5,000 at once on a line of
// 50,000 — twice its limit — from two instances: exactly 10 go through,
// the others are refused for the limit, and the line's draws add up to its
// limit, never more. Without the lock on the line in Draw, draws read the
// same drawn amount and together pass the limit.
func TestRaceDrawsStayWithinTheLimit(t *testing.T) {
	instances(t, func(t *testing.T, e *env, svcs []*loans.Service) {
		ctx := context.Background()
		limit, each := rs("50000"), rs("5000")
		id := activeLine(t, e, "C-draws", limit)
		dig := drawDigest(t, e, id, each, 3)
		const n = 20
		errs := race(svcs, n, func(i int, s *loans.Service) error {
			_, err := s.Draw(ctx, id, loans.DrawRequest{Amount: each, TenureMonths: 3, AccountHash: "acct", KFSDigest: dig, Agreed: true})
			return err
		})
		over := refused(t, errs, nirnay.KindUnprocessable, "more than the available limit")
		line, err := e.svc.GetLine(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		var drawn money.Paise
		for _, d := range line.Draws {
			drawn += d.PrincipalOutstanding
		}
		if len(line.Draws) != 10 || drawn != limit || line.Available != 0 || over != n-10 {
			t.Fatalf("%d draws of %s at once on a line of %s: %d went through (%s drawn, %s available), %d refused for the limit; "+
				"want 10 through (%s drawn, 0 available) and %d refused", n, each, limit, len(line.Draws), drawn, line.Available, over, limit, n-10)
		}
		reconcileClean(t, e)
	})
}

// TestRacePaymentsOnOneLoan: 40 payments on one loan, each sent twice at
// once, from two instances: every payment is applied exactly once (its
// twin replays it), every applied payment is in the fold, and the ledger
// agrees with the loan. Without the loan's lock in mutate, payments fold
// the same stale state and all but one of them fail on the event sequence.
func TestRacePaymentsOnOneLoan(t *testing.T) {
	instances(t, func(t *testing.T, e *env, svcs []*loans.Service) {
		ctx := context.Background()
		l := activeLoan(t, e, "C-pay", rs("200000"), 24)
		const n = 40
		amount := rs("250.37")
		replays := make([]bool, 2*n)
		errs := race(svcs, 2*n, func(i int, s *loans.Service) error {
			_, replayed, err := s.Pay(ctx, l.ID, loans.PaymentRequest{Key: fmt.Sprintf("k-%02d", i/2), Amount: amount})
			replays[i] = replayed
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Errorf("payment %d (key k-%02d): %v", i, i/2, err)
			}
		}
		for k := range n {
			if replays[2*k] == replays[2*k+1] {
				t.Errorf("key k-%02d: replayed %v and %v; want one applied and one replayed", k, replays[2*k], replays[2*k+1])
			}
		}
		got, err := e.svc.Get(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := amount * n; got.State.Received != want {
			t.Fatalf("the fold received %s, want %s (%d payments of %s)", got.State.Received, want, n, amount)
		}
		ps, err := e.svc.Payments(ctx, l.ID)
		if err != nil || len(ps) != n {
			t.Fatalf("payment rows: %d (%v), want %d", len(ps), err, n)
		}
		reconcileClean(t, e)
	})
}

// TestRaceBouncesAndPayments: ten applied payments are each bounced twice
// at once while ten new payments arrive, from two instances: each payment
// is bounced exactly once (the second attempt is told it already was),
// every new payment is applied, and the fold holds the new payments and
// ten bounce charges. Without the loan's lock, a bounce and a payment fold
// the same state and one of them fails on the event sequence.
func TestRaceBouncesAndPayments(t *testing.T) {
	instances(t, func(t *testing.T, e *env, svcs []*loans.Service) {
		ctx := context.Background()
		l := activeLoan(t, e, "C-bounce", rs("200000"), 24)
		amount := rs("300")
		const n = 10
		ids := make([]string, n)
		for i := range n {
			p, _, err := e.svc.Pay(ctx, l.ID, loans.PaymentRequest{Key: fmt.Sprintf("old-%d", i), Amount: amount})
			if err != nil {
				t.Fatal(err)
			}
			ids[i] = p.ID
		}
		errs := race(svcs, 3*n, func(i int, s *loans.Service) error {
			if i < 2*n {
				_, err := s.Bounce(ctx, l.ID, ids[i/2], "")
				return err
			}
			_, _, err := s.Pay(ctx, l.ID, loans.PaymentRequest{Key: fmt.Sprintf("new-%d", i), Amount: amount})
			return err
		})
		if again := refused(t, errs, nirnay.KindConflict, "is already bounced"); again != n {
			t.Errorf("%d bounces refused as already bounced, want %d (one of each pair)", again, n)
		}
		for i, err := range errs[2*n:] {
			if err != nil {
				t.Errorf("new payment %d: %v", i, err)
			}
		}
		got, err := e.svc.Get(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		bounces := 0
		for _, c := range got.State.Charges {
			if c.Kind == "bounce" {
				bounces++
			}
		}
		if want := amount * n; got.State.Received != want || bounces != n {
			t.Fatalf("the fold received %s with %d bounce charges; want %s (the new payments only) and %d", got.State.Received, bounces, want, n)
		}
		reconcileClean(t, e)
	})
}

// TestRaceLifecycleSteps: ten acceptances of one offer at once, then ten
// disbursals, then ten foreclosures of the quoted amount under different
// keys, from two instances: exactly one of each goes through and every
// other is told the loan has moved on — what running them one after
// another answers. Without the loan's lock, the losers fold the same state
// as the winner and fail on the event sequence instead.
func TestRaceLifecycleSteps(t *testing.T) {
	instances(t, func(t *testing.T, e *env, svcs []*loans.Service) {
		ctx := context.Background()
		app, err := e.svc.Apply(ctx, loans.ApplicationRequest{CustomerID: "C-steps", ProductID: "personal-loan", Amount: rs("100000"), TenureMonths: 12})
		if err != nil {
			t.Fatal(err)
		}
		id := app.Loan.ID
		const n = 10
		errs := race(svcs, n, func(i int, s *loans.Service) error {
			_, err := s.Accept(ctx, id, loans.Consent{KFSDigest: app.Loan.KFSDigest, Agreed: true, AccountHash: "acct", AccountVerified: true})
			return err
		})
		if lost := refused(t, errs, nirnay.KindConflict, "only an offered loan can be accepted"); lost != n-1 {
			t.Errorf("acceptances: %d refused as already accepted, want %d", lost, n-1)
		}
		errs = race(svcs, n, func(i int, s *loans.Service) error {
			_, err := s.Disburse(ctx, id, "acct")
			return err
		})
		if lost := refused(t, errs, nirnay.KindConflict, "only an accepted loan can be disbursed"); lost != n-1 {
			t.Errorf("disbursals: %d refused as already disbursed, want %d", lost, n-1)
		}
		q, err := e.svc.Quote(ctx, id, "")
		if err != nil {
			t.Fatal(err)
		}
		errs = race(svcs, n, func(i int, s *loans.Service) error {
			_, _, err := s.Foreclose(ctx, id, loans.PaymentRequest{Key: fmt.Sprintf("fc-%d", i), Amount: q.Total})
			return err
		})
		if lost := refused(t, errs, nirnay.KindConflict, "only an active loan can be foreclosed"); lost != n-1 {
			t.Errorf("foreclosures: %d refused as already foreclosed, want %d", lost, n-1)
		}
		js, err := e.svc.Journals(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]int{}
		for _, j := range js {
			kinds[j.Kind]++
		}
		l, err := e.svc.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if l.Status != loans.StatusForeclosed || l.Outstanding != 0 || kinds["disbursal"] != 1 || kinds[loans.KindForeclosure] != 1 {
			t.Fatalf("loan %s outstanding %s, journals %v; want foreclosed, 0, one disbursal and one foreclosure journal", l.Status, l.Outstanding, kinds)
		}
		reconcileClean(t, e)
	})
}

// TestRaceCoolingOffExitAndPayments: on each of four loans a cooling-off
// exit of the quoted amount races seven payments, from two instances.
// Whichever order the database picks, the answers are those of a serial
// order: a payment before the exit changes what the exit must pay (the
// exit is refused for its amount), a payment after it finds the loan
// cancelled; and the fold holds every payment that was applied. Without
// the loan's lock the exit and a payment fold the same state and one fails
// on the event sequence.
func TestRaceCoolingOffExitAndPayments(t *testing.T) {
	instances(t, func(t *testing.T, e *env, svcs []*loans.Service) {
		ctx := context.Background()
		for round := range 4 {
			l := activeLoan(t, e, fmt.Sprintf("C-cool-%d", round), rs("100000"), 12)
			q, err := e.svc.Quote(ctx, l.ID, "")
			if err != nil || !q.CoolingOff {
				t.Fatalf("quote: %+v, %v; want one in the cooling-off period", q, err)
			}
			const n = 8
			paid := make([]bool, n)
			amount := rs("1000")
			errs := race(svcs, n, func(i int, s *loans.Service) error {
				if i == 0 {
					_, _, err := s.Cancel(ctx, l.ID, loans.PaymentRequest{Key: "exit", Amount: q.CoolingOffTotal})
					return err
				}
				_, _, err := s.Pay(ctx, l.ID, loans.PaymentRequest{Key: fmt.Sprintf("p-%d", i), Amount: amount})
				paid[i] = err == nil
				return err
			})
			exitErr := errs[0]
			if exitErr != nil && !(nirnay.IsKind(exitErr, nirnay.KindUnprocessable) && strings.Contains(exitErr.Error(), "is not the cancelled amount")) {
				t.Errorf("loan %d exit: %v; want success or refused for its amount", round, exitErr)
			}
			late := refused(t, errs[1:], nirnay.KindConflict, "payments are taken only on an active loan")
			got, err := e.svc.Get(ctx, l.ID)
			if err != nil {
				t.Fatal(err)
			}
			var want money.Paise
			applied := 0
			for _, ok := range paid {
				if ok {
					want += amount
					applied++
				}
			}
			if exitErr == nil {
				want += q.CoolingOffTotal
			}
			switch {
			case got.State.Received != want:
				t.Fatalf("loan %d: the fold received %s, want %s (%d payments applied, exit %v)", round, got.State.Received, want, applied, exitErr)
			case exitErr == nil && (applied != 0 || got.Status != loans.StatusCancelled):
				// the exit's amount was quoted before any payment: it goes
				// through only ahead of every payment
				t.Fatalf("loan %d: exit went through with %d payments applied, loan %s; want none applied, cancelled", round, applied, got.Status)
			case exitErr != nil && (late != 0 || applied == 0 || got.Status != loans.StatusActive):
				t.Fatalf("loan %d: exit refused, %d payments applied, %d late, loan %s; want a payment ahead of it, none late, active",
					round, applied, late, got.Status)
			}
		}
		reconcileClean(t, e)
	})
}
