package decisions_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/testenv"
)

// BenchmarkDecideVelocity measures Service.Decide of application
// decisions on the embedded store as `serve` wires it (LocalStore in
// memory, Source with the default 2 s L1, the decision log shipping to
// SQLite), without and with the velocity table: the difference is what
// counting loan_application (customer and PAN) in the request costs,
// including the L1 misses it causes, and the write-behind of the counts to
// SQLite (in the background, but on the same processors). It reports p50
// and p99 of Decide besides the mean.
//
//	one-customer:   every decision by the same customer, so with velocity
//	                each one re-reads the two entities its predecessor
//	                invalidated (the worst case);
//	many-customers: 10,000 customers in turn (each decision misses L1
//	                either way, as applications of a real population do).
func BenchmarkDecideVelocity(b *testing.B) {
	c := velocityBundle(b)
	for _, w := range []struct {
		name      string
		customers int
	}{{"one-customer", 1}, {"many-customers", 10_000}} {
		for _, on := range []bool{false, true} {
			name := w.name + "/velocity-off"
			if on {
				name = w.name + "/velocity-on"
			}
			b.Run(name, func(b *testing.B) {
				ctx, cancel := context.WithCancel(context.Background())
				defer cancel()
				st := embeddedStore(b, c)
				src, err := features.NewSource(features.SourceConfig{Builder: c.Builder, Store: st, Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				defer src.Close()
				eng := engine.New(engine.Config{Features: src})
				eng.Activate(c.Deployments(b))
				l, err := decisionlog.Open(b.TempDir(), testenv.SQLite(b), decisionlog.Options{Logger: quiet})
				if err != nil {
					b.Fatal(err)
				}
				defer l.Close()
				go l.Run(ctx)
				svc := decisions.New(eng, l, nil)
				if on {
					v, err := decisions.NewVelocity(c.Builder.Catalog(), src, decisions.VelocityOptions{Logger: quiet})
					if err != nil {
						b.Fatal(err)
					}
					svc.UseVelocity(v)
				}
				reqs := make([]engine.Request, w.customers)
				for i := range reqs {
					cust := fmt.Sprintf("C%05d", i)
					reqs[i] = engine.Request{CustomerID: cust, Step: "application", Input: map[string]any{"pan_hash": "PAN-" + cust, "amount": int64(50000)}}
				}
				i := 0
				lat := make([]time.Duration, 0, b.N)
				b.ReportAllocs()
				for b.Loop() {
					req := reqs[i%len(reqs)]
					req.RequestID = "r" + strconv.Itoa(i)
					t0 := time.Now()
					if _, err := svc.Decide(ctx, req); err != nil {
						b.Fatal(err)
					}
					lat = append(lat, time.Since(t0))
					i++
				}
				b.StopTimer()
				slices.Sort(lat)
				b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds()), "p50-ns")
				b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds()), "p99-ns")
			})
		}
	}
}
