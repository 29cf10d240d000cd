package decisionlog

import (
	"context"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/testenv"
)

// appendPairs appends n decisions, each with its shadow in the same append.
func appendPairs(t testing.TB, l *Log, n int) []*Record {
	t.Helper()
	var all []*Record
	base := time.Now()
	for i := range n {
		r := rec(base.Add(time.Duration(i)*time.Millisecond), "C-7", "application", "approve", "thin_file")
		s := rec(r.DecidedAt, "C-7", "application", "review")
		s.ID, s.ParentID, s.Role, s.RequestID = r.ID+".s1", r.ID, "shadow", r.RequestID
		if err := l.Append(r, s); err != nil {
			t.Fatal(err)
		}
		all = append(all, r, s)
	}
	return all
}

// TestMemoryBudgetSpillsToSegments: unshipped records past the memory
// budget are indexed by position, not held; every one is still found by
// id and by request id, before and after a restart, and ships exactly once.
func TestMemoryBudgetSpillsToSegments(t *testing.T) {
	ctx := context.Background()
	db := testenv.SQLite(t)
	dir := t.TempDir()
	const budget = 8 << 10
	opts := Options{MemoryBytes: budget, SegmentBytes: 16 << 10, Linger: time.Millisecond}
	l, err := Open(dir, db, opts)
	if err != nil {
		t.Fatal(err)
	}
	all := appendPairs(t, l, 150) // ~100 KB of records over several segments: most spill

	check := func(l *Log, when string) {
		t.Helper()
		st := l.Stats()
		if st.Pending != len(all) || st.HeldBytes > budget || st.HeldBytes == 0 {
			t.Fatalf("%s: pending %d, held %d bytes; want %d pending within %d bytes", when, st.Pending, st.HeldBytes, len(all), budget)
		}
		l.mu.Lock()
		queued := l.queued
		l.mu.Unlock()
		if queued > budget/256 {
			t.Fatalf("%s: %d records queued in memory past the budget", when, queued)
		}
		for _, r := range all {
			got, err := l.Get(ctx, r.ID)
			if err != nil || got.ID != r.ID || string(got.Body) != string(r.Body) || got.Role != r.Role {
				t.Fatalf("%s: Get(%s) = %+v, %v", when, r.ID, got, err)
			}
			if r.Role == "shadow" {
				continue
			}
			got, err = l.FindByRequest(ctx, r.CustomerID, r.RequestID)
			if err != nil || got.ID != r.ID {
				t.Fatalf("%s: FindByRequest(%s) = %+v, %v; want %s", when, r.RequestID, got, err, r.ID)
			}
		}
	}
	check(l, "before shipping")
	l.Close()

	l, err = Open(dir, db, opts) // a restart finds them all unshipped
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	check(l, "after a restart")

	stop := runShipper(t, l)
	defer stop()
	waitShipped(t, l)
	var rows, distinct int
	if err := db.Reader().QueryRow(`SELECT count(*), count(DISTINCT id) FROM decisions`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(all) || distinct != rows {
		t.Fatalf("shipped %d rows, %d distinct; want %d once each", rows, distinct, len(all))
	}
	if st := l.Stats(); st.Pending != 0 || st.HeldBytes != 0 || len(l.pending.byReq) != 0 {
		t.Fatalf("after shipping: %+v, %d request ids still indexed", st, len(l.pending.byReq))
	}
	if got, err := l.Get(ctx, all[33].ID); err != nil || got.ID != all[33].ID {
		t.Fatalf("Get after shipping: %+v, %v", got, err)
	}
}

// BenchmarkSpilledRecordMemory measures what an unshipped record costs in
// memory once past the budget (a long database outage): appends of a
// decision with its shadow (≈3 KB and ≈350 B bodies) with nothing held,
// reporting the heap kept per record.
func BenchmarkSpilledRecordMemory(b *testing.B) {
	l, err := Open(filepath.Join(b.TempDir(), "log"), testenv.SQLite(b), Options{MemoryBytes: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	body := []byte(`{"features":[` + strings.Repeat(`{"name":"bureau_score","value":643,"age_ms":2781},`, 60) + `{}]}`)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	b.ResetTimer()
	base := time.Now()
	for i := range b.N {
		r := rec(base.Add(time.Duration(i)*time.Microsecond), "C00000001", "application", "decline", "weak_bureau")
		r.Body = body
		s := rec(r.DecidedAt, "C00000001", "application", "decline")
		s.ID, s.ParentID, s.Role, s.RequestID = r.ID+".s1", r.ID, "shadow", r.RequestID
		if err := l.Append(r, s); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	if st := l.Stats(); st.Pending != 2*b.N || st.HeldBytes != 0 {
		b.Fatalf("stats %+v, want %d pending, none held", st, 2*b.N)
	}
	b.ReportMetric(float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/float64(2*b.N), "heap-B/record")
	runtime.KeepAlive(l)
}
