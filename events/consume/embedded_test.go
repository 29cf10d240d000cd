package consume

import (
	"context"
	"path/filepath"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/events/stream"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// recorder is a handler that remembers the ids it handled.
type recorder struct {
	mu   sync.Mutex
	seen map[string]int
}

func (r *recorder) Handle(_ context.Context, evs []ingest.Event) ([]Refusal, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, ev := range evs {
		r.seen[ev.ID]++
	}
	return nil, nil
}

// TestEmbeddedStreamSurvivesRestart appends to the SQL stream, acknowledges
// part of what a consumer read (out of order), "crashes" (closes the
// database without acknowledging the rest) and reopens: every unacknowledged
// message is delivered again, no acknowledged one is.
func TestEmbeddedStreamSurvivesRestart(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	streamRestart(t, func() *store.DB { return testDB(t, dir) })
}

// TestSQLStreamOnPostgres runs the same over PostgreSQL: the SQL is
// written once for both.
func TestSQLStreamOnPostgres(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	streamRestart(t, func() *store.DB {
		db, err := store.Open(context.Background(), url, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Migrate(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func streamRestart(t *testing.T, open func() *store.DB) {
	ctx := context.Background()
	db := open()
	log, in := sqlStream(t, db, "g")
	evs := smsEvents(t, 1000, 10, "e")
	for i := 0; i < len(evs); i += 250 {
		if _, err := in.Ingest(ctx, evs[i:i+250]); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := log.Read(ctx, "g", "a", 300, time.Second)
	if err != nil || len(msgs) != 300 {
		t.Fatalf("read %d, %v; want 300", len(msgs), err)
	}
	acked := map[string]bool{}
	var ids []string
	for i, m := range msgs {
		if i < 100 || (i >= 200 && i%2 == 0) { // a prefix and a scattered set
			ids = append(ids, m.ID)
			ev := decode(t, msgs[i:i+1])[0]
			acked[ev.ID] = true
		}
	}
	if err := log.Ack(ctx, "g", ids...); err != nil {
		t.Fatal(err)
	}
	db.Close() // crash: 300-len(ids) read but unacknowledged

	db = open()
	defer db.Close()
	log, err = stream.OpenSQL(ctx, db, clock)
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{seen: map[string]int{}}
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	r := &Runner{Group: "g", Consumer: "b", Log: log, Handler: rec, Dead: NewDeadLetters(db, clock), Logger: quietLog, Block: 50 * time.Millisecond}
	go func() { r.Run(rctx); close(done) }()
	drain(t, log, "g")
	cancel()
	<-done

	var missing, twice []string
	for _, ev := range evs {
		switch n := rec.seen[ev.ID]; {
		case acked[ev.ID] && n != 0:
			twice = append(twice, ev.ID)
		case !acked[ev.ID] && n != 1:
			missing = append(missing, ev.ID)
		}
	}
	if len(missing) > 0 || len(twice) > 0 {
		t.Fatalf("after restart: %d events not delivered exactly once (e.g. %v), %d acknowledged events delivered again (e.g. %v)",
			len(missing), first(missing), len(twice), first(twice))
	}
	// Fully acknowledged messages are gone from the table.
	var left int
	if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM event_stream`).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Fatalf("event_stream holds %d rows after every message was acknowledged, want 0", left)
	}
}

func first(s []string) []string { return s[:min(3, len(s))] }

// TestEmbeddedPipelineMatchesRecomputation runs the embedded default end to
// end (SQL stream, local feature store, SQL signals, archive) and compares
// the features with a recomputation over the archive.
func TestEmbeddedPipelineMatchesRecomputation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	db := testDB(t, filepath.Join(dir, "live"))
	defer db.Close()
	cat := catalog(t)
	log, err := stream.OpenSQL(ctx, db, clock)
	if err != nil {
		t.Fatal(err)
	}
	live := localFeatures(t, db)
	arch, err := NewArchive(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	dead := NewDeadLetters(db, clock)
	feat := &Features{Agg: live.store, Writer: live.src, Signals: NewSQLSignals(db), Clock: clock}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, r := range []*Runner{
		{Group: "features", Consumer: "n1", Log: log, Handler: feat, Dead: dead, Logger: quietLog, Block: 50 * time.Millisecond},
		{Group: "archive", Consumer: "n1", Log: log, Handler: arch, Dead: dead, Logger: quietLog, Block: 50 * time.Millisecond},
	} {
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(rctx) }()
	}
	in := &ingest.Ingester{Stream: log, Dead: dead, Clock: clock}
	const customers = 8
	evs := smsEvents(t, 800, customers, "s")
	for i := 0; i < len(evs); i += 200 {
		if _, err := in.Ingest(ctx, evs[i:i+200]); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	drain(t, log, "features", "archive")
	cancel()
	wg.Wait()

	db2 := testDB(t, filepath.Join(dir, "fresh"))
	defer db2.Close()
	fresh := localFeatures(t, db2)
	re := &Features{Agg: fresh.store, Writer: fresh.src, Signals: NewSQLSignals(db2), Clock: clock}
	var archived []ingest.Event
	if err := ReadArchive(arch.Dir(), func(ev ingest.Event) error { archived = append(archived, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(archived) != len(evs) {
		t.Fatalf("archive holds %d events, want %d", len(archived), len(evs))
	}
	sort.Slice(archived, func(i, j int) bool { return archived[i].ID < archived[j].ID })
	if _, err := re.Handle(ctx, archived); err != nil {
		t.Fatal(err)
	}
	got, want := live.snapshot(t, cat, customers), fresh.snapshot(t, cat, customers)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("live features differ from the recomputation:\n got %v\nwant %v", got, want)
	}
	if v, _ := got["C-0"]["sms_salary_median_3m"].(int64); v == 0 {
		t.Fatalf("C-0 sms_salary_median_3m = 0, want a salary: %v", got["C-0"])
	}
}

// TestRunnerGathersABacklog: while reads come back full the runner reads
// on and handles what it gathered as one batch, up to GatherMessages
// messages or GatherBytes bytes; a short read ends the gathering.
func TestRunnerGathersABacklog(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	evs := smsEvents(t, 25, 5, "g")
	for _, tc := range []struct {
		name                           string
		n, batch, gatherN, gatherBytes int
		want                           []int
	}{
		{"by count", 25, 4, 10, 1 << 20, []int{10, 10, 5}},
		{"by bytes", 12, 4, 100, 1, []int{4, 4, 4}},
		{"by bytes after two reads", 12, 4, 100, -1, []int{8, 4}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := testDB(t, t.TempDir())
			defer db.Close()
			log, in := sqlStream(t, db, "g")
			if _, err := in.Ingest(ctx, evs[:tc.n]); err != nil {
				t.Fatal(err)
			}
			if tc.gatherBytes < 0 { // just past what the first read brings
				msgs, err := log.Read(ctx, "probe", "p", 4, time.Second)
				if err != nil {
					t.Fatal(err)
				}
				for _, m := range msgs {
					tc.gatherBytes += len(m.Data)
				}
				tc.gatherBytes += 2
			}
			var mu sync.Mutex
			var sizes []int
			rctx, cancel := context.WithCancel(ctx)
			r := &Runner{Group: "g", Consumer: "c", Log: log, Handler: &recorder{seen: map[string]int{}}, Logger: quietLog,
				Batch: tc.batch, GatherMessages: tc.gatherN, GatherBytes: tc.gatherBytes, Block: 20 * time.Millisecond,
				OnBatch: func(n int) { mu.Lock(); sizes = append(sizes, n); mu.Unlock() }}
			done := make(chan struct{})
			go func() { r.Run(rctx); close(done) }()
			drain(t, log, "g")
			cancel()
			<-done
			if !reflect.DeepEqual(sizes, tc.want) {
				t.Errorf("batches handled = %v, want %v", sizes, tc.want)
			}
		})
	}
}
