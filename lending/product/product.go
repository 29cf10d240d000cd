// Package product defines Nirnay's lending products (personal loan, credit
// line…): their amount and tenure ranges, pricing, fees and charges, and the
// servicing settings the loan book obeys (allocation order, excess handling,
// cooling-off). Products are YAML files in policies/products/, loaded
// strictly and validated once; a loaded *Product is immutable and safe for
// concurrent use.
package product

import (
	"errors"
	"fmt"

	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
)

// Kind is the shape of a product.
type Kind string

const (
	// TermLoan is disbursed once and repaid on one schedule.
	TermLoan Kind = "term_loan"
	// CreditLine has a limit (within Amount) and draws (within DrawAmount),
	// each repaid on its own schedule.
	CreditLine Kind = "credit_line"
)

// Bucket is a kind of dues a payment is allocated to.
type Bucket string

const (
	PenalCharges Bucket = "penal_charges"
	Fees         Bucket = "fees"
	Interest     Bucket = "interest"
	Principal    Bucket = "principal"
)

// DefaultAllocationOrder is used when a product gives none: penal charges,
// then fees, then interest, then principal.
var DefaultAllocationOrder = []Bucket{PenalCharges, Fees, Interest, Principal}

// Excess is what happens to a payment beyond what is due.
type Excess string

const (
	// Advance holds the excess and applies it to the next instalments as
	// they fall due.
	Advance Excess = "advance"
	// Prepayment applies the excess to the principal outstanding at once
	// (the schedule is recomputed; tenure shortens, EMI stays).
	Prepayment Excess = "prepayment"
)

// AmountRange is an inclusive range of amounts.
type AmountRange struct {
	Min money.Paise `yaml:"min" json:"min"`
	Max money.Paise `yaml:"max" json:"max"`
}

// Contains reports whether Min ≤ a ≤ Max.
func (r AmountRange) Contains(a money.Paise) bool { return a >= r.Min && a <= r.Max }

// TenureRange is an inclusive range of months.
type TenureRange struct {
	Min int `yaml:"min" json:"min"`
	Max int `yaml:"max" json:"max"`
}

// Charge is a fee or charge before GST: either a percent of a base amount
// (optionally clamped to Min/Max) or a flat amount.
type Charge struct {
	Percent *schedule.Rate `yaml:"percent,omitempty" json:"percent,omitempty"`
	Flat    *money.Paise   `yaml:"flat,omitempty" json:"flat,omitempty"`
	Min     *money.Paise   `yaml:"min,omitempty" json:"min,omitempty"`
	Max     *money.Paise   `yaml:"max,omitempty" json:"max,omitempty"`
}

// On returns the charge on base, before GST: the flat amount, or
// percent × base rounded half-up to the paisa and clamped to Min and Max.
// The zero Charge is nothing.
func (c Charge) On(base money.Paise) money.Paise {
	switch {
	case c.Flat != nil:
		return *c.Flat
	case c.Percent == nil:
		return 0
	}
	v := money.Paise(c.Percent.OfPaise(int64(base)))
	if c.Min != nil && v < *c.Min {
		v = *c.Min
	}
	if c.Max != nil && v > *c.Max {
		v = *c.Max
	}
	return v
}

// describe says the charge in words for a KFS ("4% of X, plus 18% GST").
func (c Charge) describe(of string, gst schedule.Rate) string {
	var s string
	switch {
	case c.Flat != nil:
		s = "₹" + c.Flat.String() + " " + of
	case c.Percent != nil && c.Percent.IsZero():
		return "nil"
	case c.Percent != nil:
		s = c.Percent.String() + " of " + of
		if c.Min != nil {
			s += ", at least ₹" + c.Min.String()
		}
		if c.Max != nil {
			s += ", at most ₹" + c.Max.String()
		}
	default:
		return "nil"
	}
	if !gst.IsZero() {
		s += ", plus " + gst.String() + " GST"
	}
	return s
}

// Product is one validated lending product. Do not modify a loaded Product.
type Product struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Kind        Kind   `json:"kind"`
	Description string `json:"description,omitempty"`
	// Amount bounds the loan amount (term loan) or the credit limit
	// (credit line).
	Amount AmountRange `json:"amount"`
	// DrawAmount bounds one draw on a credit line; nil for term loans.
	DrawAmount    *AmountRange      `json:"draw_amount,omitempty"`
	TenureMonths  TenureRange       `json:"tenure_months"`
	AnnualRate    schedule.Rate     `json:"annual_rate"`
	DayCount      schedule.DayCount `json:"day_count"`
	Method        schedule.Method   `json:"method"`
	ProcessingFee Charge            `json:"processing_fee"` // on the amount (or the draw)
	GSTPercent    schedule.Rate     `json:"gst_percent"`    // on every fee and charge
	// GSTInAPR says whether GST on the processing fee counts in the APR.
	GSTInAPR          bool     `json:"gst_in_apr"`
	PenalCharge       Charge   `json:"penal_charge"`       // per missed instalment; never interest
	ForeclosureCharge Charge   `json:"foreclosure_charge"` // on the principal outstanding
	CoolingOffDays    int      `json:"cooling_off_days"`
	AllocationOrder   []Bucket `json:"allocation_order"`
	Excess            Excess   `json:"excess"`
	// Source is the file the product was loaded from.
	Source string `json:"-"`
}

