package consume

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/events/stream"
)

// drain waits until every group has nothing pending and nothing unread.
func drain(t testing.TB, st pendingReader, groups ...string) {
	t.Helper()
	waitDrained(t, st, 60*time.Second, 20*time.Millisecond, groups...)
}

type pendingReader interface {
	Pending(ctx context.Context, group string) (int64, int64, error)
}

// waitDrained polls every poll until each group has nothing pending and
// nothing unread, failing after timeout.
func waitDrained(t testing.TB, st pendingReader, timeout, poll time.Duration, groups ...string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for _, g := range groups {
		for {
			p, lag, err := st.Pending(context.Background(), g)
			if err != nil {
				t.Fatal(err)
			}
			if p == 0 && lag == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("group %s not drained: %d pending, %d unread", g, p, lag)
			}
			time.Sleep(poll)
		}
	}
}

// TestConsumerCrashLosesNothingAndCountsNothingTwice ingests SMS onto a
// Redis stream; two consumers of each group "crash" (they read and did
// their work, in part or in full, but never acknowledged; one archive
// append is torn mid-write); a third consumer reclaims their pending
// entries with XAUTOCLAIM and finishes. The features must then equal a
// from-scratch recomputation over the archive, and the archive must hold
// every accepted event once.
func TestConsumerCrashLosesNothingAndCountsNothingTwice(t *testing.T) {
	t.Parallel()
	r := newStreamRig(t)
	rdb, prefix, dir, db, cat, log := r.rdb, r.prefix, r.dir, r.db, r.cat, r.log
	ctx := context.Background()
	const n, customers = 4000, 40
	live := redisFeatures(t, rdb, prefix+"live:")
	dead := NewDeadLetters(db, clock)
	arch, err := NewArchive(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	feat := &Features{Agg: live.store, Writer: live.src, Signals: NewRedisSignals(rdb, prefix+"live:"), Clock: clock}

	// Ingest, with one malformed event per batch.
	in := &ingest.Ingester{Stream: log, Dead: dead, Clock: clock}
	evs := smsEvents(t, n, customers, "sms")
	accepted := 0
	for i := 0; i < n; i += 400 {
		batch := append([]ingest.Event{}, evs[i:i+400]...)
		batch = append(batch, ingest.Event{ID: "bad-" + batch[0].ID, Type: ingest.TypeSMS, CustomerID: "C-1", At: testNow, Data: json.RawMessage(`{"sender":"VM-HDFCBK"}`)})
		rc, err := in.Ingest(ctx, batch)
		if err != nil {
			t.Fatal(err)
		}
		if len(rc.Refused) != 1 || rc.Refused[0].Index != 400 {
			t.Fatalf("refused %+v, want the one malformed event at index 400", rc.Refused)
		}
		accepted += len(rc.Accepted)
	}
	if accepted != n {
		t.Fatalf("accepted %d events, want %d", accepted, n)
	}

	// Crash 1: consumer "a" did a whole batch's work but never acknowledged.
	// Crash 2: consumer "b" did half of its batch.
	for _, g := range []struct {
		name string
		h    Handler
	}{{"features", feat}, {"archive", arch}} {
		msgs, err := log.Read(ctx, g.name, "a", 300, time.Second)
		if err != nil || len(msgs) != 300 {
			t.Fatalf("%s: read %d, %v", g.name, len(msgs), err)
		}
		if _, err := g.h.Handle(ctx, decode(t, msgs)); err != nil {
			t.Fatal(err)
		}
		msgs, err = log.Read(ctx, g.name, "b", 300, time.Second)
		if err != nil || len(msgs) != 300 {
			t.Fatalf("%s: read %d, %v", g.name, len(msgs), err)
		}
		if _, err := g.h.Handle(ctx, decode(t, msgs[:150])); err != nil {
			t.Fatal(err)
		}
	}
	// The archive append of "b" was torn: half a gzip member at a segment's end.
	tornFile := arch.segment(testNow.Format("2006-01-02")) + ".jsonl.gz"
	f, err := os.OpenFile(tornFile, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff, 0x01, 0x02})
	f.Close()

	// A fresh process reclaims (a new Archive: it writes its own segment;
	// readers stop at the torn tail of the old one).
	arch2, err := NewArchive(arch.Dir())
	if err != nil {
		t.Fatal(err)
	}
	// Two consumers share the features group from here on.
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{}, 3)
	for _, r := range []*Runner{
		{Group: "features", Consumer: "c", Log: log, Handler: feat, Dead: dead, Logger: quietLog, MinIdle: 200 * time.Millisecond, Block: 100 * time.Millisecond, Batch: 50},
		{Group: "features", Consumer: "d", Log: log, Handler: feat, Dead: dead, Logger: quietLog, MinIdle: 200 * time.Millisecond, Block: 100 * time.Millisecond, Batch: 50},
		{Group: "archive", Consumer: "c", Log: log, Handler: arch2, Dead: dead, Logger: quietLog, MinIdle: 200 * time.Millisecond, Block: 100 * time.Millisecond},
	} {
		go func() { r.Run(rctx); done <- struct{}{} }()
	}
	time.Sleep(300 * time.Millisecond)
	drain(t, log, "features", "archive")
	cancel()
	<-done
	<-done
	<-done

	// The archive holds every accepted event exactly once (after dedupe);
	// recompute from scratch over it into fresh stores.
	fresh, _ := recomputeFromArchive(t, rdb, prefix, arch.Dir(), n)
	got, want := live.snapshot(t, cat, customers), fresh.snapshot(t, cat, customers)
	if !reflect.DeepEqual(got, want) {
		for c := range want {
			if !reflect.DeepEqual(got[c], want[c]) {
				t.Errorf("%s: live features %v, recomputed %v", c, got[c], want[c])
			}
		}
	}

	// And independently of the pipeline: salary credits counted once each.
	salaries := salaryCredits(evs)
	total := int64(0)
	for c, m := range got {
		v, _ := m["sms_salary_credits_90d"].(int64)
		if v != salaries[c] {
			t.Errorf("%s: sms_salary_credits_90d = %d, want %d", c, v, salaries[c])
		}
		total += v
	}
	if total == 0 {
		t.Fatal("no salary credits counted at all: the corpus or the pipeline is broken")
	}

	// The malformed events are dead letters, with their reason.
	dls, _, err := dead.List(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	if len(dls) != n/400 || dls[0].Consumer != "ingest" || dls[0].Reason == "" {
		t.Fatalf("dead letters: got %d (first %+v), want %d from ingest with a reason", len(dls), dls[0], n/400)
	}
}

func decode(t testing.TB, msgs []stream.Message) []ingest.Event {
	t.Helper()
	out := make([]ingest.Event, len(msgs))
	for i, m := range msgs {
		if err := json.Unmarshal(m.Data, &out[i]); err != nil {
			t.Fatal(err)
		}
	}
	return out
}
