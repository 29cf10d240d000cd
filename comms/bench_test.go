package comms_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nirnay/nirnay/comms"
	"github.com/nirnay/nirnay/comms/quiet"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// BenchmarkCampaign measures a campaign of a personalised SMS (a tracked
// link per recipient) to 10,000 customers on each backend: from creation
// to the last hand-off to the sandbox, in messages per second.
func BenchmarkCampaign(b *testing.B) {
	const n = 10_000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("C%07d", i)
	}
	for _, be := range []struct {
		name string
		db   func(b *testing.B) *store.DB
	}{
		{"sqlite", func(b *testing.B) *store.DB { return testenv.SQLite(b) }},
		{"postgres", func(b *testing.B) *store.DB { return testenv.Backend{URL: testenv.Postgres(b)}.Migrated(b) }},
	} {
		b.Run(be.name, func(b *testing.B) {
			ctx := context.Background()
			var total time.Duration
			for b.Loop() {
				b.StopTimer()
				db := be.db(b)
				e := newEnv(b, db, b.TempDir(), time.Date(2026, 12, 4, 12, 0, 0, 0, quiet.India).UTC())
				b.StartTimer()
				start := time.Now()
				if _, err := e.svc.CreateCampaign(ctx, comms.CampaignRequest{Template: "payment-reminder", Audience: comms.Audience{CustomerIDs: ids}, Vars: due}, "bench"); err != nil {
					b.Fatal(err)
				}
				sent, err := e.svc.Dispatch(ctx)
				if err != nil || sent != n {
					b.Fatalf("dispatched %d %v, want %d", sent, err, n)
				}
				total += time.Since(start)
			}
			b.ReportMetric(float64(n*b.N)/total.Seconds(), "messages/s")
		})
	}
}
