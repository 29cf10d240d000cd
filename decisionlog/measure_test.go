package decisionlog

import (
	"context"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/nirnay/nirnay/store"
)

// testWriter sends a logger's lines to t.Log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) { w.t.Log(string(p)); return len(p), nil }

// TestMeasureArchiveMonth times moving one month of decisions to the cold
// tier on PostgreSQL (export to the day files, DETACH CONCURRENTLY, drop):
// NIRNAY_MEASURE_DECISIONS (default 1,000,000) decisions of June 2026,
// bodies of about 1.3 KB, two rules each on average, in the database at
// NIRNAY_MEASURE_URL (an empty database of its own: the test migrates and
// fills it). Skipped without NIRNAY_MEASURE_URL, so `make test` never runs
// it; the figures are in docs/data-model.md (Measurements).
//
//	NIRNAY_MEASURE_URL=postgres://…/archive go test -run TestMeasureArchiveMonth -v -timeout 1h ./decisionlog
func TestMeasureArchiveMonth(t *testing.T) {
	url := os.Getenv("NIRNAY_MEASURE_URL")
	if url == "" {
		t.Skip("a measurement: set NIRNAY_MEASURE_URL to an empty PostgreSQL database to run it")
	}
	n := 1_000_000
	if s := os.Getenv("NIRNAY_MEASURE_DECISIONS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	db, err := store.Open(ctx, url, "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	l, err := Open(t.TempDir(), db, Options{Logger: slog.New(slog.NewTextHandler(testWriter{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	june := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, err := l.EnsurePartitions(ctx, june, 1); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := db.Writer().ExecContext(ctx, `
INSERT INTO decisions (id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version, role, score, decided_at, body)
SELECT 'dec_' || lpad(n::text, 26, '0'), NULL, 'req-' || n, 'C' || lpad((n % 100000)::text, 8, '0'), 'application',
       (ARRAY['approve', 'review', 'decline', 'step_up'])[n % 4 + 1], 'credit-underwriting', 3, 'champion', 550 + n % 300,
       $1::timestamptz + (n - 1) * (interval '30 days' / $2::bigint),
       format('{"response":{"decision_id":"dec_%s","request_id":"req-%s","outcome":"approve","reasons":[],"score":%s,'
           '"offer":{"limit":150000,"annual_rate_bps":1800,"tenure_months":12},"actions":[],"policy":{"id":"credit-underwriting","version":3,"role":"champion"},'
           '"rules":[{"id":"rule_a","fired":true,"outcome":"review","score":-10},{"id":"rule_b","fired":true,"outcome":"review","score":-5}],"shadow":[],'
           '"evaluated_at":"2026-06-01T00:00:00Z","latency_us":85},"input":{"amount":%s,"device_id":"d-%s","pan":"XXXXXX234F"},"features":[%s],'
           '"request_hash":"%s","fetch_us":120,"eval_us":85}',
           lpad(n::text, 26, '0'), n, 550 + n % 300, 10000 + n % 90000, n % 100000,
           (SELECT string_agg(format('{"name":"f%s","value":%s,"age_ms":%s,"state":"present"}', i, i * 37 + n % 100, i * 1000), ',') FROM generate_series(1, 14) i),
           md5(n::text))::json
FROM generate_series(1, $2::bigint) n`, june, n); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Writer().ExecContext(ctx, `
INSERT INTO decision_rules (decision_id, rule_id, decided_at)
SELECT id, r, decided_at FROM decisions, unnest(ARRAY['rule_a', 'rule_b']) r`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Writer().ExecContext(ctx, `VACUUM ANALYZE decisions`); err != nil {
		t.Fatal(err)
	}
	var size string
	if err := db.Reader().QueryRowContext(ctx, `SELECT pg_size_pretty(pg_total_relation_size('decisions_202606'::regclass) + pg_total_relation_size('decision_rules_202606'::regclass))`).Scan(&size); err != nil {
		t.Fatal(err)
	}
	t.Logf("filled June 2026 with %d decisions and %d rule rows in %v; the month's two partitions take %s", n, 2*n, time.Since(start).Round(time.Second), size)

	start = time.Now()
	moved, err := l.Archive(ctx, time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC))
	took := time.Since(start)
	if err != nil || moved != n {
		t.Fatalf("archive: moved %d, %v; want %d", moved, err, n)
	}
	var files int
	var bytes int64
	err = filepath.WalkDir(l.ColdDir(), func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			files++
			bytes += info.Size()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("moved %d decisions (one month) to the cold tier in %v (%.0f decisions/s): %d day files, %.1f MB compressed", moved, took.Round(time.Millisecond),
		float64(moved)/took.Seconds(), files, float64(bytes)/1e6)
}
