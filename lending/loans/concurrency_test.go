package loans_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/money"
)

// TestConcurrentPaymentsAndDisbursal races a disbursal against 100
// payments, each sent twice at once, on one loan in real PostgreSQL (and
// SQLite): every payment is applied exactly once, its duplicate is a
// replay, and the ledger agrees with the loan to the paisa.
func TestConcurrentPaymentsAndDisbursal(t *testing.T) {
	run := func(t *testing.T, e *env) {
		ctx := context.Background()
		id := acceptedLoan(t, e, "C-conc", rs("200000"), 24, "acct").ID
		const n = 100
		amount := rs("100.01")
		var (
			wg              sync.WaitGroup
			applied, replay atomic.Int64
			notYet          atomic.Int64
			start           = make(chan struct{})
			errs            = make(chan error, 2*n+1)
		)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := e.svc.Disburse(ctx, id, "acct"); err != nil {
				errs <- fmt.Errorf("disburse: %w", err)
			}
		}()
		for i := range 2 * n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				req := loans.PaymentRequest{Key: fmt.Sprintf("k-%03d", i%n), Amount: amount}
				deadline := time.Now().Add(20 * time.Second)
				for {
					_, replayed, err := e.svc.Pay(ctx, id, req)
					if nirnay.IsKind(err, nirnay.KindConflict) && strings.Contains(err.Error(), "only on an active loan") && time.Now().Before(deadline) {
						notYet.Add(1) // before the disbursal: retry; any other conflict is a failure
						time.Sleep(2 * time.Millisecond)
						continue
					}
					if err != nil {
						errs <- fmt.Errorf("pay %s: %w", req.Key, err)
						return
					}
					if replayed {
						replay.Add(1)
					} else {
						applied.Add(1)
					}
					return
				}
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if applied.Load() != n || replay.Load() != n {
			t.Fatalf("applied %d, replayed %d; want %d each", applied.Load(), replay.Load(), n)
		}
		ps, err := e.svc.Payments(ctx, id)
		if err != nil || len(ps) != n {
			t.Fatalf("payment rows: %d (%v), want %d", len(ps), err, n)
		}
		l, err := e.svc.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		total := amount * n
		if l.State.Received != total {
			t.Fatalf("received %s, want %s", l.State.Received, total)
		}
		bal, err := e.svc.LedgerBalances(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		net := rs("200000") - rs("4000") - rs("720") // 2% fee + 18% GST
		if want := total - net; bal[loans.AccBank] != want {
			t.Fatalf("bank balance %s, want %s (received %s − net disbursed %s)", bal[loans.AccBank], want, total, net)
		}
		// outstanding = disbursed + charges − allocations (no waivers or write-offs here)
		charges := -bal[loans.AccInterestIncom] - bal[loans.AccPenalIncome]
		alloc := total + bal[loans.AccAdvance]
		if want := rs("200000") + charges - alloc; l.Outstanding != want {
			t.Fatalf("outstanding %s, want %s = 200000 + %s − %s", l.Outstanding, want, charges, alloc)
		}
		reconcileClean(t, e)
		t.Logf("%d payments applied once each, %d duplicates replayed, %d early attempts retried; received %s", applied.Load(), replay.Load(), notYet.Load(), money.Paise(total))
	}
	backends(t, run)
}
