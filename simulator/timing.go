package simulator

import (
	"math/bits"
	"strconv"
	"time"
)

// Timing is a replay's latency profile (timing.json). It differs from run
// to run and is kept out of the report for that reason.
type Timing struct {
	Records         int64   `json:"records"`
	Workers         int     `json:"workers"`
	WallSeconds     string  `json:"wall_seconds"`
	CustomersPerSec int64   `json:"customers_per_sec"` // records replayed (both policies) per wall-clock second
	Build           Latency `json:"build"`             // building one record's vector
	Baseline        Latency `json:"baseline"`          // one evaluation of the baseline
	Candidate       Latency `json:"candidate"`         // one evaluation of the candidate
}

// Latency summarises one histogram, in nanoseconds. Percentiles are the
// upper bound of their histogram bucket (within about 6%).
type Latency struct {
	P50NS  int64 `json:"p50_ns"`
	P90NS  int64 `json:"p90_ns"`
	P99NS  int64 `json:"p99_ns"`
	MeanNS int64 `json:"mean_ns"`
}

func (a *accumulator) timing(workers int, elapsed time.Duration) *Timing {
	t := &Timing{Records: a.records.n, Workers: workers,
		WallSeconds: strconv.FormatFloat(elapsed.Seconds(), 'f', 3, 64),
		Build:       a.buildNS.latency(), Baseline: a.baseNS.latency(), Candidate: a.candNS.latency()}
	if elapsed > 0 {
		t.CustomersPerSec = int64(float64(a.records.n) / elapsed.Seconds())
	}
	return t
}

// histogram is a log-linear histogram of durations: 16 sub-buckets per
// power of two.
type histogram struct {
	counts [64 * 16]int64
	n, sum int64
}

func (h *histogram) add(ns int64) {
	if ns < 1 {
		ns = 1
	}
	h.counts[bucketOf(ns)]++
	h.n++
	h.sum += ns
}

func bucketOf(ns int64) int {
	if ns < 16 {
		return int(ns)
	}
	exp := bits.Len64(uint64(ns)) - 1 // ≥ 4
	sub := int(ns>>(exp-4)) & 15
	return (exp-3)*16 + sub
}

// bucketUpper is the largest value in bucket b.
func bucketUpper(b int) int64 {
	if b < 16 {
		return int64(b)
	}
	exp := b/16 + 3
	sub := int64(b % 16)
	return ((16+sub+1)<<(exp-4) - 1)
}

func (h *histogram) merge(o *histogram) {
	for i := range h.counts {
		h.counts[i] += o.counts[i]
	}
	h.n += o.n
	h.sum += o.sum
}

func (h *histogram) quantile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := int64(q*float64(h.n) + 0.5)
	if rank < 1 {
		rank = 1
	}
	var seen int64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			return bucketUpper(b)
		}
	}
	return bucketUpper(len(h.counts) - 1)
}

func (h *histogram) latency() Latency {
	l := Latency{P50NS: h.quantile(0.5), P90NS: h.quantile(0.9), P99NS: h.quantile(0.99)}
	if h.n > 0 {
		l.MeanNS = h.sum / h.n
	}
	return l
}
