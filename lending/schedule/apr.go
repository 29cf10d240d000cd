package schedule

import (
	"errors"
	"math/big"
)

// irrScale is the fixed-point scale of the monthly IRR during the search:
// the rate is found to within 10⁻¹² a month (about 10⁻⁹ percent a year),
// far finer than the two decimals an APR is shown with.
const irrScale = 1_000_000_000_000

// maxIRRDoublings bounds the search for an upper bracket (2⁴⁰ × 100% a
// month): beyond it the cash flows are not a loan anyone should be shown.
const maxIRRDoublings = 40

// ErrNoAPR is returned when the cash flows have no non-negative IRR (the
// instalments repay less than was disbursed) or it is absurdly large.
var ErrNoAPR = errors.New("APR cannot be computed for these cash flows")

// aprInput describes the cash flows of an APR: net is paid out at the start,
// flows[k−1] comes back at the end of period k. The first period lasts
// firstNum/firstDen months (1/1 for a regular month); later periods are one
// month each.
type aprInput struct {
	net                int64
	flows              []int64
	firstNum, firstDen int64
}

// aprBPS returns the APR in hundredths of a percent (basis points), rounded
// half-up: the monthly IRR i of the cash flows, annualised as i × 12 as in
// RBI's Key Fact Statement. It solves
//
//	net = Σₖ flowₖ / ((1+i)^(k−1) · (1 + i·f))
//
// where f is the first period's length in months (compound for whole months,
// simple for a broken first period; f = 1 gives the plain monthly IRR). The
// root is found by bisection on a fixed-point i = I/10¹², with the sign of
// each trial decided exactly in big-integer arithmetic (the equation is
// multiplied through by its denominators), so the result is deterministic and
// free of floating point.
func aprBPS(in aprInput) (int64, error) {
	if in.net <= 0 || len(in.flows) == 0 {
		return 0, ErrNoAPR
	}
	ev := newIRREval(in)
	if ev.sign(0) < 0 {
		return 0, ErrNoAPR
	}
	lo, hi := int64(0), int64(irrScale)
	for d := 0; ev.sign(hi) > 0; d++ {
		if d == maxIRRDoublings {
			return 0, ErrNoAPR
		}
		lo, hi = hi, hi*2
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		switch s := ev.sign(mid); {
		case s > 0:
			lo = mid
		case s < 0:
			hi = mid
		default:
			lo, hi = mid, mid
		}
	}
	// APR in basis points = I/S × 12 × 10000, rounded half-up.
	bps := new(big.Int).Mul(big.NewInt(lo), big.NewInt(120000))
	q, r := bps.QuoRem(bps, big.NewInt(irrScale), new(big.Int))
	if r.Lsh(r, 1).Cmp(big.NewInt(irrScale)) >= 0 {
		q.Add(q, big.NewInt(1))
	}
	return q.Int64(), nil
}

// irrEval decides the sign of the net present value at a trial rate.
type irrEval struct {
	in               aprInput
	scaleK           []*big.Int // S^k for k = 0..n
	x, acc, xp, t, u *big.Int
}

func newIRREval(in aprInput) *irrEval {
	n := len(in.flows)
	e := &irrEval{in: in, scaleK: make([]*big.Int, n+1)}
	s := big.NewInt(irrScale)
	e.scaleK[0] = big.NewInt(1)
	for k := 1; k <= n; k++ {
		e.scaleK[k] = new(big.Int).Mul(e.scaleK[k-1], s)
	}
	e.x, e.acc, e.xp, e.t, e.u = new(big.Int), new(big.Int), new(big.Int), new(big.Int), new(big.Int)
	return e
}

// sign returns the sign of PV(instalments at i) − net for i = I/S. With
// x = S + I the equation times q·Sⁿ·(1+i)^(n−1)·(1+i·f) (f = p/q) becomes
//
//	F(I) = q · Σₖ flowₖ · x^(n−k) · S^k − net · (q·S + p·I) · x^(n−1)
//
// which is positive when the rate I is too low.
func (e *irrEval) sign(i int64) int {
	n := len(e.in.flows)
	e.x.SetInt64(irrScale + i)
	e.acc.SetInt64(0)
	e.xp.SetInt64(1)
	for k := 1; k <= n; k++ {
		e.acc.Mul(e.acc, e.x)
		e.t.SetInt64(e.in.flows[k-1])
		e.t.Mul(e.t, e.scaleK[k])
		e.acc.Add(e.acc, e.t)
		if k < n {
			e.xp.Mul(e.xp, e.x)
		}
	}
	e.acc.Mul(e.acc, big.NewInt(e.in.firstDen))
	// net · (q·S + p·I) · x^(n−1)
	e.u.SetInt64(e.in.firstDen)
	e.u.Mul(e.u, e.scaleK[1])
	e.t.SetInt64(e.in.firstNum)
	e.t.Mul(e.t, big.NewInt(i))
	e.u.Add(e.u, e.t)
	e.u.Mul(e.u, big.NewInt(e.in.net))
	e.u.Mul(e.u, e.xp)
	return e.acc.Cmp(e.u)
}
