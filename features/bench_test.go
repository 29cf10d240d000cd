package features

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/rules"
)

// bench200Builder is the shipped catalog padded with customer features to
// 200 features.
func bench200Builder(tb testing.TB) *Builder {
	tb.Helper()
	data, err := policies.FS.ReadFile("features.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	cat, err := rules.ParseCatalog("features.yaml", data)
	if err != nil {
		tb.Fatal(err)
	}
	var pad strings.Builder
	pad.WriteString(strings.TrimRight(string(data), "\n") + "\n")
	types := []string{"int", "double", "string", "bool"}
	for i := cat.Len(); i < 200; i++ {
		fmt.Fprintf(&pad, "  - {name: pad_%d, type: %s, max_age: 720h}\n", i, types[i%4])
	}
	cat, err = rules.ParseCatalog("features.yaml", []byte(pad.String()))
	if err != nil {
		tb.Fatal(err)
	}
	if cat.Len() != 200 {
		tb.Fatalf("bench catalog has %d features, want 200", cat.Len())
	}
	b, err := NewBuilder(cat)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// benchWrites has a value for every online feature of the five entities.
func benchWrites(cat *rules.Catalog) []Write {
	ids := map[string]string{"customer": "C1", "device": "d1", "pan": "p1", "phone": "ph1", "bank_account": "a1"}
	vals := map[string]map[string]any{}
	for _, f := range cat.Features {
		if f.Source != rules.SourceOnline {
			continue
		}
		if vals[f.Entity] == nil {
			vals[f.Entity] = map[string]any{}
		}
		var v any
		switch f.Type {
		case rules.TypeInt:
			v = int64(f.Slot * 7)
		case rules.TypeDouble:
			v = float64(f.Slot) / 10
		case rules.TypeString:
			v = "v" + f.Name
		case rules.TypeBool:
			v = f.Slot%2 == 0
		case rules.TypeTimestamp:
			v = time.Now().UTC()
		case rules.TypeStringList:
			v = []string{"a", "b"}
		}
		vals[f.Entity][f.Name] = v
	}
	var ws []Write
	for e, v := range vals {
		ws = append(ws, Write{Key: EntityKey{e, ids[e]}, Values: v})
	}
	return ws
}

var benchInput = map[string]any{"device_id": "d1", "pan_hash": "p1", "phone_hash": "ph1", "account_hash": "a1"}

// benchSource is a Source over st with an L1 of ttl (-1: none), closed at
// the end, holding benchWrites.
func benchSource(b *testing.B, bld *Builder, st Store, ttl time.Duration) *Source {
	b.Helper()
	s, err := NewSource(SourceConfig{Builder: bld, Store: st, CacheTTL: ttl, Logger: quietLog})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(s.Close)
	if err := s.Write(context.Background(), benchWrites(bld.Catalog())...); err != nil {
		b.Fatal(err)
	}
	return s
}

// BenchmarkL1Hit measures Source.Vector for a 200-feature vector of five
// entities, all in L1: without request features (the vector is served as
// cached) and with two request features (WithInput overlays them on the
// cached vector and computes the derived features that depend on them).
func BenchmarkL1Hit(b *testing.B) {
	bld := bench200Builder(b)
	s := benchSource(b, bld, fpLocal(b, bld, time.Now), time.Hour)
	ctx := context.Background()
	withReq := map[string]any{"amount": 100000, "tenure_months": 12}
	for k, v := range benchInput {
		withReq[k] = v
	}
	for _, c := range []struct {
		name  string
		input map[string]any
	}{{"entity-keys-only", benchInput}, {"with-request-features", withReq}} {
		b.Run(c.name, func(b *testing.B) {
			req := Request{CustomerID: "C1", Step: "application", Input: c.input, Now: time.Now()}
			for range 3 {
				s.Vector(ctx, req)
				s.cache.c.Wait()
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0, n := cpuTime(), 0
			for b.Loop() {
				if _, err := s.Vector(ctx, req); err != nil {
					b.Fatal(err)
				}
				n++
			}
			// Process CPU time per decision (GC and ristretto's goroutines
			// included): unlike ns/op it does not grow when other processes
			// take the machine's cores.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/op")
		})
	}
}

// BenchmarkRedisMiss measures a cold read (no L1) of the customer, device
// and PAN vectors of the 200-feature catalog from the harness's Redis, one
// pipelined round trip, and reports p50 and p99.
func BenchmarkRedisMiss(b *testing.B) { benchRedisRead(b, -1) }

// BenchmarkRedisL1Hit is BenchmarkRedisMiss with the vectors in L1: each
// decision checks their versions in Redis (one small round trip) and
// converts nothing.
func BenchmarkRedisL1Hit(b *testing.B) { benchRedisRead(b, time.Hour) }

func benchRedisRead(b *testing.B, ttl time.Duration) {
	rdb, prefix := testRedis(b)
	bld := bench200Builder(b)
	rs, err := NewRedisStore(rdb, prefix, bld.Catalog(), nil)
	if err != nil {
		b.Fatal(err)
	}
	s := benchSource(b, bld, rs, ttl)
	ctx := context.Background()
	req := Request{CustomerID: "C1", Step: "application", Input: map[string]any{"device_id": "d1", "pan_hash": "p1"}, Now: time.Now()}
	v, _ := s.Vector(ctx, req)
	if got, ok := v.Lookup(0, time.Now().UnixNano()); !ok || got == nil {
		b.Fatalf("the cold read returned no bureau_score")
	}
	if s.cache != nil {
		s.cache.c.Wait()
	}
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		if _, err := s.Vector(ctx, req); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50_µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99_µs")
}

// benchEvents are n events each updating two aggregates (a device
// sighting: customers per device and devices per customer).
func benchEvents(n, offset int) []Event {
	evs := make([]Event, n)
	for i := range evs {
		c, d := fmt.Sprint("C", (offset+i)%5000), fmt.Sprint("d", (offset+i)%7000)
		evs[i] = Event{ID: fmt.Sprint("ev", offset+i), Type: "device_seen", At: fpT0.Add(time.Duration(offset+i) * time.Millisecond),
			Entities: map[string]string{"customer": c, "device": d}, Fields: map[string]any{"customer_id": c, "device_id": d}}
	}
	return evs
}

// BenchmarkAggregateUpdates applies events in batches of 1,000 and reports
// aggregate updates per second, for the in-process store (memory, written
// behind to SQLite) and Redis (one script per 64 events, pipelined):
//
//	distinct-rows: device sightings, two updates each (customers per
//	               device, devices per customer), nearly every update a
//	               new series row — the worst case for persistence;
//	hot-series:    loan applications and EMI debits of 1,000 customers
//	               within the hour, which share buckets.
func BenchmarkAggregateUpdates(b *testing.B) {
	const batch = 1000
	hot := func(n, offset int) []Event {
		evs := make([]Event, n)
		for i := range evs {
			c := fmt.Sprint("C", (offset+i)%1000)
			typ, fields := "loan_application", map[string]any(nil)
			if i%2 == 1 {
				typ, fields = "emi_debit", map[string]any{"amount": 1000 + i}
			}
			evs[i] = Event{Type: typ, At: fpT0.Add(time.Duration(i) * time.Millisecond), Entities: map[string]string{"customer": c}, Fields: fields}
		}
		return evs
	}
	distinct := func(n, offset int) []Event { return benchEvents(n, offset) }
	run := func(b *testing.B, gen func(n, offset int) []Event, perEvent int, apply func(context.Context, ...Event) error, finish func(context.Context) error) {
		ctx := context.Background()
		// Events are built before timing; each round gets fresh ids.
		const rounds = 20
		pre := make([][]Event, rounds)
		for r := range pre {
			pre[r] = gen(batch, r*batch)
		}
		i := 0
		b.ResetTimer()
		start, cpu0 := time.Now(), cpuTime()
		for b.Loop() {
			evs := pre[i%rounds]
			suffix := "-" + strconv.Itoa(i)
			for j := range evs {
				evs[j].ID = "e" + strconv.Itoa(j) + suffix
			}
			if err := apply(ctx, evs...); err != nil {
				b.Fatal(err)
			}
			i++
		}
		if err := finish(ctx); err != nil { // everything durable before the clock stops
			b.Fatal(err)
		}
		updates := float64(perEvent * batch * i)
		b.ReportMetric(updates/time.Since(start).Seconds(), "updates/s")
		b.ReportMetric(float64(cpuTime()-cpu0)/updates, "cpu-ns/update")
	}
	for _, w := range []struct {
		name     string
		gen      func(n, offset int) []Event
		perEvent int
	}{{"distinct-rows", distinct, 2}, {"hot-series", hot, 1}} {
		b.Run("local/"+w.name, func(b *testing.B) {
			st := fpLocal(b, fpBuilder(b), func() time.Time { return fpT0 })
			run(b, w.gen, w.perEvent, st.Apply, st.Flush)
		})
		b.Run("redis/"+w.name, func(b *testing.B) {
			rdb, prefix := testRedis(b)
			rs, err := NewRedisStore(rdb, prefix, fpBuilder(b).Catalog(), func() time.Time { return fpT0 })
			if err != nil {
				b.Fatal(err)
			}
			run(b, w.gen, w.perEvent, rs.Apply, func(context.Context) error { return nil })
		})
	}
}

// cpuTime is the process's user and system CPU time in nanoseconds.
func cpuTime() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
