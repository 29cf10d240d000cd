package schedule

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

// maxRateDecimals is the most decimal places a percent may carry: 10.999999
// is accepted, 10.9999999 is not. It keeps every rate an exact fraction with a
// small integer denominator, so per-instalment arithmetic stays in int64.
const maxRateDecimals = 6

// ErrInvalidRate is returned (wrapped) for a rate that cannot be parsed or is
// outside 0–100 percent a year.
var ErrInvalidRate = errors.New("invalid annual rate")

// Rate is an annual interest rate held exactly as a fraction of one: 24% is
// 6/25, 10.99% is 1099/10000. The zero value is 0%. Rates are between 0 and
// 100 percent inclusive. Rate is a small value type, safe to copy and compare.
type Rate struct {
	num, den int64 // reduced, den > 0
}

// ParsePercent parses an annual rate in percent: "24", "10.99", "0.5", with at
// most six decimal places and an optional trailing "%". The value must be
// between 0 and 100 inclusive.
func ParsePercent(s string) (Rate, error) {
	in := s
	s = strings.TrimSuffix(strings.TrimSpace(s), "%")
	whole, frac, hasDot := strings.Cut(s, ".")
	if (whole == "" && frac == "") || (hasDot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return Rate{}, fmt.Errorf("%w: %q is not a percent such as 24 or 10.99", ErrInvalidRate, in)
	}
	if len(frac) > maxRateDecimals {
		return Rate{}, fmt.Errorf("%w: %q has more than %d decimal places", ErrInvalidRate, in, maxRateDecimals)
	}
	if len(whole) > 3 {
		return Rate{}, fmt.Errorf("%w: %q is above 100 percent", ErrInvalidRate, in)
	}
	digits := whole + frac
	if digits == "" {
		digits = "0"
	}
	num, err := strconv.ParseInt(digits, 10, 64)
	if err != nil {
		return Rate{}, fmt.Errorf("%w: %q", ErrInvalidRate, in)
	}
	den := int64(100)
	for range len(frac) {
		den *= 10
	}
	r := newRate(num, den)
	if r.num > r.den {
		return Rate{}, fmt.Errorf("%w: %q is above 100 percent", ErrInvalidRate, in)
	}
	return r, nil
}

// RateFromBPS returns the rate of bps basis points a year (1800 is 18%). It
// must be between 0 and 10000.
func RateFromBPS(bps int64) (Rate, error) {
	if bps < 0 || bps > 10000 {
		return Rate{}, fmt.Errorf("%w: %d basis points is outside 0–10000", ErrInvalidRate, bps)
	}
	return newRate(bps, 10000), nil
}

func newRate(num, den int64) Rate {
	if num == 0 {
		return Rate{0, 1}
	}
	g := gcd(num, den)
	return Rate{num / g, den / g}
}

func (r Rate) parts() (num, den int64) {
	if r.den == 0 {
		return 0, 1
	}
	return r.num, r.den
}

// IsZero reports whether r is 0%.
func (r Rate) IsZero() bool { return r.num == 0 }

// Rat returns r as a fraction of one (24% is 6/25).
func (r Rate) Rat() *big.Rat {
	n, d := r.parts()
	return big.NewRat(n, d)
}

// Percent formats r in percent with as many decimals as it needs and no
// trailing zeros: "24", "10.99", "0.5".
func (r Rate) Percent() string {
	n, d := r.parts()
	n *= 100
	whole := n / d
	rem := n % d
	if rem == 0 {
		return strconv.FormatInt(whole, 10)
	}
	var b strings.Builder
	b.WriteString(strconv.FormatInt(whole, 10))
	b.WriteByte('.')
	for i := 0; rem != 0 && i < 12; i++ {
		rem *= 10
		b.WriteByte(byte('0' + rem/d))
		rem %= d
	}
	return b.String()
}

// String is r.Percent() followed by "%".
func (r Rate) String() string { return r.Percent() + "%" }

// MarshalText encodes r as its percent decimal ("10.99").
func (r Rate) MarshalText() ([]byte, error) { return []byte(r.Percent()), nil }

// UnmarshalText parses a percent decimal with ParsePercent.
func (r *Rate) UnmarshalText(b []byte) error { return unmarshalWith(r, b, ParsePercent) }

// OfPaise returns r × amount rounded half-up to the paisa (amount ≥ 0): the
// way a percentage fee or tax is charged.
func (r Rate) OfPaise(amount int64) int64 {
	n, d := r.parts()
	return int64(mulDivRound(uint64(amount), uint64(n), uint64(d)))
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func gcd(a, b int64) int64 {
	for b != 0 {
		a, b = b, a%b
	}
	if a < 0 {
		return -a
	}
	return a
}
