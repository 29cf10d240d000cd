package live_test

import (
	"context"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/simulator/live"
	"github.com/nirnay/nirnay/store"
)

// approveAll approves every step.
type approveAll struct{}

func (approveAll) Decide(_ context.Context, step, _, requestID string, _ map[string]any) (loans.Verdict, error) {
	return loans.Verdict{DecisionID: "dec_" + step + "_" + requestID, Outcome: nirnay.Approve}, nil
}

// TestReadLoansOnBothBackends: the labels' loans are selected by their
// creation time and carry their disbursal date on either backend.
func TestReadLoansOnBothBackends(t *testing.T) {
	testenv.ParallelBackends(t, func(t *testing.T, _ testenv.Backend, db *store.DB) {
		ctx := context.Background()
		products, err := product.Default()
		if err != nil {
			t.Fatal(err)
		}
		clock := testenv.NewClock(d0, 0)
		book := loans.New(db, products, approveAll{}, loans.Options{Now: clock.Now})
		app, err := book.Apply(ctx, loans.ApplicationRequest{CustomerID: "C-1", ProductID: "personal-loan",
			Amount: money.Paise(100000_00), TenureMonths: 12, RequestID: "app-C-1"})
		if err != nil {
			t.Fatal(err)
		}
		l := app.Loan
		if _, err := book.Accept(ctx, l.ID, loans.Consent{KFSDigest: l.KFSDigest, Agreed: true, AccountHash: "acct", AccountVerified: true}); err != nil {
			t.Fatal(err)
		}
		if _, err := book.Disburse(ctx, l.ID, "acct"); err != nil {
			t.Fatal(err)
		}
		got, err := live.ReadLoans(ctx, db, d0)
		key := live.LoanKey{CustomerID: "C-1", RequestID: "app-C-1"}
		if err != nil || len(got[key]) != 1 || got[key][0].ID != l.ID || got[key][0].DisbursedOn != book.Today().String() {
			t.Fatalf("loans created since %v: %+v, %v; want %s disbursed on %s", d0, got, err, l.ID, book.Today())
		}
		if later, err := live.ReadLoans(ctx, db, d0.Add(time.Microsecond)); err != nil || len(later) != 0 {
			t.Errorf("loans created since %v: %+v, %v; want none", d0.Add(time.Microsecond), later, err)
		}
	})
}
