package live

import "math"

// Proportion is x successes of n trials; the rate is in basis points
// (null when n is 0).
type Proportion struct {
	X       int64  `json:"x"`
	N       int64  `json:"n"`
	RateBps *int64 `json:"rate_bps"`
}

func proportion(x, n int64) Proportion { return Proportion{X: x, N: n, RateBps: bps(x, n)} }

// ZTest is a two-sided two-proportion z-test of A against B with the pooled
// standard error. Z and PValue are null when it cannot be computed (an
// empty arm, or a pooled rate of exactly 0 or 1). ApproximationOK is false
// when an arm has fewer than 5 successes or 5 failures, where the normal
// approximation is poor and the p-value only indicative. Significant means
// p < 0.05 with the approximation OK.
type ZTest struct {
	A               Proportion `json:"a"`
	B               Proportion `json:"b"`
	DifferenceBps   *int64     `json:"difference_bps"` // B's rate minus A's
	Z               *float64   `json:"z"`
	PValue          *float64   `json:"p_value"`
	ApproximationOK bool       `json:"approximation_ok"`
	Significant     bool       `json:"significant_at_5pct"`
}

// TwoProportion tests x1/n1 against x2/n2 from exact integer counts.
func TwoProportion(x1, n1, x2, n2 int64) ZTest {
	t := ZTest{A: proportion(x1, n1), B: proportion(x2, n2)}
	if t.A.RateBps != nil && t.B.RateBps != nil {
		d := *t.B.RateBps - *t.A.RateBps
		t.DifferenceBps = &d
	}
	if n1 == 0 || n2 == 0 {
		return t
	}
	pool := float64(x1+x2) / float64(n1+n2)
	se := math.Sqrt(pool * (1 - pool) * (1/float64(n1) + 1/float64(n2)))
	if se == 0 {
		return t
	}
	z := (float64(x2)/float64(n2) - float64(x1)/float64(n1)) / se
	p := math.Erfc(math.Abs(z) / math.Sqrt2)
	z, p = round4(z), round4(p)
	t.Z, t.PValue = &z, &p
	t.ApproximationOK = min(x1, n1-x1, x2, n2-x2) >= 5
	t.Significant = t.ApproximationOK && p < 0.05
	return t
}

// round4 keeps four decimal places, so the JSON does not carry float noise.
func round4(f float64) float64 { return math.Round(f*1e4) / 1e4 }

// bps is num/den in basis points rounded half up; nil when den is 0.
func bps(num, den int64) *int64 {
	if den == 0 {
		return nil
	}
	v := (num*10000*2 + den) / (2 * den)
	return &v
}
