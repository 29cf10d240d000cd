package schedule

import (
	"math/big"
	"math/bits"
)

// mulDivRound returns a×b/c rounded half-up (ties away from zero), computed
// exactly through a 128-bit product. c must be positive and the quotient must
// fit in 64 bits; callers guarantee both (every rate is at most 100% a year,
// so an interest amount never exceeds a few times its balance).
func mulDivRound(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	if hi >= c {
		panic("schedule: mulDivRound overflow")
	}
	q, r := bits.Div64(hi, lo, c)
	if r >= c-r {
		q++
	}
	return q
}

// divRound returns a/b rounded half-up for a ≥ 0, b > 0.
func divRound(a, b int64) int64 {
	q, r := a/b, a%b
	if r >= b-r {
		q++
	}
	return q
}

// reducingEMI returns the equated monthly instalment for principal p (paise)
// at annual rate num/den over n months with r = annual/12:
//
//	EMI = P·r·(1+r)^n / ((1+r)^n − 1)
//
// computed exactly as a fraction of big integers and rounded half-up to the
// paisa once. With a = 12·den and b = 12·den + num (so 1+r = b/a) the fraction
// is P·num·bⁿ / (a·(bⁿ − aⁿ)). A zero rate gives P/n rounded half-up.
func reducingEMI(p, num, den int64, n int) int64 {
	if num == 0 {
		return divRound(p, int64(n))
	}
	a := big.NewInt(12 * den)
	b := big.NewInt(12*den + num)
	e := big.NewInt(int64(n))
	an := new(big.Int).Exp(a, e, nil)
	bn := new(big.Int).Exp(b, e, nil)
	numer := big.NewInt(p)
	numer.Mul(numer, big.NewInt(num))
	numer.Mul(numer, bn)
	denom := bn.Sub(bn, an)
	denom.Mul(denom, a)
	q, r := new(big.Int).QuoRem(numer, denom, new(big.Int))
	// half-up: round up when 2r ≥ denom
	if r.Lsh(r, 1).Cmp(denom) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64()
}
