package decisionlog

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

var testIDs = ids.New(nil)

func rec(at time.Time, customer, step string, outcome nirnay.Outcome, rules ...string) *Record {
	id := testIDs.At("dec", at)
	body, _ := json.Marshal(map[string]any{"decision_id": id, "outcome": outcome})
	return &Record{ID: id, RequestID: "req-" + id, CustomerID: customer, Step: step, Outcome: outcome,
		PolicyID: "credit-underwriting", PolicyVersion: 1, Role: "champion", Score: 650, DecidedAt: at.UTC(),
		Rules: rules, Body: body}
}

func runShipper(t testing.TB, l *Log) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

func waitShipped(t *testing.T, l *Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := l.WaitShipped(ctx); err != nil {
		t.Fatalf("records not shipped: %v (stats %+v)", err, l.Stats())
	}
}

func TestShipListAndGet(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, err := Open(t.TempDir(), db, Options{BatchSize: 7})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		base := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
		var all []*Record
		for i := range 40 {
			outcome, rules := nirnay.Approve, []string{}
			if i%4 == 0 {
				outcome, rules = "decline", []string{"high_foir", "bureau_low"}
			}
			r := rec(base.Add(time.Duration(i)*time.Minute), fmt.Sprintf("C-%d", i%3), "application", outcome, rules...)
			all = append(all, r)
			if err := l.Append(r); err != nil {
				t.Fatal(err)
			}
		}
		// Before shipping, Get still finds a record.
		if got, err := l.Get(ctx, all[5].ID); err != nil || got.ID != all[5].ID {
			t.Fatalf("pending get: %v %v", got, err)
		}
		stop := runShipper(t, l)
		waitShipped(t, l)
		stop()
		// Shipped records leave memory: the request index holds nothing.
		l.mu.Lock()
		held := len(l.pending.byReq) + l.pending.len() + int(l.pending.held)
		l.mu.Unlock()
		if held != 0 {
			t.Fatalf("after shipping %d records are still held in memory, want 0", held)
		}

		var n int
		if err := db.Reader().QueryRow("SELECT COUNT(*) FROM decisions").Scan(&n); err != nil || n != 40 {
			t.Fatalf("decisions in database: %d, %v; want 40", n, err)
		}
		got, err := l.Get(ctx, all[12].ID)
		if err != nil || got.CustomerID != all[12].CustomerID || !got.DecidedAt.Equal(all[12].DecidedAt) || string(got.Body) != string(all[12].Body) {
			t.Fatalf("get shipped: %+v, %v; want %+v", got, err, all[12])
		}
		if _, err := l.Get(ctx, "dec_01ARZ3NDEKTSV4RRFFQ69G5FAV"); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Fatalf("unknown id: %v, want not found", err)
		}
		// Filter by rule and paginate with a cursor: newest first, no repeats.
		seen := map[string]bool{}
		cursor := ""
		var prev time.Time
		for page := 0; ; page++ {
			items, next, err := l.List(ctx, Filter{Rule: "high_foir", Step: "application", Limit: 3, Cursor: cursor})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range items {
				if r.Outcome != "decline" || seen[r.ID] || (!prev.IsZero() && r.DecidedAt.After(prev)) {
					t.Fatalf("page %d: bad item %+v (seen %v)", page, r, seen[r.ID])
				}
				seen[r.ID], prev = true, r.DecidedAt
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if len(seen) != 10 {
			t.Fatalf("rule filter found %d decisions, want 10", len(seen))
		}
		items, _, err := l.List(ctx, Filter{CustomerID: "C-1", From: base.Add(10 * time.Minute), To: base.Add(20 * time.Minute)})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range items {
			if r.CustomerID != "C-1" || r.DecidedAt.Before(base.Add(10*time.Minute)) || !r.DecidedAt.Before(base.Add(20*time.Minute)) {
				t.Fatalf("customer/time filter returned %+v", r)
			}
		}
		if len(items) != 4 { // i = 10, 13, 16, 19
			t.Fatalf("customer C-1 in [10m,20m): %d decisions, want 4", len(items))
		}
		if _, _, err := l.List(ctx, Filter{Cursor: "!!"}); !nirnay.IsKind(err, nirnay.KindInvalid) {
			t.Fatalf("bad cursor: %v, want invalid", err)
		}
		if r, err := l.FindByRequest(ctx, all[3].CustomerID, all[3].RequestID); err != nil || r.ID != all[3].ID {
			t.Fatalf("find by request: %v %v", r, err)
		}
		// A new process (no pending records) still finds shipped request ids
		// and knows an unseen one is new.
		fresh, err := Open(t.TempDir(), db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer fresh.Close()
		if r, err := fresh.FindByRequest(ctx, all[7].CustomerID, all[7].RequestID); err != nil || r.ID != all[7].ID {
			t.Fatalf("find shipped request id after restart: %v %v", r, err)
		}
		if _, err := fresh.FindByRequest(ctx, all[7].CustomerID, "never-seen"); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Fatalf("unseen request id: %v, want not found", err)
		}

		// Archive the first 30 minutes to the cold tier: they leave the
		// database and Get still finds them. PostgreSQL moves whole months:
		// nothing while November runs, all of it once it has ended.
		cutoff, wantMoved, wantLeft := base.Add(30*time.Minute), 30, 10
		if db.Dialect == store.Postgres {
			if moved, err := l.Archive(ctx, cutoff); err != nil || moved != 0 {
				t.Fatalf("archive before the month ended moved %d, %v; want 0", moved, err)
			}
			cutoff, wantMoved, wantLeft = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC), 40, 0
		}
		moved, err := l.Archive(ctx, cutoff)
		if err != nil || moved != wantMoved {
			t.Fatalf("archive moved %d, %v; want %d", moved, err, wantMoved)
		}
		if err := db.Reader().QueryRow("SELECT COUNT(*) FROM decisions").Scan(&n); err != nil || n != wantLeft {
			t.Fatalf("after archive %d rows in database, want %d", n, wantLeft)
		}
		if got, err := l.Get(ctx, all[2].ID); err != nil || got.ID != all[2].ID || string(got.Body) != string(all[2].Body) {
			t.Fatalf("cold get: %+v, %v", got, err)
		}
	})
}

