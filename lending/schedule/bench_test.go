package schedule

import (
	"testing"
)

// benchEach runs f for b's iterations, failing on its first error, and
// reports the runs per second as unit.
func benchEach(b *testing.B, unit string, f func() error) {
	b.Helper()
	b.ReportAllocs()
	for b.Loop() {
		if err := f(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
}

// benchGenerate measures Generate on terms in schedules/s.
func benchGenerate(b *testing.B, terms Terms) {
	b.Helper()
	benchEach(b, "schedules/s", func() error {
		_, err := Generate(terms)
		return err
	})
}

// BenchmarkSchedule12 measures a 12-month reducing-balance schedule (30/360)
// and reports schedules/s; the budget is ≥ 100,000 schedules/s on 2 cores.
func BenchmarkSchedule12(b *testing.B) {
	benchGenerate(b, Terms{Principal: 1_00_000_00, Rate: mustRate(b, "18.5"), Tenure: 12, Start: mustDate(b, "2026-01-31")})
}

// BenchmarkSchedule84Actual365 is a long schedule with actual/365 days and
// a broken first period, for comparison.
func BenchmarkSchedule84Actual365(b *testing.B) {
	benchGenerate(b, Terms{Principal: 25_00_000_00, Rate: mustRate(b, "10.99"), Tenure: 84, DayCount: Actual365,
		Start: mustDate(b, "2026-01-10"), FirstDue: mustDate(b, "2026-03-05")})
}

// BenchmarkKFS12 measures a 12-month KFS with one fee, APR included.
func BenchmarkKFS12(b *testing.B) {
	terms := Terms{Principal: 1_00_000_00, Rate: mustRate(b, "18.5"), Tenure: 12, Start: mustDate(b, "2026-01-31")}
	fees := []Fee{{Name: "processing_fee", Amount: 2360_00}}
	benchEach(b, "kfs/s", func() error {
		_, err := NewKFS(terms, fees)
		return err
	})
}
