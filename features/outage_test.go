package features

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/nirnay/nirnay/internal/testenv"
)

// proxiedRedis is the options of a client of the test Redis through a
// proxy that can cut it off, failing fast (no retries, 100 ms timeouts),
// and the test's key prefix.
func proxiedRedis(t *testing.T) (*redis.Options, string, *testenv.Proxy) {
	t.Helper()
	url, prefix := testenv.Redis(t)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewProxy(t, opts.Addr)
	opts.Addr, opts.MaxRetries, opts.DialTimeout, opts.ReadTimeout = proxy.Addr(), -1, 100*time.Millisecond, 100*time.Millisecond
	return opts, prefix, proxy
}

// TestRedisOutageServesValuesHeldInMemory: while Redis cannot be read,
// a decision gets the values last held in L1 — each only while it is
// within its feature's max_age — marked stale, instead of losing them all
// at once; once Redis is back the store is read again.
func TestRedisOutageServesValuesHeldInMemory(t *testing.T) {
	opts, prefix, proxy := proxiedRedis(t)
	rdb := redis.NewClient(opts)
	t.Cleanup(func() { rdb.Close() })
	clk := newFakeClock()
	src, _ := newRedisSource(t, rdb, prefix, clk.Now, 2*time.Second)
	ctx := context.Background()
	if err := src.Write(ctx, Write{Key: EntityKey{Entity: "customer", ID: "C-1"},
		Values: map[string]any{"bureau_score": 760, "city": "Pune", "fresh_flag": true}}); err != nil {
		t.Fatal(err)
	}
	read := func() map[string]Observation {
		v, err := src.Vector(ctx, Request{CustomerID: "C-1", Now: clk.Now()})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]Observation{}
		for _, name := range []string{"bureau_score", "city", "fresh_flag"} {
			f, _ := v.Catalog().Lookup(name)
			out[name] = v.Observe(f.Slot, clk.Now())
		}
		return out
	}
	time.Sleep(100 * time.Millisecond) // the write's own announcement drops the key from L1
	if got := read(); got["bureau_score"].State != Present {
		t.Fatalf("before the outage: %+v", got)
	}
	src.cache.wait() // ristretto admits entries asynchronously
	proxy.Cut()
	clk.Add(90 * time.Minute) // L1's 2 s are long past; fresh_flag's max_age (1h) too
	got := read()
	if got["bureau_score"].Value != int64(760) || got["bureau_score"].State != Stale || got["city"].Value != "Pune" {
		t.Errorf("during the outage: bureau_score %+v, city %+v; want the held values, marked stale", got["bureau_score"], got["city"])
	}
	if got["fresh_flag"].Value != nil {
		t.Errorf("fresh_flag held past its max_age during the outage: %+v", got["fresh_flag"])
	}
	proxy.Restore()
	deadline := time.Now().Add(5 * time.Second)
	for {
		clk.Add(3 * time.Second) // past L1 and any breaker cool-down
		if got := read(); got["bureau_score"].State == Present {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the store was not read again after Redis came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestRedisOutageKeepsValuesACountReplaced: a velocity count (Source.Apply)
// invalidates the entity it counts on the instance that applies it and,
// through the announcement, on every other; that must not leave them with
// nothing held when Redis then goes down. Both instances decide on the
// values they last read, marked stale, not on missing features (which,
// with every decision counting its customer, was a Redis outage losing
// every recently decided customer at once).
func TestRedisOutageKeepsValuesACountReplaced(t *testing.T) {
	opts, prefix, proxy := proxiedRedis(t)
	clk := newFakeClock()
	var srcs []*Source
	for range 2 {
		rdb := redis.NewClient(opts)
		t.Cleanup(func() { rdb.Close() })
		src, _ := newRedisSource(t, rdb, prefix, clk.Now, 2*time.Second)
		srcs = append(srcs, src)
	}
	a, b := srcs[0], srcs[1]
	ctx := context.Background()
	key := EntityKey{Entity: "customer", ID: "C-1"}
	time.Sleep(100 * time.Millisecond) // both subscriptions established
	if err := a.Write(ctx, Write{Key: key, Values: map[string]any{"bureau_score": 760, "city": "Pune"}}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // the write's announcement drops the key from B's L1
	read := func(s *Source) (Observation, Observation) {
		t.Helper()
		v, err := s.Vector(ctx, Request{CustomerID: "C-1", Now: clk.Now()})
		if err != nil {
			t.Fatal(err)
		}
		score, _ := v.Catalog().Lookup("bureau_score")
		city, _ := v.Catalog().Lookup("city")
		return v.Observe(score.Slot, clk.Now()), v.Observe(city.Slot, clk.Now())
	}
	for _, s := range srcs {
		if score, _ := read(s); score.State != Present {
			t.Fatalf("before the count: bureau_score %+v", score)
		}
		s.cache.wait() // ristretto admits entries asynchronously
	}
	// A decision on A counts its customer: A drops the key, B when the
	// announcement arrives.
	if err := a.Apply(ctx, ev("dec_1/loan_application", "loan_application", clk.Now(), map[string]string{"customer": "C-1"}, nil)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for b.cache.getPart(key.String(), clk.Now().UnixNano()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("B's L1 still holds C-1 as fresh 5 s after A counted it")
		}
		time.Sleep(10 * time.Millisecond)
	}
	proxy.Cut()
	clk.Add(10 * time.Second) // past L1's 2 s
	for i, s := range srcs {
		score, city := read(s)
		if score.Value != int64(760) || score.State != Stale || city.Value != "Pune" || city.State != Stale {
			t.Errorf("instance %d during the outage: bureau_score %+v, city %+v; want the values last read, marked stale", i, score, city)
		}
	}
	proxy.Restore()
}

// wait returns once both of L1's caches have admitted what was set.
func (c *l1) wait() {
	c.c.Wait()
	c.held.Wait()
}
