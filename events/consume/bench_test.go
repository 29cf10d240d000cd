package consume

import (
	"context"
	"os"
	"sort"
	"strconv"
	"strings"

	"fmt"
	"github.com/redis/go-redis/v9"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/events/stream"
	"github.com/nirnay/nirnay/internal/tune"
)

// BenchmarkSMSPipelineRedis measures SMS ingested, parsed and aggregated end
// to end on a Redis stream (Redis on loopback): each iteration ingests
// 50,000 SMS events for 500 customers (inbox uploads of 100 messages) in
// batches of 500 (validation, encoding, XADD) while the features, archive
// and journey consumers run, and ends when every group has acknowledged
// everything. It reports SMS/s until the features group (parse and
// aggregate) has acknowledged everything, SMS/s until all three groups
// have and the CPU this process (not Redis) spent per
// message, which does not depend on what else the machine runs. It runs
// under the garbage collector policy of nirnay serve, which hosts the
// consumers (tune.Serving with the default 1 GiB limit). With
// NIRNAY_BENCH_COMMANDSTATS=1 it logs Redis's per-command statistics.
//
//	scripts/with-services go test ./events/consume/ -run XXX -bench SMSPipelineRedis -benchtime 3x
func BenchmarkSMSPipelineRedis(b *testing.B) {
	b.Run("per-customer-uploads", func(b *testing.B) { benchPipeline(b, false) })
	b.Run("interleaved-customers", func(b *testing.B) { benchPipeline(b, true) })
}

// benchPipeline runs the measurement; interleaved spreads consecutive
// events over all customers (the worst case: every batch touches every
// customer's signals and aggregates).
func benchPipeline(b *testing.B, interleaved bool) {
	rdb, prefix := testRedis(b)
	defer tune.Serving(1 << 30)()
	ctx := context.Background()
	dir := b.TempDir()
	db := testDB(b, filepath.Join(dir, "db"))
	defer db.Close()
	const n, customers = 50_000, 500
	evs := smsEvents(b, n, customers, "x")
	if !interleaved {
		// As the app uploads them: a customer's messages arrive together.
		for i := range evs {
			evs[i].CustomerID = fmt.Sprintf("C-%d", i/(n/customers))
		}
	}
	var total, featTotal, ingTotal time.Duration
	var cpu0 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &cpu0)
	redis0 := redisCPU(b, rdb)
	for it := 0; it < b.N; it++ {
		p := prefix + string(rune('a'+it)) + ":"
		log := stream.NewRedis(rdb, p, 0)
		fe := redisFeatures(b, rdb, p)
		arch, err := NewArchive(filepath.Join(dir, "archive", p))
		if err != nil {
			b.Fatal(err)
		}
		dead := NewDeadLetters(db, clock)
		groups := []string{"features", "archive", "journey"}
		for _, g := range groups {
			if err := log.EnsureGroup(ctx, g); err != nil {
				b.Fatal(err)
			}
		}
		batch := make([]ingest.Event, n)
		for i := range evs {
			batch[i] = evs[i]
			batch[i].ID = p + evs[i].ID
		}
		rctx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		handlers := []Handler{
			&Features{Agg: fe.store, Writer: fe.src, Signals: NewRedisSignals(rdb, p), Clock: clock},
			arch,
			NewJourney(db),
		}
		start := time.Now()
		for i, g := range groups {
			consumers := []string{"c"}
			if g == "features" {
				consumers = []string{"c1", "c2"} // as consume.Config.FeatureWorkers = 2
			}
			for _, c := range consumers {
				wg.Add(1)
				r := &Runner{Group: g, Consumer: c, Log: log, Handler: handlers[i], Dead: dead, Logger: quietLog, Block: 20 * time.Millisecond}
				go func() { defer wg.Done(); r.Run(rctx) }()
			}
		}
		in := &ingest.Ingester{Stream: log, Dead: dead, Clock: clock}
		var iw sync.WaitGroup
		for w := 0; w < 2; w++ {
			iw.Add(1)
			go func() {
				defer iw.Done()
				for i := w * 500; i < n; i += 1000 {
					if _, err := in.Ingest(ctx, batch[i:i+500]); err != nil {
						b.Error(err)
						return
					}
				}
			}()
		}
		iw.Wait()
		ingTotal += time.Since(start)
		drainQuick(b, log, "features")
		featTotal += time.Since(start)
		drainQuick(b, log, groups...)
		total += time.Since(start)
		cancel()
		wg.Wait()
	}
	var cpu1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &cpu1)
	cpu := time.Duration(cpu1.Utime.Nano() + cpu1.Stime.Nano() - cpu0.Utime.Nano() - cpu0.Stime.Nano())
	if os.Getenv("NIRNAY_BENCH_COMMANDSTATS") != "" {
		b.Log(commandStats(b, rdb))
	}
	b.ReportMetric(float64(n*b.N)/ingTotal.Seconds(), "ingested-sms/s")
	b.ReportMetric(float64(n*b.N)/featTotal.Seconds(), "aggregated-sms/s")
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "all-groups-sms/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(n*b.N), "nirnay-cpu-µs/sms")
	b.ReportMetric(float64((redisCPU(b, rdb)-redis0).Microseconds())/float64(n*b.N), "redis-cpu-µs/sms")
	b.ReportMetric(0, "ns/op")
}

// commandStats summarises Redis's INFO commandstats on one line (test
// output keeps only a few lines of a benchmark's log), costliest first:
// "evalsha 615 calls 685 ms; …".
func commandStats(t testing.TB, rdb *redis.Client) string {
	info, err := rdb.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	type stat struct {
		name        string
		calls, usec int64
	}
	var stats []stat
	for _, line := range strings.Split(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(strings.TrimPrefix(line, "cmdstat_")), ":")
		if !ok {
			continue
		}
		var st stat
		st.name = name
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			n, _ := strconv.ParseInt(v, 10, 64)
			switch k {
			case "calls":
				st.calls = n
			case "usec":
				st.usec = n
			}
		}
		stats = append(stats, st)
	}
	sort.Slice(stats, func(i, j int) bool { return stats[i].usec > stats[j].usec })
	parts := make([]string, len(stats))
	for i, st := range stats {
		parts[i] = fmt.Sprintf("%s %d calls %d ms", st.name, st.calls, st.usec/1000)
	}
	return strings.Join(parts, "; ")
}

// redisCPU is the CPU the Redis server has used (INFO cpu).
func redisCPU(t testing.TB, rdb *redis.Client) time.Duration {
	info, err := rdb.Info(context.Background(), "cpu").Result()
	if err != nil {
		t.Fatal(err)
	}
	var total float64
	for _, line := range strings.Split(info, "\n") {
		k, v, ok := strings.Cut(strings.TrimSpace(line), ":")
		if ok && (k == "used_cpu_sys" || k == "used_cpu_user") {
			f, _ := strconv.ParseFloat(v, 64)
			total += f
		}
	}
	return time.Duration(total * float64(time.Second))
}

// drainQuick is drain polling often, so the benchmark's end is timed closely.
func drainQuick(t testing.TB, log *stream.Redis, groups ...string) {
	t.Helper()
	waitDrained(t, log, 120*time.Second, 2*time.Millisecond, groups...)
}
