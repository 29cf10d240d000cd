package decisionlog

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/testenv"
)

// BenchmarkAppendAndShip measures the decision log's cost per decision on
// the embedded SQLite: appending a champion record (≈3 KB body, three rules)
// and its shadow (≈350 B), then shipping both to the database in batches.
func BenchmarkAppendAndShip(b *testing.B) {
	ctx := context.Background()
	db := testenv.SQLite(b)
	l, err := Open(b.TempDir(), db, Options{Linger: time.Millisecond, Unpaced: true})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	defer runShipper(b, l)()

	body := `{"response":{"outcome":"decline"},"features":[` + strings.Repeat(`{"name":"bureau_score","value":643,"age_ms":2781,"state":"present"},`, 45) + `{}]}`
	start := time.Now()
	b.ResetTimer()
	for i := range b.N {
		at := start.Add(time.Duration(i) * time.Microsecond)
		r := rec(at, "C00000001", "application", "decline", "weak_bureau", "short_credit_history", "income_not_verified")
		r.Body = []byte(body)
		s := rec(at, "C00000001", "application", "decline", "weak_bureau")
		s.ID, s.ParentID, s.Role, s.RequestID = r.ID+".s1", r.ID, "shadow", r.RequestID
		if err := l.Append(r, s); err != nil {
			b.Fatal(err)
		}
	}
	wctx, wcancel := context.WithTimeout(ctx, time.Minute)
	defer wcancel()
	if err := l.WaitShipped(wctx); err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	var n int
	if err := db.Reader().QueryRow(`SELECT COUNT(*) FROM decisions`).Scan(&n); err != nil || n != 2*b.N {
		b.Fatalf("shipped %d rows (err %v), want %d", n, err, 2*b.N)
	}
}

// BenchmarkShipPostgres measures shipping to PostgreSQL: batches of 1,000
// decisions (≈3 KB bodies, three rules each, the shipper's batch) written
// by insertRecords, on the partitioned table of migration 16.
func BenchmarkShipPostgres(b *testing.B) {
	ctx := context.Background()
	db := testenv.Backend{URL: testenv.Postgres(b)}.Open(b)
	if _, err := db.Migrate(ctx, nil); err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"response":{"outcome":"decline"},"features":[` + strings.Repeat(`{"name":"bureau_score","value":643,"age_ms":2781,"state":"present"},`, 45) + `{}]}`)
	start := time.Now()
	batch := make([]*Record, 1000)
	b.ResetTimer()
	for i := range b.N {
		for j := range batch {
			r := rec(start.Add(time.Duration(i*len(batch)+j)*time.Microsecond), "C00000001", "application", "decline", "weak_bureau", "short_credit_history", "income_not_verified")
			r.Body = body
			batch[j] = r
		}
		if err := insertRecords(ctx, db, batch, false); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(batch))/b.Elapsed().Seconds(), "decisions/s")
}
