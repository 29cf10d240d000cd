package decisionlog

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// coldCounts is how many times each decision id appears in the cold tier.
func coldCounts(t *testing.T, l *Log) map[string]int {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(l.ColdDir(), "*.jsonl.gz"))
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, f := range files {
		if err := readColdIDs(f, func(id string) { n[id]++ }); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(l.ColdDir(), "*.tmp")); len(tmp) > 0 {
		t.Errorf("temporary files left in the cold tier: %v", tmp)
	}
	return n
}

// monthTablesLeft lists the decisions_YYYYMM and decision_rules_YYYYMM
// tables of months before December 2026, attached or not.
func monthTablesLeft(t *testing.T, db *store.DB) []string {
	t.Helper()
	return testenv.Strings(t, db.Reader(), `SELECT c.relname FROM pg_class c WHERE c.relnamespace = (SELECT relnamespace FROM pg_class WHERE oid = 'decisions'::regclass)
		AND c.relkind = 'r' AND c.relname ~ '^decision(s|_rules)_2026(09|10|11)$' ORDER BY 1`)
}

// TestArchiveMonthsResumes: on PostgreSQL the cold tier moves whole months
// (export, detach, drop), and a run that died at any step is finished by
// the next one: after a detach that was never exported, and in the middle
// of a DETACH CONCURRENTLY with a day already exported. Every decision ends
// in the cold tier exactly once and Get finds it at every point.
func TestArchiveMonthsResumes(t *testing.T) {
	ctx := context.Background()
	db := testenv.Backend{URL: testenv.Postgres(t)}.Open(t)
	if _, err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	l, err := Open(t.TempDir(), db, Options{Linger: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	var all []*Record
	for m, days := range map[time.Month]int{time.September: 20, time.October: 10, time.November: 5} {
		for d := range days {
			r := rec(time.Date(2026, m, 1+d, 10, d, 0, 0, time.UTC), fmt.Sprintf("C-%d", d%3), "application", nirnay.Decline, "high_foir")
			s := rec(r.DecidedAt, r.CustomerID, "application", nirnay.Approve)
			s.ID, s.ParentID, s.Role = r.ID+".s1", r.ID, nirnay.RoleShadow
			if err := l.Append(r, s); err != nil {
				t.Fatal(err)
			}
			all = append(all, r, s)
		}
	}
	stop := runShipper(t, l)
	waitShipped(t, l)
	stop()
	getAll := func(when string) {
		t.Helper()
		for _, r := range all {
			got, err := l.Get(ctx, r.ID)
			if err != nil || got.ID != r.ID || !got.DecidedAt.Equal(r.DecidedAt) || string(got.Body) != string(r.Body) {
				t.Fatalf("%s: get %s = %+v, %v", when, r.ID, got, err)
			}
		}
	}
	conn, err := db.Writer().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	schema, err := decisionsSchema(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}

	// A run detached September and died before exporting it.
	if err := detach(ctx, conn, schema, "decisions", "decisions_202609"); err != nil {
		t.Fatal(err)
	}
	getAll("September detached, not exported")
	moved, err := l.Archive(ctx, time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC))
	if err != nil || moved != 40 {
		t.Fatalf("archive after the crash: moved %d, %v; want September's 40 (October has not ended)", moved, err)
	}
	if left := monthTablesLeft(t, db); strings.Join(left, " ") != "decision_rules_202610 decision_rules_202611 decisions_202610 decisions_202611" {
		t.Fatalf("month tables left: %v; want September's gone", left)
	}
	getAll("September archived")

	// A run died in the middle of detaching October (DETACH CONCURRENTLY
	// waits for a reader's transaction and is cut off), having exported
	// one of its days before.
	if _, err := l.exportDay(ctx, qualified(schema, "decisions_202610"), time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	reader, err := db.Reader().BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := reader.QueryRowContext(ctx, `SELECT count(*) FROM decisions`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `SET statement_timeout = '300ms'`); err != nil {
		t.Fatal(err)
	}
	if err := detach(ctx, conn, schema, "decisions", "decisions_202610"); err == nil {
		t.Fatal("DETACH CONCURRENTLY finished beside an open reader")
	}
	if _, err := conn.ExecContext(ctx, `RESET statement_timeout`); err != nil {
		t.Fatal(err)
	}
	var pending bool
	if err := conn.QueryRowContext(ctx, `SELECT inhdetachpending FROM pg_inherits WHERE inhrelid = 'decisions_202610'::regclass`).Scan(&pending); err != nil || !pending {
		t.Fatalf("October detach pending = %v, %v; want the detach left half done", pending, err)
	}
	if err := reader.Rollback(); err != nil {
		t.Fatal(err)
	}
	getAll("October's detach pending")
	moved, err = l.Archive(ctx, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	if err != nil || moved != 30 {
		t.Fatalf("archive after the interrupted detach: moved %d, %v; want October's 20 and November's 10", moved, err)
	}
	if left := monthTablesLeft(t, db); len(left) != 0 {
		t.Fatalf("month tables left: %v; want none", left)
	}
	var hot int
	if err := db.Reader().QueryRow(`SELECT count(*) FROM decisions WHERE decided_at < '2026-12-01'`).Scan(&hot); err != nil || hot != 0 {
		t.Fatalf("%d decisions before December still hot (%v)", hot, err)
	}
	getAll("all archived")
	counts := coldCounts(t, l)
	for _, r := range all {
		if counts[r.ID] != 1 {
			t.Errorf("%s is %d times in the cold tier, want once", r.ID, counts[r.ID])
		}
	}
	if len(counts) != len(all) {
		t.Errorf("cold tier holds %d decisions, want %d", len(counts), len(all))
	}
	if moved, err := l.Archive(ctx, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil || moved != 0 {
		t.Fatalf("archiving again: moved %d, %v; want nothing", moved, err)
	}
	// A late decision of an archived month ships into a new partition and
	// the next run archives it too, beside the rest of its day.
	late := rec(time.Date(2026, 10, 3, 23, 0, 0, 0, time.UTC), "C-9", "application", nirnay.Approve, "high_foir")
	if err := l.Append(late); err != nil {
		t.Fatal(err)
	}
	stop = runShipper(t, l)
	waitShipped(t, l)
	stop()
	if moved, err := l.Archive(ctx, time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)); err != nil || moved != 1 {
		t.Fatalf("archiving a late decision: moved %d, %v; want 1", moved, err)
	}
	if counts := coldCounts(t, l); counts[late.ID] != 1 || len(counts) != len(all)+1 {
		t.Fatalf("after the late decision the cold tier holds %d decisions (late %d times); want %d, each once", len(counts), counts[late.ID], len(all)+1)
	}
	if _, err := os.Stat(filepath.Join(l.ColdDir(), "2026-10-03.jsonl.gz")); err != nil {
		t.Fatal(err)
	}
}
