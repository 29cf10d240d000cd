package loans_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
)

// TestServiceProperties drives random loans through the service on SQLite:
// payments (partial, exact, excess, replayed keys), bounces and day-ends on
// random dates. After every step the ledger balances to zero, its
// receivables equal the loan's outstanding, outstanding = disbursed +
// charges − allocations − waivers − write-offs from the ledger, and a
// replayed key changes nothing.
func TestServiceProperties(t *testing.T) {
	t.Parallel()
	e := newEnv(t, testenv.SQLite(t))
	ctx := context.Background()
	n := 0
	rapid.Check(t, func(rt *rapid.T) {
		n++
		e.clk.Set(day("2026-01-10"))
		product := rapid.SampledFrom([]string{"personal-loan", "credit-line"}).Draw(rt, "product")
		var l *loans.Loan
		cust := fmt.Sprintf("P-%d", n)
		if product == "personal-loan" {
			l = activeLoan(rt, e, cust, money.Paise(rapid.Int64Range(1_000_000, 50_000_000).Draw(rt, "amount")), rapid.IntRange(3, 36).Draw(rt, "tenure"))
		} else {
			l = activeDraw(rt, e, cust, money.Paise(rapid.Int64Range(50_000, 20_000_000).Draw(rt, "amount")), rapid.IntRange(1, 12).Draw(rt, "tenure"))
		}
		type sent struct {
			req loans.PaymentRequest
			id  string
		}
		var pays []sent
		now := day("2026-01-10")
		for i := range rapid.IntRange(1, 25).Draw(rt, "steps") {
			now = now.Add(time.Duration(rapid.IntRange(0, 40).Draw(rt, "gap")) * 24 * time.Hour)
			e.clk.Set(now)
			cur, err := e.svc.Get(ctx, l.ID)
			if err != nil {
				rt.Fatal(err)
			}
			if cur.Status != loans.StatusActive {
				break
			}
			switch op := rapid.IntRange(0, 9).Draw(rt, "op"); {
			case op <= 4:
				emi := cur.State.Rows[0].Principal + cur.State.Rows[0].Interest
				req := loans.PaymentRequest{Key: fmt.Sprintf("k%d", i), Amount: money.Paise(rapid.Int64Range(1, int64(emi)*3).Draw(rt, "amount"))}
				p, replayed, err := e.svc.Pay(ctx, l.ID, req)
				if err != nil || replayed {
					rt.Fatalf("pay %+v: %v (replayed %v)", req, err, replayed)
				}
				pays = append(pays, sent{req, p.ID})
			case op <= 5 && len(pays) > 0:
				// replaying a key changes nothing
				s := rapid.SampledFrom(pays).Draw(rt, "replay")
				bal, _ := e.svc.LedgerBalances(ctx, l.ID)
				p, replayed, err := e.svc.Pay(ctx, l.ID, s.req)
				if err != nil || !replayed || p.ID != s.id {
					rt.Fatalf("replay of %s: %v, replayed %v", s.req.Key, err, replayed)
				}
				after, _ := e.svc.LedgerBalances(ctx, l.ID)
				if fmt.Sprint(bal) != fmt.Sprint(after) {
					rt.Fatalf("replay moved the ledger: %v → %v", bal, after)
				}
				other := s.req
				other.Amount++
				if _, _, err := e.svc.Pay(ctx, l.ID, other); !nirnay.IsKind(err, nirnay.KindConflict) {
					rt.Fatalf("same key, other amount: got %v, want conflict", err)
				}
			case op <= 6 && len(pays) > 0:
				s := rapid.SampledFrom(pays).Draw(rt, "bounce")
				if _, err := e.svc.Bounce(ctx, l.ID, s.id, ""); err != nil && !nirnay.IsKind(err, nirnay.KindConflict) {
					rt.Fatalf("bounce: %v", err)
				}
			default:
				if _, err := e.svc.DayEnd(ctx, schedule.DateOf(now.In(time.FixedZone("IST", 19800)))); err != nil {
					rt.Fatalf("day-end: %v", err)
				}
			}
			checkLedger(rt, e, l.ID)
		}
	})
	t.Logf("%d random loans driven through the service", n)
	reconcileClean(t, e)
}

func checkLedger(t *rapid.T, e *env, id string) {
	ctx := context.Background()
	l, err := e.svc.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	bal, err := e.svc.LedgerBalances(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var sum, recv money.Paise
	for _, v := range bal {
		sum += v
	}
	for _, a := range loans.ReceivableAccounts {
		recv += bal[a]
	}
	if sum != 0 || recv != l.Outstanding {
		t.Fatalf("loan %s: ledger sums to %s (want 0), receivables %s vs outstanding %s", id, sum, recv, l.Outstanding)
	}
	ps, _ := e.svc.Payments(ctx, id)
	var received money.Paise
	for _, p := range ps {
		if p.Status == "applied" {
			received += p.Amount
		}
	}
	// charges = billed interest + penal charges with their GST; the GST on
	// the processing fee (deducted at disbursal) is not a charge on the loan
	fee := -bal[loans.AccFeeIncome]
	feeGST := (fee*18 + 50) / 100
	charges := -bal[loans.AccInterestIncom] - bal[loans.AccPenalIncome] + (-bal[loans.AccGST] - feeGST)
	alloc := received + bal[loans.AccAdvance]
	want := l.Amount + charges - alloc - bal[loans.AccWaiver] - bal[loans.AccWriteOff]
	if l.Outstanding != want {
		t.Fatalf("loan %s: outstanding %s, want %s = disbursed %s + charges %s − allocations %s", id, l.Outstanding, want, l.Amount, charges, alloc)
	}
}

func activeDraw(t tb, e *env, customer string, amount money.Paise, tenure int) *loans.Loan {
	t.Helper()
	ctx := context.Background()
	line := activeLine(t, e, customer, rs("200000"))
	dig := drawDigest(t, e, line, amount, tenure)
	l, err := e.svc.Draw(ctx, line, loans.DrawRequest{Amount: amount, TenureMonths: tenure, AccountHash: "acct", KFSDigest: dig, Agreed: true})
	if err != nil {
		t.Fatalf("draw: %v", err)
	}
	return l
}
