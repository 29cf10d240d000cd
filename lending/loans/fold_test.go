package loans

import (
	"testing"

	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
)

func testLoan(t *testing.T, excess product.Excess) (Disbursal, schedule.Date) {
	t.Helper()
	start := mustD("2026-01-10")
	rate, _ := schedule.RateFromBPS(1200)
	sch, err := schedule.Generate(schedule.Terms{Principal: 10_000_000, Rate: rate, Tenure: 12, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	return Disbursal{Principal: 10_000_000, AnnualRateBPS: 1200, Method: schedule.Reducing, DayCount: schedule.Days30360,
		Order: product.DefaultAllocationOrder, Excess: excess, PenalBase: 50_000, PenalGST: 9_000, EMI: sch.EMI, Rows: rowsOf(sch, 1)}, start
}

func TestPrepaymentShortensTenure(t *testing.T) {
	t.Parallel()
	d, start := testLoan(t, product.Prepayment)
	if d.EMI != 888_488 {
		t.Fatalf("EMI %s, want 8884.88", d.EMI)
	}
	s := Fold([]Event{{Type: EvDisbursed, On: start, Disbursal: &d},
		{Type: EvPayment, On: mustD("2026-02-10"), PaymentID: "p", Amount: d.EMI + 5_000_000}})
	// first instalment paid, 50,000 prepaid: 11 rows become fewer, none above the EMI
	if s.Prepaid != 5_000_000 || len(s.Rows) >= 12 {
		t.Fatalf("prepaid %s over %d rows; want 50000.00 and fewer than 12 rows", s.Prepaid, len(s.Rows))
	}
	var principal money.Paise
	for i, r := range s.Rows {
		principal += r.Principal
		if i > 0 && i < len(s.Rows)-1 && r.Principal+r.Interest > d.EMI {
			t.Errorf("row %d pays %s, above the EMI %s", r.N, r.Principal+r.Interest, d.EMI)
		}
		if i > 0 && r.N != s.Rows[i-1].N+1 {
			t.Errorf("row numbers not consecutive: %d after %d", r.N, s.Rows[i-1].N)
		}
	}
	if principal+s.Prepaid != d.Principal {
		t.Fatalf("principal %s + prepaid %s ≠ %s", principal, s.Prepaid, d.Principal)
	}
	if want := d.Principal - s.Rows[0].Principal - 5_000_000; s.Outstanding() != want {
		t.Fatalf("outstanding %s, want %s", s.Outstanding(), want)
	}
}

func TestAdvanceCoversLaterInstalments(t *testing.T) {
	t.Parallel()
	d, start := testLoan(t, product.Advance)
	evs := []Event{{Type: EvDisbursed, On: start, Disbursal: &d},
		{Type: EvPayment, On: mustD("2026-02-05"), PaymentID: "p", Amount: 3 * d.EMI}}
	s := Fold(evs)
	// the instalment falling due next is paid; two EMIs are held
	if s.Advance != 2*d.EMI || !s.Rows[0].Billed || s.Rows[0].unpaidPrincipal() != 0 {
		t.Fatalf("advance %s, row 1 %+v; want 2 EMIs held and row 1 paid", s.Advance, s.Rows[0])
	}
	for _, day := range []string{"2026-03-11", "2026-04-11"} {
		evs = append(evs, Event{Type: EvDayEnd, On: mustD(day)})
		s = Fold(evs)
		if dpd := s.DPD(mustD(day)); dpd != 0 || len(s.Charges) != 0 {
			t.Fatalf("%s: DPD %d charges %d; want the advance to have paid the instalment", day, dpd, len(s.Charges))
		}
	}
	if s.Advance != 0 {
		t.Fatalf("advance left %s, want 0", s.Advance)
	}
	evs = append(evs, Event{Type: EvDayEnd, On: mustD("2026-05-11")})
	s = Fold(evs)
	if dpd := s.DPD(mustD("2026-05-11")); dpd != 1 || len(s.Charges) != 1 {
		t.Fatalf("instalment 4 unpaid a day: DPD %d, charges %d; want 1 and 1", dpd, len(s.Charges))
	}
}

func TestBounceRestoresExactly(t *testing.T) {
	t.Parallel()
	d, start := testLoan(t, product.Prepayment)
	base := []Event{{Type: EvDisbursed, On: start, Disbursal: &d},
		{Type: EvPayment, On: mustD("2026-02-10"), PaymentID: "a", Amount: d.EMI}}
	prior := Fold(base)
	withPay := append(append([]Event(nil), base...), Event{Type: EvPayment, On: mustD("2026-02-12"), PaymentID: "b", Amount: 3_000_000})
	if paid := Fold(withPay); paid.Outstanding() == prior.Outstanding() {
		t.Fatal("the payment changed nothing")
	}
	s := Fold(append(withPay, Event{Type: EvBounce, On: mustD("2026-02-15"), PaymentID: "b"}))
	if got, want := s.Outstanding(), prior.Outstanding()+59_000; got != want {
		t.Fatalf("after the bounce: outstanding %s, want %s (prior + penal 500 + GST 90)", got, want)
	}
	if len(s.Rows) != len(prior.Rows) || s.Prepaid != 0 || s.Received != prior.Received {
		t.Fatalf("after the bounce: %d rows prepaid %s received %s; want %d rows, 0, %s", len(s.Rows), s.Prepaid, s.Received, len(prior.Rows), prior.Received)
	}
	for i := range s.Rows {
		if s.Rows[i] != prior.Rows[i] {
			t.Fatalf("row %d: %+v, want %+v", i+1, s.Rows[i], prior.Rows[i])
		}
	}
}
