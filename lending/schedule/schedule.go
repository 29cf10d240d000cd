// Package schedule is Nirnay's repayment arithmetic: exact instalment
// schedules (reducing-balance EMI and flat), Key Fact Statements and the APR
// as RBI defines it.
//
// Money is int64 paise (money.Paise) and rates are exact fractions (Rate).
// No floating point is involved anywhere. Rounding is always half-up to the
// nearest paisa, and the last instalment absorbs what rounding leaves over, so
// the principal column sums exactly to the loan amount and the balance ends at
// zero. Everything here is a pure function of its inputs: the same Terms give
// the same Schedule, byte for byte, and all functions are safe for concurrent
// use.
package schedule

import (
	"errors"
	"fmt"

	"github.com/nirnay/nirnay/money"
)

// Method is how interest is charged.
type Method string

const (
	// Reducing charges interest on the outstanding balance each period and
	// repays it with an equated monthly instalment (EMI). The default.
	Reducing Method = "reducing"
	// Flat charges interest on the original principal for the whole term and
	// spreads principal and interest evenly over the instalments.
	Flat Method = "flat"
)

// DayCount is how a period's interest is measured.
type DayCount string

const (
	// Days30360 counts every month as 30 days of a 360-day year: a regular
	// monthly period earns exactly annual/12. A broken first period is
	// measured in 30E/360 days. The default.
	Days30360 DayCount = "30/360"
	// Actual365 counts the actual days between due dates over a 365-day year
	// (Actual/365 Fixed, also in leap years).
	Actual365 DayCount = "actual/365"
)

// Limits on Terms.
const (
	MaxTenureMonths = 600
	minStartYear    = 2000
	maxStartYear    = 2199
)

// Terms are the inputs of a schedule.
type Terms struct {
	Principal money.Paise // amount lent, > 0
	Rate      Rate        // nominal annual rate
	Tenure    int         // number of monthly instalments, 1–600
	Method    Method      // "" means Reducing
	DayCount  DayCount    // "" means Days30360
	Start     Date        // disbursal date; interest runs from here (years 2000–2199)
	// FirstDue is the first due date. The zero value means one month after
	// Start (same day of month, clamped to the month's end). Any other value
	// makes the first period a broken period: it must be after Start and no
	// later than two months after it, and its interest is for its actual
	// length. Later due dates fall on FirstDue's day of month.
	FirstDue Date
}

// Instalment is one row of a schedule. Amount = Principal + Interest, and
// Balance is the principal outstanding after the row is paid.
type Instalment struct {
	N         int         `json:"n"`
	DueDate   Date        `json:"due_date"`
	Principal money.Paise `json:"principal"`
	Interest  money.Paise `json:"interest"`
	Amount    money.Paise `json:"amount"`
	Balance   money.Paise `json:"balance"`
}

// Schedule is a full repayment schedule.
type Schedule struct {
	// EMI is the level instalment. Every row but the last pays exactly EMI,
	// except the first row of a broken first period (EMI plus or minus the
	// broken period's extra interest) and a row whose interest alone exceeds
	// the EMI (it pays its interest and no principal).
	EMI           money.Paise  `json:"emi"`
	TotalInterest money.Paise  `json:"total_interest"`
	Instalments   []Instalment `json:"instalments"`
}

// TotalPayable is the sum of all instalments (principal plus interest).
func (s Schedule) TotalPayable() money.Paise {
	var t money.Paise
	for _, in := range s.Instalments {
		t += in.Amount
	}
	return t
}

// ErrInvalidInput is matched (errors.Is) by every *InputError.
var ErrInvalidInput = errors.New("invalid schedule input")

// InputError reports a Terms field that cannot be scheduled. Field is the
// snake_case input name: principal, annual_rate, tenure, method, day_count,
// start, first_due, fee.
type InputError struct {
	Field string
	Msg   string
}

func (e *InputError) Error() string        { return e.Field + ": " + e.Msg }
func (e *InputError) Is(target error) bool { return target == ErrInvalidInput }

func inputErr(field, format string, a ...any) error {
	return &InputError{Field: field, Msg: fmt.Sprintf(format, a...)}
}

// ParseMethod accepts "reducing" and "flat".
func ParseMethod(s string) (Method, error) {
	switch m := Method(s); m {
	case Reducing, Flat:
		return m, nil
	}
	return "", inputErr("method", "%q is not a method (want reducing or flat)", s)
}

// ParseDayCount accepts "30/360" and "actual/365".
func ParseDayCount(s string) (DayCount, error) {
	switch d := DayCount(s); d {
	case Days30360, Actual365:
		return d, nil
	}
	return "", inputErr("day_count", "%q is not a day count (want 30/360 or actual/365)", s)
}

// normalize fills defaults and validates t.
func (t Terms) normalize() (Terms, error) {
	if t.Method == "" {
		t.Method = Reducing
	}
	if t.DayCount == "" {
		t.DayCount = Days30360
	}
	switch {
	case t.Principal <= 0:
		return t, inputErr("principal", "must be greater than zero (got %s)", t.Principal)
	case t.Tenure < 1 || t.Tenure > MaxTenureMonths:
		return t, inputErr("tenure", "must be 1–%d months (got %d)", MaxTenureMonths, t.Tenure)
	case t.Rate.num < 0 || t.Rate.num > t.Rate.den && t.Rate.den != 0:
		return t, inputErr("annual_rate", "must be 0–100 percent (got %s)", t.Rate)
	}
	if _, err := ParseMethod(string(t.Method)); err != nil {
		return t, err
	}
	if _, err := ParseDayCount(string(t.DayCount)); err != nil {
		return t, err
	}
	if y, _, _ := t.Start.YMD(); y < minStartYear || y > maxStartYear {
		return t, inputErr("start", "must be a date in the years %d–%d (got %s)", minStartYear, maxStartYear, t.Start)
	}
	if t.FirstDue != 0 && (t.FirstDue <= t.Start || t.FirstDue > t.Start.AddMonths(2)) {
		return t, inputErr("first_due", "must be after the start date %s and no later than %s (got %s)",
			t.Start, t.Start.AddMonths(2), t.FirstDue)
	}
	if t.FirstDue == t.Start.AddMonths(1) {
		t.FirstDue = 0
	}
	return t, nil
}

