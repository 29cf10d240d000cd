package consume

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/events/stream"
	"github.com/nirnay/nirnay/internal/testenv"
)

const helperEnv = "NIRNAY_EVENTS_KILL_HELPER"

// TestKill9ConsumerMidStream runs the features and archive consumers in a
// child process, kills it with SIGKILL while it is working through the
// stream, lets a consumer in this process reclaim the child's pending
// entries (XAUTOCLAIM) and finish, and then checks that the features equal
// a from-scratch recomputation over the archive and that each salary credit
// was counted exactly once.
func TestKill9ConsumerMidStream(t *testing.T) {
	t.Parallel()
	if os.Getenv(helperEnv) != "" {
		t.Skip("helper process")
	}
	r := newStreamRig(t)
	rdb, prefix, dir, db, cat, log := r.rdb, r.prefix, r.dir, r.db, r.cat, r.log
	ctx := context.Background()
	const n, customers = 30_000, 300
	evs := smsEvents(t, n, customers, "k")
	in := &ingest.Ingester{Stream: log, Dead: NewDeadLetters(db, clock), Clock: clock}
	for i := 0; i < n; i += 500 {
		if _, err := in.Ingest(ctx, evs[i:i+500]); err != nil {
			t.Fatal(err)
		}
	}

	url, _ := testenv.Redis(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestKill9Helper$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"=1", "NIRNAY_KILL_REDIS="+url, "NIRNAY_KILL_PREFIX="+prefix, "NIRNAY_KILL_DIR="+dir)
	out, _ := os.Create(filepath.Join(dir, "child.log"))
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it once both groups are well into the stream.
	deadline := time.Now().Add(60 * time.Second)
	for {
		gs, err := rdb.XInfoGroups(ctx, log.Key()).Result()
		if err != nil {
			t.Fatal(err)
		}
		read := map[string]int64{}
		for _, g := range gs {
			read[g.Name] = g.EntriesRead
		}
		if read["features"] >= n/3 && read["archive"] >= n/3 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			b, _ := os.ReadFile(filepath.Join(dir, "child.log"))
			t.Fatalf("the child consumer made no progress: %v\n%s", read, b)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	pendingAtKill := int64(0)
	for _, g := range []string{"features", "archive"} {
		p, lag, _ := log.Pending(ctx, g)
		pendingAtKill += p
		t.Logf("at kill -9, group %s: %d delivered but unacknowledged, %d unread", g, p, lag)
	}

	// Recovery in this process: a new consumer reclaims and finishes.
	live := redisFeatures(t, rdb, prefix+"live:")
	arch, err := NewArchive(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	feat := &Features{Agg: live.store, Writer: live.src, Signals: NewRedisSignals(rdb, prefix+"live:"), Clock: clock}
	rctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for _, r := range []*Runner{
		{Group: "features", Consumer: "recovery", Log: log, Handler: feat, Dead: NewDeadLetters(db, clock), Logger: quietLog, MinIdle: 300 * time.Millisecond, Block: 50 * time.Millisecond},
		{Group: "archive", Consumer: "recovery", Log: log, Handler: arch, Dead: NewDeadLetters(db, clock), Logger: quietLog, MinIdle: 300 * time.Millisecond, Block: 50 * time.Millisecond},
	} {
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(rctx) }()
	}
	time.Sleep(400 * time.Millisecond)
	drain(t, log, "features", "archive")
	cancel()
	wg.Wait()

	fresh, archived := recomputeFromArchive(t, rdb, prefix, arch.Dir(), n)
	got, want := live.snapshot(t, cat, customers), fresh.snapshot(t, cat, customers)
	diffs := 0
	for c := range want {
		if !reflect.DeepEqual(got[c], want[c]) {
			diffs++
			if diffs <= 3 {
				t.Errorf("%s: features after kill -9 and recovery %v, recomputed from the archive %v", c, got[c], want[c])
			}
		}
	}
	salaries := salaryCredits(evs)
	for c, m := range got {
		if v, _ := m["sms_salary_credits_90d"].(int64); v != salaries[c] {
			t.Errorf("%s: sms_salary_credits_90d = %d, want %d", c, v, salaries[c])
		}
	}
	t.Logf("killed with %d entries pending; %d customers' features equal the recomputation; %d events archived once", pendingAtKill, len(want)-diffs, len(archived))
}

// TestKill9Helper is the child process of TestKill9ConsumerMidStream: it
// consumes until it is killed.
func TestKill9Helper(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("run only as the child of TestKill9ConsumerMidStream")
	}
	opts, err := redis.ParseURL(os.Getenv("NIRNAY_KILL_REDIS"))
	if err != nil {
		t.Fatal(err)
	}
	rdb := redis.NewClient(opts)
	prefix, dir := os.Getenv("NIRNAY_KILL_PREFIX"), os.Getenv("NIRNAY_KILL_DIR")
	log := stream.NewRedis(rdb, prefix, 0)
	fe := redisFeatures(t, rdb, prefix+"live:")
	arch, err := NewArchive(filepath.Join(dir, "archive"))
	if err != nil {
		t.Fatal(err)
	}
	feat := &Features{Agg: fe.store, Writer: fe.src, Signals: NewRedisSignals(rdb, prefix+"live:"), Clock: clock}
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, r := range []*Runner{
		// Small batches so that the kill lands mid-stream with work pending.
		{Group: "features", Consumer: "child", Log: log, Handler: feat, Logger: quietLog, Batch: 100, MinIdle: time.Hour},
		{Group: "archive", Consumer: "child", Log: log, Handler: arch, Logger: quietLog, Batch: 100, MinIdle: time.Hour},
	} {
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(ctx) }()
	}
	wg.Wait()
}
