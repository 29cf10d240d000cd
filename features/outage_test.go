package features

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/nirnay/nirnay/internal/testenv"
)

// TestRedisOutageServesValuesHeldInMemory: while Redis cannot be read,
// a decision gets the values last held in L1 — each only while it is
// within its feature's max_age — marked stale, instead of losing them all
// at once; once Redis is back the store is read again.
func TestRedisOutageServesValuesHeldInMemory(t *testing.T) {
	url, prefix := testenv.Redis(t)
	opts, err := redis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testenv.NewProxy(t, opts.Addr)
	opts.Addr, opts.MaxRetries, opts.DialTimeout, opts.ReadTimeout = proxy.Addr(), -1, 100*time.Millisecond, 100*time.Millisecond
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
	src.cache.c.Wait() // ristretto admits entries asynchronously
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