// TestCrashAndRestart: a torn last line (the process died mid-write) is
// dropped, every whole record ships exactly once across restarts, and
// shipping the same segment again (checkpoint lost) duplicates nothing.
func TestCrashAndRestart(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		l, err := Open(dir, db, Options{SegmentBytes: 2048})
		if err != nil {
			t.Fatal(err)
		}
		base := time.Now().UTC()
		var firstID string
		for i := range 25 {
			r := rec(base.Add(time.Duration(i)*time.Second), "C-1", "login", "approve")
			if i == 0 {
				firstID = r.ID
			}
			if err := l.Append(r); err != nil {
				t.Fatal(err)
			}
		}
		// Simulate kill -9 mid-write: no Close, a torn record at the end of the active segment.
		seg := filepath.Join(dir, "segments", segName(l.w.active()))
		f, err := os.OpenFile(seg, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(`0badc0de {"id":"dec_torn","outc`)
		f.Close()

		l2, err := Open(dir, db, Options{SegmentBytes: 2048})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5 {
			if err := l2.Append(rec(base.Add(time.Hour+time.Duration(i)*time.Second), "C-2", "login", "approve")); err != nil {
				t.Fatal(err)
			}
		}
		// Before any shipping, the previous process's records are readable
		// and findable by request id.
		if _, err := l2.Get(context.Background(), firstID); err != nil {
			t.Fatalf("unshipped record from before the crash: %v", err)
		}
		if r, err := l2.FindByRequest(context.Background(), "C-1", "req-"+firstID); err != nil || r.ID != firstID {
			t.Fatalf("find unshipped by request id: %v %v", r, err)
		}
		stop := runShipper(t, l2)
		waitShipped(t, l2)
		stop()
		count := func() int {
			var n int
			if err := db.Reader().QueryRow("SELECT COUNT(*) FROM decisions").Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count(); n != 30 {
			t.Fatalf("after restart %d decisions shipped, want 30", n)
		}
		// Lose the checkpoint and re-ship whatever segments remain: still 30.
		os.Remove(filepath.Join(dir, "shipped.checkpoint"))
		l2.Close()
		l3, err := Open(dir, db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer l3.Close()
		ctx := context.Background()
		for {
			more, err := l3.shipOnce(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !more {
				break
			}
		}
		if n := count(); n != 30 {
			t.Fatalf("after re-shipping %d decisions, want 30", n)
		}
	})
}

// TestDatabaseOutage: while the database is unreachable appends still succeed
// and records wait; when it is back they ship.
func TestDatabaseOutage(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := testenv.SQLiteAt(t, filepath.Join(dir, "db"))
	db.Close() // the database is "down": every statement fails
	l, err := Open(filepath.Join(dir, "log"), db, Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := rec(time.Now(), "C-9", "kyc", "review")
	if err := l.Append(r); err != nil {
		t.Fatalf("append during outage: %v", err)
	}
	if _, err := l.shipOnce(ctx); err == nil {
		t.Fatal("shipping to a closed database succeeded")
	}
	l.Close()
	// The database comes back; a new process ships the waiting record.
	db2, err := store.Open(ctx, "", filepath.Join(dir, "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	l2, err := Open(filepath.Join(dir, "log"), db2, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l2.Close()
	if _, err := l2.shipOnce(ctx); err != nil {
		t.Fatal(err)
	}
	if got, err := l2.Get(ctx, r.ID); err != nil || got.Outcome != "review" {
		t.Fatalf("after outage: %+v, %v", got, err)
	}
}

// TestShipFromMemoryAcrossSegments: concurrent appends rolling through many
// small segments ship from memory in file order, each exactly once, and
// every sealed segment is deleted once shipped; a restart continues from
// the checkpoint.
func TestShipFromMemoryAcrossSegments(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		l, err := Open(dir, db, Options{SegmentBytes: 4096, BatchSize: 7, Linger: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		stop := runShipper(t, l)
		base := time.Now().UTC()
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 50 {
					r := rec(base.Add(time.Duration(w*50+i)*time.Millisecond), fmt.Sprintf("C-%d", w), "login", "approve", "rule_a")
					s := rec(r.DecidedAt, r.CustomerID, "login", "decline")
					s.ID, s.ParentID, s.Role, s.RequestID = r.ID+".s1", r.ID, "shadow", r.RequestID
					if err := l.Append(r, s); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		wg.Wait()
		waitShipped(t, l)
		stop()
		count := func(table string) int {
			var n int
			if err := db.Reader().QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := count("decisions"); n != 400 {
			t.Fatalf("%d decisions shipped, want 400", n)
		}
		if n := count("decision_rules"); n != 200 {
			t.Fatalf("%d rule rows, want 200", n)
		}
		segs, err := listSegments(filepath.Join(dir, "segments"))
		if err != nil {
			t.Fatal(err)
		}
		if len(segs) != 1 || segs[0] != l.w.active() {
			t.Fatalf("segments left %v, want only the active one (%d)", segs, l.w.active())
		}
		if l.ckpt.Seg != l.w.active() {
			t.Fatalf("checkpoint %+v is not in the active segment %d", l.ckpt, l.w.active())
		}
		l.Close()

		l2, err := Open(dir, db, Options{SegmentBytes: 4096, Linger: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer l2.Close()
		stop = runShipper(t, l2)
		for i := range 20 {
			if err := l2.Append(rec(base.Add(time.Hour+time.Duration(i)*time.Millisecond), "C-9", "login", "approve")); err != nil {
				t.Fatal(err)
			}
		}
		waitShipped(t, l2)
		stop()
		if n := count("decisions"); n != 420 {
			t.Fatalf("after restart %d decisions shipped, want 420", n)
		}
	})
}

// TestManyRulesShippedTwice: a decision with more rules than one rule
// statement carries is shipped whole, and shipping it again adds nothing.
func TestManyRulesShippedTwice(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.SQLite(t)
	var rules []string
	for i := range maxRuleRows + 5 {
		rules = append(rules, fmt.Sprintf("rule_%02d", i))
	}
	r := rec(time.Now(), "C1", "application", "decline", rules...)
	for range 2 {
		if err := insertRecords(ctx, db, []*Record{r}, true); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.Reader().QueryRow(`SELECT COUNT(*) FROM decision_rules WHERE decision_id = $1`, r.ID).Scan(&n); err != nil || n != len(rules) {
		t.Fatalf("%d rule rows (err %v), want %d", n, err, len(rules))
	}
	l := &Log{db: db}
	got, _, err := l.List(ctx, Filter{Rule: rules[len(rules)-1]})
	if err != nil || len(got) != 1 || got[0].ID != r.ID {
		t.Fatalf("List by the last rule = %v, %v; want %s", got, err, r.ID)
	}
}

// TestPostgresOutageWhileRunning: a running service loses its PostgreSQL
// (every connection cut, new ones refused). Appends still succeed; a
// request id the log holds is still found; one it does not hold is
// KindUnavailable (the caller answers 503: retry), never "not found", which
// would let the request be decided twice. When the database is back the
// shipper, still running, ships every record exactly once.
func TestPostgresOutageWhileRunning(t *testing.T) {
	ctx := context.Background()
	u, err := url.Parse(testenv.Postgres(t))
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewProxy(t, u.Host)
	u.Host = proxy.Addr()
	q := u.Query()
	q.Set("connect_timeout", "2")
	u.RawQuery = q.Encode()
	db := testenv.Backend{URL: u.String()}.Migrated(t)
	l, err := Open(t.TempDir(), db, Options{Linger: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	stop := runShipper(t, l)
	defer stop()

	shipped := rec(time.Now(), "C-1", "kyc", "approve")
	if err := l.Append(shipped); err != nil {
		t.Fatal(err)
	}
	waitShipped(t, l)

	proxy.Cut()
	var during []*Record
	for i := range 50 {
		r := rec(time.Now(), fmt.Sprintf("C-%d", i), "application", "review")
		if err := l.Append(r); err != nil {
			t.Fatalf("append during the outage: %v", err)
		}
		during = append(during, r)
	}
	if got, err := l.FindByRequest(ctx, during[7].CustomerID, during[7].RequestID); err != nil || got.ID != during[7].ID {
		t.Fatalf("a pending request id during the outage: %v, %v", got, err)
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := l.FindByRequest(qctx, shipped.CustomerID, shipped.RequestID); !nirnay.IsKind(err, nirnay.KindUnavailable) {
		t.Fatalf("a shipped request id with the database down: err %v (kind %s), want unavailable", err, nirnay.KindOf(err))
	}
	if n := l.Stats().Pending; n != len(during) {
		t.Fatalf("pending during the outage = %d, want %d", n, len(during))
	}

	proxy.Restore()
	waitShipped(t, l)
	var rows, distinct int
	if err := db.Reader().QueryRowContext(ctx, `SELECT count(*), count(DISTINCT id) FROM decisions`).Scan(&rows, &distinct); err != nil {
		t.Fatal(err)
	}
	if rows != len(during)+1 || distinct != rows {
		t.Fatalf("after the outage: %d rows, %d distinct; want %d once each", rows, distinct, len(during)+1)
	}
	if got, err := l.FindByRequest(ctx, shipped.CustomerID, shipped.RequestID); err != nil || got.ID != shipped.ID {
		t.Fatalf("after the outage: %v, %v", got, err)
	}
}
