package consume

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/events/sms"
	"github.com/nirnay/nirnay/events/stream"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

var (
	testNow  = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	clock    = func() time.Time { return testNow }
	quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))
)

// catalog is the shipped feature catalog.
func catalog(t testing.TB) *rules.Catalog {
	t.Helper()
	data, err := policies.FS.ReadFile("features.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := rules.ParseCatalog("features.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

// testDB is the embedded database in dir, migrated, closed at the end of
// the test at the latest.
func testDB(t testing.TB, dir string) *store.DB {
	t.Helper()
	return testenv.SQLiteAt(t, dir)
}

// testRedis is the harness's Redis and a unique prefix; the test's keys are
// deleted at the end.
func testRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	return testenv.RedisClient(t, func(o *redis.Options) { o.PoolSize = 32 })
}

// streamRig is what the crash tests start from: the harness's Redis under
// a prefix of the test's, a data directory holding an SQLite database, the
// shipped catalog and a Redis stream with the features and archive groups.
type streamRig struct {
	rdb    *redis.Client
	prefix string
	dir    string
	db     *store.DB
	cat    *rules.Catalog
	log    *stream.Redis
}

func newStreamRig(t *testing.T) *streamRig {
	t.Helper()
	r := &streamRig{dir: t.TempDir(), cat: catalog(t)}
	r.rdb, r.prefix = testRedis(t)
	r.db = testDB(t, filepath.Join(r.dir, "db"))
	t.Cleanup(func() { r.db.Close() })
	r.log = stream.NewRedis(r.rdb, r.prefix, 0)
	for _, g := range []string{"features", "archive"} {
		if err := r.log.EnsureGroup(context.Background(), g); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

type corpusSMS struct {
	Sender string `json:"sender"`
	Body   string `json:"body"`
}

// corpus is the SMS parser's labelled corpus (synthetic messages).
func corpus(t testing.TB) []corpusSMS {
	t.Helper()
	f, err := os.Open("../sms/testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []corpusSMS
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m corpusSMS
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatal(err)
		}
		out = append(out, m)
	}
	if len(out) < 300 {
		t.Fatalf("corpus has %d messages, want ≥ 300", len(out))
	}
	return out
}

// smsEvents builds n sms events for customers C-0 … C-(customers-1),
// dated over the 80 days before testNow, cycling through the corpus.
func smsEvents(t testing.TB, n, customers int, idPrefix string) []ingest.Event {
	t.Helper()
	msgs := corpus(t)
	out := make([]ingest.Event, n)
	for i := range out {
		m := msgs[i%len(msgs)]
		data, _ := json.Marshal(ingest.SMS{Sender: m.Sender, Body: m.Body})
		out[i] = ingest.Event{ID: fmt.Sprintf("%s-%d", idPrefix, i), Type: ingest.TypeSMS, CustomerID: fmt.Sprintf("C-%d", i%customers),
			At: testNow.Add(-time.Duration(i%(80*24)) * time.Hour), Data: data}
	}
	return out
}

// featureEnv is a feature store with a source writing to it.
type featureEnv struct {
	store interface {
		Aggregator
		features.Store
	}
	src *features.Source
}

func redisFeatures(t testing.TB, rdb *redis.Client, prefix string) featureEnv {
	t.Helper()
	cat := catalog(t)
	st, err := features.NewRedisStore(rdb, prefix, cat, clock)
	if err != nil {
		t.Fatal(err)
	}
	return newFeatureEnv(t, cat, st)
}

func localFeatures(t testing.TB, db *store.DB) featureEnv {
	t.Helper()
	cat := catalog(t)
	st, err := features.NewLocalStore(context.Background(), db, cat, clock)
	if err != nil {
		t.Fatal(err)
	}
	return newFeatureEnv(t, cat, st)
}

func newFeatureEnv(t testing.TB, cat *rules.Catalog, st interface {
	Aggregator
	features.Store
}) featureEnv {
	b, err := features.NewBuilder(cat)
	if err != nil {
		t.Fatal(err)
	}
	src, err := features.NewSource(features.SourceConfig{Builder: b, Store: st, Clock: clock, CacheTTL: -1, Logger: quietLog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	return featureEnv{store: st, src: src}
}

// snapshot reads every customer's stored and aggregate values by name.
func (fe featureEnv) snapshot(t testing.TB, cat *rules.Catalog, customers int) map[string]map[string]any {
	t.Helper()
	keys := make([]features.EntityKey, customers)
	for i := range keys {
		keys[i] = features.EntityKey{Entity: "customer", ID: fmt.Sprintf("C-%d", i)}
	}
	got, err := fe.store.Read(context.Background(), keys, testNow)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]any{}
	for i, es := range got {
		m := map[string]any{}
		for _, e := range es {
			m[cat.Features[e.Slot].Name] = e.Val.Value()
		}
		out[keys[i].ID] = m
	}
	return out
}

// recomputeFromArchive reads the archive in dir, which must hold n distinct
// events, and handles them in id order into fresh Redis feature stores
// under prefix+"fresh:"; it returns those stores and the archived events.
func recomputeFromArchive(t *testing.T, rdb *redis.Client, prefix, dir string, n int) (featureEnv, []ingest.Event) {
	t.Helper()
	var archived []ingest.Event
	if err := ReadArchive(dir, func(ev ingest.Event) error { archived = append(archived, ev); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(archived) != n {
		t.Fatalf("archive holds %d distinct events, want %d", len(archived), n)
	}
	fresh := redisFeatures(t, rdb, prefix+"fresh:")
	re := &Features{Agg: fresh.store, Writer: fresh.src, Signals: NewRedisSignals(rdb, prefix+"fresh:"), Clock: clock}
	sort.Slice(archived, func(i, j int) bool { return archived[i].ID < archived[j].ID })
	for i := 0; i < len(archived); i += 500 {
		if _, err := re.Handle(context.Background(), archived[i:min(i+500, len(archived))]); err != nil {
			t.Fatal(err)
		}
	}
	return fresh, archived
}

// salaryCredits counts each customer's salary-credit SMS among evs that
// carry an amount, as the parser reads them.
func salaryCredits(evs []ingest.Event) map[string]int64 {
	salaries := map[string]int64{}
	for _, ev := range evs {
		var d ingest.SMS
		json.Unmarshal(ev.Data, &d)
		if r := sms.Parse(d.Sender, d.Body); r.Kind == sms.SalaryCredit && r.HasAmount {
			salaries[ev.CustomerID]++
		}
	}
	return salaries
}

// localPipeline is the embedded features consumer on a database of the
// test's own: its feature stores and the consumer writing them.
func localPipeline(t *testing.T) (featureEnv, *Features) {
	t.Helper()
	db := testDB(t, filepath.Join(t.TempDir(), "db"))
	fe := localFeatures(t, db)
	return fe, &Features{Agg: fe.store, Writer: fe.src, Signals: NewSQLSignals(db), Clock: clock}
}

// sqlStream opens the SQL event stream on db with groups, and an ingester
// appending to it.
func sqlStream(t *testing.T, db *store.DB, groups ...string) (*stream.SQL, *ingest.Ingester) {
	t.Helper()
	ctx := context.Background()
	log, err := stream.OpenSQL(ctx, db, clock)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if err := log.EnsureGroup(ctx, g); err != nil {
			t.Fatal(err)
		}
	}
	return log, &ingest.Ingester{Stream: log, Dead: NewDeadLetters(db, clock), Clock: clock}
}
