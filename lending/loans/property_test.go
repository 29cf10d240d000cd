package loans

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
)

// genDisbursal draws a random loan: rate, tenure, method, day count,
// allocation order, excess handling, penal charge, start date.
func genDisbursal(t *rapid.T) (Disbursal, schedule.Date) {
	start := schedule.Date(rapid.IntRange(int(mustD("2024-01-01")), int(mustD("2027-12-31"))).Draw(t, "start"))
	bps := rapid.Int64Range(0, 4800).Draw(t, "bps")
	rate, _ := schedule.RateFromBPS(bps)
	terms := schedule.Terms{
		Principal: money.Paise(rapid.Int64Range(50_000, 50_000_000).Draw(t, "principal")),
		Rate:      rate, Tenure: rapid.IntRange(1, 36).Draw(t, "tenure"),
		Method:   rapid.SampledFrom([]schedule.Method{schedule.Reducing, schedule.Flat}).Draw(t, "method"),
		DayCount: rapid.SampledFrom([]schedule.DayCount{schedule.Days30360, schedule.Actual365}).Draw(t, "day_count"),
		Start:    start,
	}
	sch, err := schedule.Generate(terms)
	if err != nil {
		t.Fatalf("generate %+v: %v", terms, err)
	}
	order := rapid.Permutation(product.DefaultAllocationOrder).Draw(t, "order")
	fee := money.Paise(rapid.Int64Range(0, int64(terms.Principal)/20).Draw(t, "fee"))
	penal := money.Paise(rapid.Int64Range(0, 100_000).Draw(t, "penal"))
	return Disbursal{Principal: terms.Principal, FeeBase: fee, FeeGST: fee * 18 / 100, AnnualRateBPS: bps,
		Method: terms.Method, DayCount: terms.DayCount, Order: order,
		Excess:    rapid.SampledFrom([]product.Excess{product.Advance, product.Prepayment}).Draw(t, "excess"),
		PenalBase: penal, PenalGST: penal * 18 / 100, EMI: sch.EMI, Rows: rowsOf(sch, 1)}, start
}

