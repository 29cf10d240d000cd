package loans

import (
	"math/bits"

	"github.com/nirnay/nirnay/lending/schedule"
)

// mulDivRound returns a×b/c rounded half-up for a, b ≥ 0 and c > 0, exact
// through a 128-bit product (the quotient fits: interest on a balance).
func mulDivRound(a, b, c int64) int64 {
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	q, r := bits.Div64(hi, lo, uint64(c))
	if r >= uint64(c)-r {
		q++
	}
	return int64(q)
}

// days360 is the 30E/360 day count from a to b.
func days360(a, b schedule.Date) int64 {
	y1, m1, d1 := a.YMD()
	y2, m2, d2 := b.YMD()
	d1, d2 = min(d1, 30), min(d2, 30)
	return int64(360*(y2-y1) + 30*(int(m2)-int(m1)) + (d2 - d1))
}