// ErrOutOfRange is matched (errors.Is) by every *TermsError: a request that
// is well formed but outside what the product offers (an API answers 422).
var ErrOutOfRange = errors.New("outside the product's terms")

// TermsError reports a requested amount or tenure the product does not
// offer. Field is "amount" or "tenure_months".
type TermsError struct {
	Product string
	Field   string
	Msg     string
}

func (e *TermsError) Error() string {
	return fmt.Sprintf("product %s: %s: %s", e.Product, e.Field, e.Msg)
}

func (e *TermsError) Is(target error) bool { return target == ErrOutOfRange }

// amountRange is the range a single schedule's amount must fall in: the
// loan amount for a term loan, one draw for a credit line.
func (p *Product) amountRange() AmountRange {
	if p.Kind == CreditLine && p.DrawAmount != nil {
		return *p.DrawAmount
	}
	return p.Amount
}

// CheckLimit reports a *TermsError unless limit is within Amount (for a
// credit line's limit; for a term loan it is the same as the amount check).
func (p *Product) CheckLimit(limit money.Paise) error {
	if !p.Amount.Contains(limit) {
		return &TermsError{p.ID, "amount", fmt.Sprintf("%s is outside %s–%s", limit, p.Amount.Min, p.Amount.Max)}
	}
	return nil
}

// Terms returns the schedule terms for amount (the loan, or one draw on a
// credit line) over tenure months from start at the product's rate, method
// and day count. firstDue 0 means one month after start. It returns a
// *TermsError (ErrOutOfRange) when amount or tenure is outside the product.
func (p *Product) Terms(amount money.Paise, tenure int, start, firstDue schedule.Date) (schedule.Terms, error) {
	if r := p.amountRange(); !r.Contains(amount) {
		return schedule.Terms{}, &TermsError{p.ID, "amount", fmt.Sprintf("%s is outside %s–%s", amount, r.Min, r.Max)}
	}
	if tenure < p.TenureMonths.Min || tenure > p.TenureMonths.Max {
		return schedule.Terms{}, &TermsError{p.ID, "tenure_months",
			fmt.Sprintf("%d is outside %d–%d", tenure, p.TenureMonths.Min, p.TenureMonths.Max)}
	}
	return schedule.Terms{
		Principal: amount, Rate: p.AnnualRate, Tenure: tenure,
		Method: p.Method, DayCount: p.DayCount, Start: start, FirstDue: firstDue,
	}, nil
}

// UpfrontFees returns the fees deducted from disbursing amount: the
// processing fee and the GST on it (names "processing_fee" and
// "gst_on_processing_fee"; zero fees are left out). The GST is excluded from
// the APR when GSTInAPR is false.
func (p *Product) UpfrontFees(amount money.Paise) []schedule.Fee {
	fee := p.ProcessingFee.On(amount)
	if fee == 0 {
		return nil
	}
	fees := []schedule.Fee{{Name: "processing_fee", Amount: fee}}
	if gst := money.Paise(p.GSTPercent.OfPaise(int64(fee))); gst > 0 {
		fees = append(fees, schedule.Fee{Name: "gst_on_processing_fee", Amount: gst, ExcludeFromAPR: !p.GSTInAPR})
	}
	return fees
}

// KFS returns the Key Fact Statement for amount over tenure months from
// start (firstDue 0: one month later), with the product's up-front fees
// followed by extra (counted in the APR unless marked otherwise), its
// contingent charges and cooling-off period. Errors: *TermsError
// (ErrOutOfRange) for terms outside the product, *schedule.InputError
// otherwise.
func (p *Product) KFS(amount money.Paise, tenure int, start, firstDue schedule.Date, extra ...schedule.Fee) (schedule.KFS, error) {
	t, err := p.Terms(amount, tenure, start, firstDue)
	if err != nil {
		return schedule.KFS{}, err
	}
	k, err := schedule.NewKFS(t, append(p.UpfrontFees(amount), extra...))
	if err != nil {
		return schedule.KFS{}, err
	}
	k.ProductID = p.ID
	days := p.CoolingOffDays
	k.CoolingOffDays = &days
	k.ContingentCharges = []schedule.Charge{
		{Name: "Penal charges (delayed payment)", Terms: p.PenalCharge.describe("per missed instalment", p.GSTPercent) + "; a charge, never interest, and never compounded"},
		{Name: "Foreclosure charges", Terms: p.ForeclosureCharge.describe("the principal outstanding", p.GSTPercent)},
	}
	return k, nil
}