// dueDate returns the k-th due date (k from 1).
func (t Terms) dueDate(k int) Date {
	if t.FirstDue != 0 {
		return t.FirstDue.AddMonths(k - 1)
	}
	return t.Start.AddMonths(k)
}

// periodFactor returns the year fraction of instalment k's period as
// (numerator, denominator) so that interest = balance·rate·num/den, with
// prev the previous due date (Start for k = 1). Only k = 1 with a broken
// first period is special; any other k (0 included) is a regular period.
func (t Terms) periodFactor(k int, prev, due Date) (int64, int64) {
	if t.DayCount == Actual365 {
		return int64(due - prev), 365
	}
	if k == 1 && t.FirstDue != 0 {
		return days360(t.Start, t.FirstDue), 360
	}
	return 1, 12
}

// Generate builds the schedule for t. It returns an *InputError (matching
// ErrInvalidInput) when t is invalid.
//
// Reducing: EMI = P·r·(1+r)^n/((1+r)^n − 1) with r = annual/12, computed
// exactly and rounded half-up to the paisa, for both day counts. Each row's
// interest is the opening balance × annual rate × the period's year fraction
// (1/12 for a regular 30/360 month, days/365 under actual/365, 30E/360
// days/360 for a broken first period), rounded half-up; principal = EMI −
// interest (never below zero: a row whose interest exceeds the EMI pays its
// interest only); the last row repays the remaining balance plus its
// interest. A broken first period changes only the first row's interest: its
// principal is what a regular first month would have repaid, so the first
// instalment is the EMI plus (or minus) the broken-period interest
// difference and the rest of the schedule is as for a regular start.
//
// Flat: total interest = P × annual × the term's year fraction (n/12 under
// 30/360 without a broken period), rounded half-up; every row carries
// ⌊total/n⌋ interest and the last the remainder; EMI = (P + total)/n rounded
// half-up; principal = EMI − interest and the last row repays the rest.
func Generate(t Terms) (Schedule, error) {
	t, err := t.normalize()
	if err != nil {
		return Schedule{}, err
	}
	var s Schedule
	s.Instalments = make([]Instalment, t.Tenure)
	if t.Method == Flat {
		t.flat(&s)
	} else {
		t.reducing(&s)
	}
	return s, nil
}

func (t Terms) reducing(s *Schedule) {
	num, den := t.Rate.parts()
	n := t.Tenure
	emi := reducingEMI(int64(t.Principal), num, den, n)
	s.EMI = money.Paise(emi)
	bal := int64(t.Principal)
	prev := t.Start
	var total int64
	for k := 1; k <= n; k++ {
		due := t.dueDate(k)
		fn, fd := t.periodFactor(k, prev, due)
		interest := int64(mulDivRound(uint64(bal), uint64(num*fn), uint64(den*fd)))
		repaid := emi - interest
		if k == 1 && t.FirstDue != 0 {
			// broken first period: repay what a regular first month would
			// have, and charge the broken period's interest on top
			regular := t.Start.AddMonths(1)
			rn, rd := t.periodFactor(0, t.Start, regular)
			repaid = emi - int64(mulDivRound(uint64(bal), uint64(num*rn), uint64(den*rd)))
		}
		principal := min(max(repaid, 0), bal)
		if k == n {
			principal = bal
		}
		bal -= principal
		total += interest
		s.Instalments[k-1] = Instalment{
			N: k, DueDate: due,
			Principal: money.Paise(principal), Interest: money.Paise(interest),
			Amount: money.Paise(principal + interest), Balance: money.Paise(bal),
		}
		prev = due
	}
	s.TotalInterest = money.Paise(total)
}

func (t Terms) flat(s *Schedule) {
	num, den := t.Rate.parts()
	n := int64(t.Tenure)
	p := int64(t.Principal)
	// the term's year fraction as yn/yd
	var yn, yd int64
	switch {
	case t.DayCount == Actual365:
		yn, yd = int64(t.dueDate(t.Tenure)-t.Start), 365
	case t.FirstDue != 0:
		yn, yd = days360(t.Start, t.FirstDue)+30*(n-1), 360
	default:
		yn, yd = n, 12
	}
	total := int64(mulDivRound(uint64(p), uint64(num*yn), uint64(den*yd)))
	emi := divRound(p+total, n)
	each := total / n
	s.EMI = money.Paise(emi)
	s.TotalInterest = money.Paise(total)
	bal := p
	for k := int64(1); k <= n; k++ {
		interest, principal := each, min(max(emi-each, 0), bal)
		if k == n {
			interest, principal = total-each*(n-1), bal
		}
		bal -= principal
		s.Instalments[k-1] = Instalment{
			N: int(k), DueDate: t.dueDate(int(k)),
			Principal: money.Paise(principal), Interest: money.Paise(interest),
			Amount: money.Paise(principal + interest), Balance: money.Paise(bal),
		}
	}
}
