package lists_test

import (
	"context"
	"fmt"
	"math/bits"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/lists"
	"github.com/nirnay/nirnay/store"
)

// listen runs s.Listen until the test ends.
func listen(t *testing.T, s *lists.Service) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Listen(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Listen: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls c until value is on list, for up to timeout; it returns
// when it first saw it (zero if never).
func waitFor(c *lists.Cache, list, value string, want bool, timeout time.Duration) time.Time {
	deadline := time.Now().Add(timeout)
	for {
		now := time.Now()
		if ok, _ := c.Contains(list, value, now); ok == want {
			return now
		}
		if now.After(deadline) {
			return time.Time{}
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// TestTwoInstancesSeeEachOthersChanges: two services on one PostgreSQL
// database, each with its own cache; a change committed on one is seen by
// Contains on the other within the 1 s budget (DESIGN §13), through
// LISTEN/NOTIFY and an incremental refresh. It logs the p50 and max, over
// 50 changes, of the time from the commit returning on the first instance
// to the first Contains on the second that sees the change.
func TestTwoInstancesSeeEachOthersChanges(t *testing.T) {
	url := testenv.Postgres(t)
	b := backend{URL: url}
	dbA := b.Migrated(t)
	ctx := context.Background()
	var committed atomic.Int64 // unix ns of the last commit on A
	a, err := lists.Open(ctx, dbA, lists.Options{Logger: quiet, DatabaseURL: url,
		OnChange: func(context.Context, lists.Change) { committed.Store(time.Now().UnixNano()) }})
	if err != nil {
		t.Fatal(err)
	}
	other := openService(t, b.Open(t), url, newClock(time.Now()))
	stopB := listen(t, other)
	listen(t, a)
	mustPut(t, a, "blocked_devices")
	if _, err := a.Add(ctx, analyst, "blocked_devices", []lists.NewEntry{{Value: "warm-up"}}); err != nil {
		t.Fatal(err)
	}
	if waitFor(other.Cache(), "blocked_devices", "warm-up", true, 10*time.Second).IsZero() {
		t.Fatal("the second instance never saw the first change (is its listener connected?)")
	}

	const n = 50
	lat := make([]time.Duration, 0, n)
	for i := range n {
		v := fmt.Sprintf("d-%03d", i)
		seen := make(chan time.Time, 1)
		go func() { seen <- waitFor(other.Cache(), "blocked_devices", v, true, 5*time.Second) }()
		if _, err := a.Add(ctx, analyst, "blocked_devices", []lists.NewEntry{{Value: v}}); err != nil {
			t.Fatalf("add %s: %v", v, err)
		}
		at := <-seen
		if at.IsZero() {
			t.Fatalf("change %d (%s) not seen by the other instance within 5 s", i, v)
		}
		lat = append(lat, at.Sub(time.Unix(0, committed.Load())))
	}
	slices.Sort(lat)
	p50, worst := lat[n/2], lat[n-1]
	t.Logf("list change committed on one instance → first Contains on the other that sees it, %d changes: p50 %v, max %v", n, p50, worst)
	fmt.Printf("lists two-instance propagation over %d changes: p50 %v max %v\n", n, p50, worst)
	if worst > time.Second {
		t.Errorf("slowest change took %v to reach the other instance; the budget is 1 s", worst)
	}

	// Back the other way: a removal on the second instance reaches the first.
	if err := other.Remove(ctx, analyst, "blocked_devices", "d-000"); err != nil {
		t.Fatal(err)
	}
	if waitFor(a.Cache(), "blocked_devices", "d-000", false, 5*time.Second).IsZero() {
		t.Errorf("a removal on the second instance did not reach the first within 5 s")
	}

	// A change made while the second instance's listener is down is
	// picked up when it reconnects.
	stopB()
	if _, err := a.Add(ctx, analyst, "blocked_devices", []lists.NewEntry{{Value: "while-away"}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if ok, _ := other.Cache().Contains("blocked_devices", "while-away", time.Now()); ok {
		t.Fatalf("the second instance saw a change with its listener stopped; the test proves nothing")
	}
	listen(t, other)
	if waitFor(other.Cache(), "blocked_devices", "while-away", true, 5*time.Second).IsZero() {
		t.Errorf("a change made while the listener was down was not picked up when it reconnected")
	}
}

// TestReplace100kWhileDeciding replaces a 100,000-entry list with another
// 100,000 values (half of them new) while Contains keeps being called: the
// replace completes in seconds, readers never wait on it, and they see the
// old list or the new one, never a mix. It logs the replace's time and the
// longest single Contains during it.
func TestReplace100kWhileDeciding(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 200,000 entries")
	}
	backends(t, func(t *testing.T, b backend, db *store.DB) {
		ctx := context.Background()
		s := openService(t, db, b.URL, newClock(time.Now()), "big")
		values := func(from int) []lists.NewEntry {
			es := make([]lists.NewEntry, 100_000)
			for i := range es {
				es[i] = lists.NewEntry{Value: fmt.Sprintf("v%07d", from+i), Reason: "bulk"}
			}
			return es
		}
		start := time.Now()
		if r, err := s.Import(ctx, analyst, "big", values(0), lists.ModeAdd, false); err != nil || r.Added != 100_000 {
			t.Fatalf("first import: %+v, %v", r, err)
		}
		t.Logf("%s: import of 100,000 new entries took %v", b.Name(), time.Since(start))

		c := s.Cache()
		var stop atomic.Bool
		var calls atomic.Int64
		var worst atomic.Int64
		var slow [64]atomic.Int64 // calls by bit length of their duration in ns
		var mixed atomic.Value
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				old := fmt.Sprintf("v%07d", i%50_000)        // only on the old list
				nu := fmt.Sprintf("v%07d", 100_000+i%50_000) // only on the new one
				t0 := time.Now()
				inOld, _ := c.Contains("big", old, t0)
				d := time.Since(t0)
				inNew, _ := c.Contains("big", nu, t0)
				if d > time.Duration(worst.Load()) {
					worst.Store(int64(d))
				}
				slow[bits.Len64(uint64(d))].Add(1)
				calls.Add(2)
				// Snapshots only move forward: once old is off, new is on.
				if !inOld && !inNew && mixed.Load() == nil {
					mixed.Store(fmt.Sprintf("neither %s nor %s on the list", old, nu))
				}
			}
		}()
		time.Sleep(20 * time.Millisecond)
		before := calls.Load()
		worst.Store(0)
		for i := range slow {
			slow[i].Store(0)
		}
		start = time.Now()
		r, err := s.Import(ctx, analyst, "big", values(50_000), lists.ModeReplace, false)
		took := time.Since(start)
		during := calls.Load() - before
		stop.Store(true)
		wg.Wait()
		if err != nil || r.Added != 50_000 || r.Removed != 50_000 || r.Unchanged != 50_000 {
			t.Fatalf("replace: %+v, %v; want 50,000 added, removed and unchanged", r, err)
		}
		// The longest call is the reader goroutine's longest time off a
		// processor (preemption, GC, other processes on the machine):
		// Contains itself takes no lock. Calls over 1 ms (2^20 ns) say how rare.
		var over1ms int64
		for i := 21; i < len(slow); i++ {
			over1ms += slow[i].Load()
		}
		t.Logf("%s: replace of 100,000 entries (50,000 out, 50,000 in) took %v; %d Contains calls meanwhile, the longest %v, %d over 1 ms",
			b.Name(), took, during, time.Duration(worst.Load()), over1ms)
		fmt.Printf("lists replace 100k on %s: %v; longest Contains during it %v over %d calls (%d over 1 ms)\n",
			b.Name(), took, time.Duration(worst.Load()), during, over1ms)
		if took > 30*time.Second && !raceDetector {
			t.Errorf("replace took %v; want seconds", took)
		}
		if during == 0 {
			t.Errorf("no Contains call completed during the replace; readers were blocked")
		}
		if m := mixed.Load(); m != nil {
			t.Errorf("a reader saw part of the replace: %v", m)
		}
		if ok, _ := c.Contains("big", "v0000000", time.Now()); ok || c.Len("big") != 100_000 {
			t.Errorf("after the replace: v0000000 on the list %v, %d entries; want false, 100000", ok, c.Len("big"))
		}
		if ok, _ := c.Contains("big", "v0149999", time.Now()); !ok {
			t.Errorf("after the replace v0149999 is not on the list")
		}
	})
}
