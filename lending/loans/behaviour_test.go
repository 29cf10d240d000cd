package loans_test

import (
	"context"
	"testing"

	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/money"
)

// TestLimitIncreaseReadsBehaviourOnBook: a limit increase is decided on the
// line's record as the lending core's books show it — months on book, the
// worst days past due, the share of instalments paid on time, average
// utilisation and recent limit changes.
func TestLimitIncreaseReadsBehaviourOnBook(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		id := activeLine(t, e, "C-B", rs("50000"))
		dig := drawDigest(t, e, id, rs("10000"), 3)
		draw, err := e.svc.Draw(ctx, id, loans.DrawRequest{Amount: rs("10000"), TenureMonths: 3, AccountHash: "acct", KFSDigest: dig, Agreed: true})
		if err != nil {
			t.Fatal(err)
		}

		// 26 days in, before any instalment is due: 10,000 of 50,000 used every day.
		e.clk.Set(day("2026-02-05"))
		if _, err := e.svc.LimitIncrease(ctx, id, rs("80000"), true, "li-1"); err != nil {
			t.Fatal(err)
		}
		in := e.dec.input(loans.StepLimitIncrease)
		if in["months_on_book"] != int64(0) || in["max_dpd_on_book"] != int64(0) || in["limit_changes_6m"] != int64(0) ||
			in["utilisation_pct"] != 20.0 || in["on_time_payment_ratio"] != 1.0 {
			t.Fatalf("limit increase input before any due date: %v", in)
		}

		// The first instalment paid on its due date, the second four days
		// late: at the end of the third day after its due date the line was
		// 3 days past due, the worst it got.
		l, err := e.svc.Get(ctx, draw.ID)
		if err != nil {
			t.Fatal(err)
		}
		rows := l.State.Rows
		emi := func(n int) money.Paise { return rows[n].Principal + rows[n].Interest }
		e.clk.Set(day(rows[0].Due.String()))
		if _, _, err := e.svc.Pay(ctx, draw.ID, loans.PaymentRequest{Key: "p1", Amount: emi(0)}); err != nil {
			t.Fatal(err)
		}
		e.clk.Set(day((rows[1].Due + 4).String()))
		if _, _, err := e.svc.Pay(ctx, draw.ID, loans.PaymentRequest{Key: "p2", Amount: emi(1) + rs("300")}); err != nil {
			t.Fatal(err)
		}
		e.clk.Set(day((rows[1].Due + 20).String()))
		if _, err := e.svc.LimitIncrease(ctx, id, rs("90000"), true, "li-2"); err != nil {
			t.Fatal(err)
		}
		in = e.dec.input(loans.StepLimitIncrease)
		if in["months_on_book"] != int64(2) || in["max_dpd_on_book"] != int64(3) || in["limit_changes_6m"] != int64(1) ||
			in["on_time_payment_ratio"] != 0.5 {
			t.Fatalf("limit increase input after two instalments, one late: %v", in)
		}
		// Used at most 10,000 of a 50,000 and then 80,000 limit, and less as it was repaid.
		if u, ok := in["utilisation_pct"].(float64); !ok || u <= 0 || u >= 20 {
			t.Fatalf("utilisation_pct %v, want between 0 and 20", in["utilisation_pct"])
		}
	})
}