func mustD(s string) schedule.Date {
	d, err := schedule.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// checkBooks asserts the state's invariants: its implied balances sum to
// zero, and outstanding = disbursed + charges − allocations − waivers −
// write-offs, with each figure taken from its own source.
func checkBooks(t *rapid.T, s State, what string) {
	var sum money.Paise
	bal := s.balances()
	for _, v := range bal {
		sum += v
	}
	if sum != 0 {
		t.Fatalf("%s: balances sum to %s, want 0: %v", what, sum, bal)
	}
	var charges, allocated, waived, wo money.Paise
	for _, r := range s.Rows {
		if r.Billed {
			charges += r.Interest
		}
		allocated += r.PaidPrincipal + r.PaidInterest
		wo += r.WOPrincipal + r.WOInterest
		if r.PaidPrincipal < 0 || r.PaidInterest < 0 || r.unpaidPrincipal() < 0 || r.unpaidInterest() < 0 {
			t.Fatalf("%s: row %d out of range: %+v", what, r.N, r)
		}
	}
	for _, c := range s.Charges {
		charges += c.Base + c.GST
		allocated += c.Paid
		waived += c.Waived
		wo += c.WrittenOff
		if c.unpaid() < 0 {
			t.Fatalf("%s: charge overpaid: %+v", what, c)
		}
	}
	allocated += s.Prepaid
	if s.Received != allocated+s.Advance {
		t.Fatalf("%s: received %s ≠ allocated %s + advance %s", what, s.Received, allocated, s.Advance)
	}
	if want := s.Terms.Principal + charges - allocated - waived - wo; s.Outstanding() != want {
		t.Fatalf("%s: outstanding %s, want %s = disbursed %s + charges %s − allocations %s − waivers %s − write-offs %s",
			what, s.Outstanding(), want, s.Terms.Principal, charges, allocated, waived, wo)
	}
	if s.Advance < 0 {
		t.Fatalf("%s: negative advance %s", what, s.Advance)
	}
}

// TestFoldProperties folds random sequences of payments (partial, exact,
// excess), bounces, day-ends, waivers, foreclosures and write-offs over
// random loans, checking after every event that the books balance, that
// each journal balances, that a bounce restores exactly the state without
// the payment plus one penal charge, and that a foreclosure at the quote
// leaves nothing outstanding.
func TestFoldProperties(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		d, start := genDisbursal(t)
		evs := []Event{{Type: EvDisbursed, On: start, Disbursal: &d}}
		s := Fold(evs)
		checkBooks(t, s, "disbursed")
		on := start
		var pays []string
		steps := rapid.IntRange(1, 40).Draw(t, "steps")
		for i := range steps {
			on += schedule.Date(rapid.IntRange(0, 45).Draw(t, "gap"))
			var e Event
			switch op := rapid.IntRange(0, 9).Draw(t, "op"); {
			case op <= 4:
				amt := money.Paise(rapid.Int64Range(1, int64(d.EMI)*3+1000).Draw(t, "amount"))
				e = Event{Type: EvPayment, On: on, Amount: amt, PaymentID: fmt.Sprintf("p%d", i)}
				pays = append(pays, e.PaymentID)
			case op <= 6:
				e = Event{Type: EvDayEnd, On: on}
			case op == 7 && len(pays) > 0:
				e = Event{Type: EvBounce, On: on, PaymentID: rapid.SampledFrom(pays).Draw(t, "bounced")}
			case op == 8:
				e = Event{Type: EvWaive, On: on, Amount: money.Paise(rapid.Int64Range(0, 200_000).Draw(t, "waive"))}
				if e.Amount > s.chargesUnpaid(product.PenalCharges) {
					e.Amount = s.chargesUnpaid(product.PenalCharges)
				}
			default:
				e = Event{Type: EvDayEnd, On: on}
			}
			before := s
			next := append(append([]Event(nil), evs...), e)
			after := Fold(next)
			checkBooks(t, after, fmt.Sprintf("after %s on %s", e.Type, e.On))
			if lines := journalLines(&before, &after); !Balanced(lines) {
				t.Fatalf("journal for %s does not balance: %v", e.Type, lines)
			}
			if e.Type == EvBounce {
				// exactly the fold without that payment, plus one penal charge
				var without []Event
				for _, x := range evs {
					if !(x.Type == EvPayment && x.PaymentID == e.PaymentID) {
						without = append(without, x)
					}
				}
				want := Fold(append(without, Event{Type: EvBounce, On: e.On, PaymentID: "none"}))
				if after.Outstanding() != want.Outstanding() || after.Received != want.Received || len(after.Charges) != len(want.Charges) {
					t.Fatalf("bounce of %s: outstanding %s received %s, want %s and %s", e.PaymentID, after.Outstanding(), after.Received, want.Outstanding(), want.Received)
				}
				pays = removeID(pays, e.PaymentID)
			}
			evs, s = next, after
			if s.Status != StatusActive {
				break
			}
		}
		if s.Status != StatusActive {
			return
		}
		if rapid.Bool().Draw(t, "foreclose") {
			on += schedule.Date(rapid.IntRange(0, 40).Draw(t, "gap"))
			p := &product.Product{ForeclosureCharge: product.Charge{Percent: ratePtr("4")}, GSTPercent: mustRate("18"), CoolingOffDays: 3}
			q, ev := quote(s, p, on, StatusForeclosed)
			if q.Total <= 0 {
				return
			}
			ev.PaymentID = "fc"
			after := Fold(append(evs, ev))
			checkBooks(t, after, "foreclosed")
			if after.Outstanding() != 0 || after.Status != StatusForeclosed || after.Advance != 0 {
				t.Fatalf("foreclosure at the quote %s left outstanding %s advance %s status %s", q.Total, after.Outstanding(), after.Advance, after.Status)
			}
		} else {
			after := Fold(append(evs, Event{Type: EvWriteOff, On: on}))
			checkBooks(t, after, "written off")
			if after.Outstanding() != 0 {
				t.Fatalf("write-off left %s outstanding", after.Outstanding())
			}
		}
	})
}

func removeID(ids []string, id string) []string {
	out := ids[:0:0]
	for _, x := range ids {
		if x != id {
			out = append(out, x)
		}
	}
	return out
}

func mustRate(s string) schedule.Rate {
	r, err := schedule.ParsePercent(s)
	if err != nil {
		panic(err)
	}
	return r
}

func ratePtr(s string) *schedule.Rate { r := mustRate(s); return &r }
