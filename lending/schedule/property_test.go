package schedule

import (
	"reflect"
	"testing"

	"pgregory.net/rapid"

	"github.com/nirnay/nirnay/money"
)

// drawTerms draws terms over the ranges Nirnay lends in: ₹1,000 – ₹50,00,000,
// 1–36% with up to two decimals, 1–84 months, both methods and day counts,
// starts over several years and, a third of the time, a broken first period.
func drawTerms(t *rapid.T) Terms {
	bps := rapid.Int64Range(100, 3600).Draw(t, "rate_bps")
	rate, _ := RateFromBPS(bps)
	start := Date(rapid.Int32Range(int32(fromCivil(2025, 1, 1)), int32(fromCivil(2030, 12, 31))).Draw(t, "start"))
	terms := Terms{
		Principal: money.Paise(rapid.Int64Range(1_000_00, 50_00_000_00).Draw(t, "principal")),
		Rate:      rate,
		Tenure:    rapid.IntRange(1, 84).Draw(t, "tenure"),
		Method:    rapid.SampledFrom([]Method{Reducing, Flat}).Draw(t, "method"),
		DayCount:  rapid.SampledFrom([]DayCount{Days30360, Actual365}).Draw(t, "day_count"),
		Start:     start,
	}
	if rapid.IntRange(0, 2).Draw(t, "broken") == 0 {
		span := int32(start.AddMonths(2) - start)
		terms.FirstDue = start + Date(rapid.Int32Range(1, span).Draw(t, "first_due_offset"))
	}
	return terms
}

func TestScheduleInvariants(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		terms := drawTerms(rt)
		s, err := Generate(terms)
		if err != nil {
			rt.Fatalf("Generate(%+v): %v", terms, err)
		}
		if len(s.Instalments) != terms.Tenure {
			rt.Fatalf("%d rows, want %d", len(s.Instalments), terms.Tenure)
		}
		var sumP, sumI money.Paise
		bal := terms.Principal
		prevDue := terms.Start
		for _, row := range s.Instalments {
			if row.Principal < 0 || row.Interest < 0 || row.Amount < 0 || row.Balance < 0 {
				rt.Fatalf("negative value in row %+v (terms %+v)", row, terms)
			}
			if row.Amount != row.Principal+row.Interest {
				rt.Fatalf("row %d: amount %s != principal %s + interest %s", row.N, row.Amount, row.Principal, row.Interest)
			}
			bal -= row.Principal
			if row.Balance != bal {
				rt.Fatalf("row %d: balance %s, want %s", row.N, row.Balance, bal)
			}
			if row.DueDate <= prevDue {
				rt.Fatalf("row %d: due date %s not after %s", row.N, row.DueDate, prevDue)
			}
			prevDue = row.DueDate
			sumP += row.Principal
			sumI += row.Interest
		}
		if sumP != terms.Principal {
			rt.Fatalf("principal sums to %s, want %s (terms %+v)", sumP, terms.Principal, terms)
		}
		if last := s.Instalments[len(s.Instalments)-1]; last.Balance != 0 {
			rt.Fatalf("final balance %s, want 0", last.Balance)
		}
		if sumI != s.TotalInterest {
			rt.Fatalf("interest column sums to %s, total_interest says %s", sumI, s.TotalInterest)
		}
		// every row but the last (and the first of a broken period) pays
		// exactly the EMI
		for _, row := range s.Instalments[:len(s.Instalments)-1] {
			if row.N == 1 && terms.FirstDue != 0 && terms.FirstDue != terms.Start.AddMonths(1) {
				continue
			}
			if row.Amount != s.EMI {
				rt.Fatalf("row %d amount %s != EMI %s (terms %+v)", row.N, row.Amount, s.EMI, terms)
			}
		}
		again, _ := Generate(terms)
		if !reflect.DeepEqual(s, again) {
			rt.Fatalf("same terms gave two different schedules")
		}
	})
}

// TestAPRProperties: with no fees a reducing 30/360 loan's APR is its
// nominal rate; with fees it is at least the nominal rate.
func TestAPRProperties(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		terms := drawTerms(rt)
		terms.Method, terms.DayCount, terms.FirstDue = Reducing, Days30360, 0
		k, err := NewKFS(terms, nil)
		if err != nil {
			rt.Fatalf("NewKFS(%+v): %v", terms, err)
		}
		// Rounding interest to the paisa moves the IRR by about
		// Σ|rounding| / Σ balances a month: below half a basis point a year
		// (so APR = nominal exactly) once the balances are large enough;
		// below that the APR is still within one basis point.
		nominal := formatBPS(mustBPS(rt, terms.Rate))
		var sumBal int64
		for _, row := range k.Instalments {
			sumBal += int64(row.Balance + row.Principal)
		}
		if diff := bpsOf(rt, k.APRPercent) - bpsOf(rt, nominal); sumBal >= 240_000*int64(terms.Tenure) && diff != 0 || diff < -1 || diff > 1 {
			rt.Fatalf("APR without fees = %s, want the nominal %s (terms %+v)", k.APRPercent, nominal, terms)
		}
		fee := money.Paise(rapid.Int64Range(1, int64(terms.Principal)/10).Draw(rt, "fee"))
		kf, err := NewKFS(terms, []Fee{{Name: "processing_fee", Amount: fee}})
		if err != nil {
			rt.Fatalf("NewKFS with fee %s: %v", fee, err)
		}
		if bpsOf(rt, kf.APRPercent) < bpsOf(rt, k.APRPercent) {
			rt.Fatalf("APR with fee %s = %s, below the fee-free %s", fee, kf.APRPercent, k.APRPercent)
		}
		if kf.NetDisbursed != terms.Principal-fee || kf.TotalPayable != terms.Principal+kf.TotalInterest {
			rt.Fatalf("net %s / total payable %s inconsistent with principal %s, fee %s, interest %s",
				kf.NetDisbursed, kf.TotalPayable, terms.Principal, fee, kf.TotalInterest)
		}
	})
}

func mustBPS(t *rapid.T, r Rate) int64 {
	n, d := r.parts()
	if (n*10000)%d != 0 {
		t.Fatalf("rate %s is not whole basis points", r)
	}
	return n * 10000 / d
}

func bpsOf(t *rapid.T, s string) int64 {
	p, err := money.ParseRupees(s) // same two-decimal format
	if err != nil {
		t.Fatalf("bad percent %q", s)
	}
	return int64(p)
}
