// Package money holds Nirnay's one representation of an amount: int64 paise.
//
// Amounts enter as rupee decimal strings ("100000", "100000.5", "100000.50")
// and leave as rupee decimal strings with exactly two places. No float64 is
// ever involved.
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Paise is an amount of money in paise (1 rupee = 100 paise).
type Paise int64

// ErrInvalid is returned (wrapped) for a string that is not a rupee amount.
var ErrInvalid = errors.New("invalid rupee amount")

// maxRupees bounds parsed amounts so that arithmetic on them cannot overflow.
const maxRupees = 1_000_000_000_000 // ₹1 lakh crore

// ParseRupees parses a rupee decimal such as "100000", "-12.5" or "1,00,000.50"
// (Indian or western digit grouping). At most two decimal places are accepted.
func ParseRupees(s string) (Paise, error) {
	in := s
	s = strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	s = strings.ReplaceAll(s, ",", "")
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" && (!hasDot || frac == "") {
		return 0, fmt.Errorf("%w: %q", ErrInvalid, in)
	}
	if len(frac) > 2 || (hasDot && frac == "") {
		return 0, fmt.Errorf("%w: %q (at most two decimal places)", ErrInvalid, in)
	}
	for _, part := range []string{whole, frac} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, fmt.Errorf("%w: %q", ErrInvalid, in)
			}
		}
	}
	var rupees int64
	if whole != "" {
		if len(whole) > 13 {
			return 0, fmt.Errorf("%w: %q (too large)", ErrInvalid, in)
		}
		var err error
		if rupees, err = strconv.ParseInt(whole, 10, 64); err != nil {
			return 0, fmt.Errorf("%w: %q", ErrInvalid, in)
		}
	}
	if rupees > maxRupees {
		return 0, fmt.Errorf("%w: %q (too large)", ErrInvalid, in)
	}
	for len(frac) < 2 {
		frac += "0"
	}
	p, _ := strconv.ParseInt(frac, 10, 64)
	total := rupees*100 + p
	if neg {
		total = -total
	}
	return Paise(total), nil
}

// String formats the amount in rupees with exactly two decimal places.
func (p Paise) String() string {
	v := int64(p)
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// MarshalText makes Paise encode as a rupee decimal string in JSON and YAML.
func (p Paise) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// UnmarshalText parses a rupee decimal string.
func (p *Paise) UnmarshalText(b []byte) error {
	v, err := ParseRupees(string(b))
	if err != nil {
		return err
	}
	*p = v
	return nil
}
