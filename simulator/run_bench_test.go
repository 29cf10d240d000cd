package simulator

import (
	"runtime/debug"
	"testing"
)

// BenchmarkRun replays 20,000 generated customers through the shipped
// credit-underwriting v1 and v2 and reports customers per second, with the
// garbage collector set as `simulate run` sets it.
func BenchmarkRun(b *testing.B) {
	defer debug.SetGCPercent(debug.SetGCPercent(400))
	builder, base, cand := shipped(b)
	data := generated(b, 20000, 42)
	cfg := Config{Baseline: base, Candidate: cand, Builder: builder}
	b.ResetTimer()
	var records int64
	for b.Loop() {
		rep, _ := runBytes(b, cfg, data)
		records += rep.Records
	}
	b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "customers/s")
}
