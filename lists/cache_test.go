package lists

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func TestCacheApply(t *testing.T) {
	t.Parallel()
	c := NewCache()
	exp := now.Add(time.Hour).UnixMicro()
	c.replace("l", 1, []row{{value: "a", open: true}, {value: "b", open: true, expires: exp}, {value: "gone"}})
	c.apply("l", 3, []row{{value: "a"}, {value: "c", open: true}, {value: "b"}, {value: "b", open: true}})
	for _, tc := range []struct {
		value string
		at    time.Time
		want  bool
	}{
		{"a", now, false},                   // closed
		{"b", now.Add(2 * time.Hour), true}, // closed and reopened without expiry in one revision
		{"c", now, true},
		{"gone", now, false},
	} {
		if got, _ := c.Contains("l", tc.value, tc.at); got != tc.want {
			t.Errorf("Contains(l, %s, %v) = %v, want %v", tc.value, tc.at, got, tc.want)
		}
	}
	if c.Revision("l") != 3 || c.Len("l") != 2 {
		t.Errorf("revision %d, len %d; want 3 and 2", c.Revision("l"), c.Len("l"))
	}
	c.replace("l2", 1, []row{{value: "x", open: true, expires: exp}})
	if ok, _ := c.Contains("l2", "x", now); !ok {
		t.Errorf("x not on l2 before its expiry")
	}
	if ok, _ := c.Contains("l2", "x", now.Add(time.Hour)); ok {
		t.Errorf("x on l2 at its expiry; want off")
	}
	if ok, _ := c.Contains("unknown", "x", now); ok {
		t.Errorf("x on a list the cache does not hold; want every unknown list empty")
	}
}

// TestCacheReadersSeeWholeChanges: while changes are swapped in, a reader
// never sees part of one. Each change puts a<i> and b<i> on the list
// together (a first) and nothing is removed, so a reader that finds a<i>
// must find b<i> (run with -race).
func TestCacheReadersSeeWholeChanges(t *testing.T) {
	t.Parallel()
	c := NewCache()
	c.replace("l", 1, bigList(100_000))
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				i := strconv.FormatInt(c.Revision("l"), 10)
				if a, _ := c.Contains("l", "a"+i, now); a {
					if b, _ := c.Contains("l", "b"+i, now); !b {
						t.Errorf("a%s is on the list but b%s, added in the same change, is not", i, i)
						return
					}
				}
			}
		}()
	}
	for i := 2; i < 3000; i++ {
		s := strconv.Itoa(i + 1)
		c.apply("l", int64(i+1), []row{{value: "a" + s, open: true}, {value: "b" + s, open: true}})
	}
	stop.Store(true)
	wg.Wait()
	if got, want := c.Len("l"), 100_000+2*2998; got != want {
		t.Errorf("len %d after the changes, want %d", got, want)
	}
}

func bigList(n int) []row {
	rows := make([]row, n)
	for i := range rows {
		rows[i] = row{value: strconv.Itoa(100000000 + i), open: true}
	}
	return rows
}

// BenchmarkCacheContains1M is Contains on a 1,000,000-entry list, half
// hits and half misses.
func BenchmarkCacheContains1M(b *testing.B) {
	c := NewCache()
	c.replace("big", 1, bigList(1_000_000))
	probes := make([]string, 4096)
	for i := range probes {
		probes[i] = strconv.Itoa(100000000 + i*487 + (i%2)*2_000_000) // odd i: not on the list
	}
	b.ResetTimer()
	hits := 0
	for i := 0; b.Loop(); i++ {
		if ok, _ := c.Contains("big", probes[i&4095], now); ok {
			hits++
		}
	}
	if b.N > 4096 && (hits == 0 || hits == b.N) {
		b.Fatalf("%d hits of %d probes; want about half", hits, b.N)
	}
}

// BenchmarkCacheApplyOne1M is one value changed on a 1,000,000-entry list:
// the cost of building the change aside (one shard copied).
func BenchmarkCacheApplyOne1M(b *testing.B) {
	c := NewCache()
	c.replace("big", 1, bigList(1_000_000))
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		c.apply("big", int64(i+2), []row{{value: strconv.Itoa(i), open: i%2 == 0}})
	}
}
