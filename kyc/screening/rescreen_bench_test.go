package screening_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/kyc/names"
	"github.com/nirnay/nirnay/kyc/screening"
)

// Sizes of the re-screen measurement: a list of listSize entries updated
// with newEntries more, against customersN customers, planted of whom are
// spelling variants of new entries' names.
const (
	listSize   = 1000
	newEntries = 100
	customersN = 100_000
	planted    = 50
)

// benchCustomers yields n synthetic customers, the same on every call:
// Indian names (so that many share a blocking key with a listed name that
// shares a word), dates of birth from 1950 to 2005, and every
// n/planted-th a variant of one of the new entries' names (most of which
// the matcher scores a hit).
func benchCustomers(n int, news []screening.Entry) screening.Customers {
	return func(yield func(string, string, string) bool) {
		rng := rand.New(rand.NewPCG(7, 8))
		for i := range n {
			name := customerName(rng)
			dob := fmt.Sprintf("%d-%02d-%02d", 1950+rng.IntN(56), 1+rng.IntN(12), 1+rng.IntN(28))
			if i%(n/planted) == 0 {
				name, dob = variant(rng, news[rng.IntN(len(news))].Name), ""
			}
			if !yield(fmt.Sprintf("C%06d", i), name, dob) {
				return
			}
		}
	}
}

// peakHeap samples the heap in use every 10 ms until stop is called, and
// returns the highest reading.
func peakHeap() (stop func() uint64) {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	sample := func() {
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		if m.HeapInuse > peak.Load() {
			peak.Store(m.HeapInuse)
		}
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				sample()
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		sample()
		return peak.Load()
	}
}

// BenchmarkRescreen re-screens 100,000 customers against an update of 100
// entries to a list of 1,000, on each backend: one op is one Rescreen
// (the hits of the op before are deleted first, so each op records and
// raises them again). Reported: customers screened a second, the hits
// raised, the matcher's scores a customer, and the heap in use at its
// peak during the op over what it was before (after a GC), in MiB.
//
//	scripts/with-services go test ./kyc/screening -run '^$' -bench Rescreen -benchtime 3x -count 5
func BenchmarkRescreen(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			be := testenv.Backend{Dir: b.TempDir()}
			if name == "postgres" {
				be = testenv.Backend{URL: testenv.Postgres(b)}
			}
			db := be.Migrated(b)
			// The production matcher (kyc/names) at its threshold.
			c := &counting{match: func(a, b string) float64 { return names.Match(a, b).Value }}
			s := newService(b, db, func(o *screening.Options) { o.Match, o.Threshold, o.Now = c.Match, names.DefaultThreshold, time.Now })
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(1, 2))
			list := benchList(rng, listSize, "UN")
			from := mustImport(b, s, "un", list).Revision
			news := benchList(rng, newEntries, "NEW")
			mustImport(b, s, "un", append(list, news...))
			customers := benchCustomers(customersN, news)
			var hits, scores int64
			var peak uint64
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				if _, err := db.Writer().ExecContext(ctx, `DELETE FROM screening_hits`); err != nil {
					b.Fatal(err)
				}
				runtime.GC()
				var before runtime.MemStats
				runtime.ReadMemStats(&before)
				calls := c.calls.Load()
				stop := peakHeap()
				b.StartTimer()
				res, err := s.Rescreen(ctx, "un", from, customers, func(context.Context, screening.Hit, string) error { return nil })
				b.StopTimer()
				if p := stop(); p > before.HeapInuse {
					peak = max(peak, p-before.HeapInuse)
				}
				if err != nil || res.Customers != customersN || res.Entries != newEntries || res.Hits < planted/2 {
					b.Fatalf("rescreen: %+v %v; want %d customers against %d entries, %d hits or more", res, err, customersN, newEntries, planted/2)
				}
				hits, scores = int64(res.Hits), c.calls.Load()-calls
				b.StartTimer()
			}
			b.StopTimer()
			b.ReportMetric(float64(customersN)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
			b.ReportMetric(float64(hits), "hits/op")
			b.ReportMetric(float64(scores)/customersN, "scores/customer")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
		})
	}
}

// benchList is a list of n made-up names (one in three has a first name
// customers have too, none their surname).
func benchList(rng *rand.Rand, n int, prefix string) []screening.Entry {
	out := make([]screening.Entry, n)
	for i := range out {
		ws := []string{made(rng), made(rng)}
		if rng.IntN(3) == 0 {
			ws[0] = firstNames[rng.IntN(len(firstNames))]
		}
		if rng.IntN(2) == 0 {
			ws = append(ws, made(rng))
		}
		e := screening.Entry{Ref: fmt.Sprintf("%s.%04d", prefix, i), Name: strings.Join(ws, " ")}
		for range rng.IntN(3) {
			e.Aliases = append(e.Aliases, variant(rng, e.Name))
		}
		if rng.IntN(3) > 0 {
			e.DOB = fmt.Sprintf("%d", 1950+rng.IntN(50))
		}
		out[i] = e
	}
	return out
}

// BenchmarkServiceScreen screens one name through the Service, against a
// list of 1,000 entries: the revision check (one query) and Index.Screen.
func BenchmarkServiceScreen(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			be := testenv.Backend{Dir: b.TempDir()}
			if name == "postgres" {
				be = testenv.Backend{URL: testenv.Postgres(b)}
			}
			s := newService(b, be.Migrated(b), func(o *screening.Options) { o.Now = time.Now })
			rng := rand.New(rand.NewPCG(1, 2))
			mustImport(b, s, "un", benchList(rng, listSize, "UN"))
			queries := make([]string, 1024)
			for i := range queries {
				queries[i] = customerName(rng)
			}
			ctx := context.Background()
			if _, err := s.Screen(ctx, queries[0], ""); err != nil { // builds the index
				b.Fatal(err)
			}
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := s.Screen(ctx, queries[i%len(queries)], "1984-05-06"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
