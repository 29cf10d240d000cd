package features

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"cel.dev/cel-go/common/types/ref"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/rules"
)

// Store is what a Source needs of an online store. RedisStore and
// LocalStore satisfy it.
type Store interface {
	// Read returns each key's values (stored and aggregate, as of now), in
	// key order, in one round trip.
	Read(ctx context.Context, keys []EntityKey, now time.Time) ([][]Entry, error)
	// Write validates ws against the catalog and stores them.
	Write(ctx context.Context, ws []Write, now time.Time) error
}

// aggregator is a store that maintains windowed aggregates from events
// (RedisStore, LocalStore).
type aggregator interface {
	Apply(ctx context.Context, events ...Event) error
}

// announcer is a store that announces, with the update itself, the entity
// keys an Apply touched (RedisStore).
type announcer interface {
	applyAnnounced(ctx context.Context, events []Event) error
}

// versioned is a store whose entity keys carry a version that every
// announced change replaces (RedisStore): readVersioned is Read with each
// key's version as it was before its values were read, versions the
// current ones. L1 checks its hits against them, so a decision sees what
// a request answered on another instance wrote, whether or not the
// announcement has arrived yet.
type versioned interface {
	readVersioned(ctx context.Context, keys []EntityKey, now time.Time) ([][]Entry, []string, error)
	versions(ctx context.Context, keys []EntityKey) ([]string, error)
}

// subscriber is a store that announces writes made by other instances.
type subscriber interface {
	Subscribe(ctx context.Context, onKey func(EntityKey), onReset func())
}

type pinger interface {
	Ping(ctx context.Context) error
}

// The entities of a decision, in the order a Source reads them, and the
// input keys that name them. The customer is the request's CustomerID; the
// others are taken from the decision's input when present as non-empty
// strings of at most MaxIDLength bytes: device_id, pan_hash, phone_hash
// and account_hash.
var (
	decisionEntities = [numEntities]string{"customer", "device", "pan", "phone", "bank_account"}
	// EntityInputKeys maps an entity to the decision input key naming it.
	EntityInputKeys = map[string]string{"device": "device_id", "pan": "pan_hash", "phone": "phone_hash", "bank_account": "account_hash"}
)

const numEntities = 5

// MaxBatchWrites bounds the writes of one Source.Write call.
const MaxBatchWrites = 500

// SourceConfig configures a Source. Zero values take the defaults.
type SourceConfig struct {
	Builder *Builder // required: the catalog and its derived formulas
	Store   Store    // required
	// Deadline bounds the store read of one decision; default 50 ms. When it
	// passes, the unread entities' features are missing.
	Deadline time.Duration
	// CacheTTL is how long L1 keeps values; default 2 s; negative: no L1.
	CacheTTL time.Duration
	// CacheMaxCost bounds L1 in values held; default 2,000,000. The parts
	// last read, kept for store outages, are bounded by it too, apart: at
	// most twice as many values in all, sharing them while both keep one.
	CacheMaxCost int64
	// History, when set, receives every write too, before Store: in
	// production a LocalStore on PostgreSQL whose history serves as-of reads
	// (AsOf) while Redis serves decisions.
	History    Store
	Breaker    BreakerConfig    // its Clock defaults to Clock
	Clock      func() time.Time // default time.Now
	Registerer prometheus.Registerer
	Logger     *slog.Logger
}

// Source gives the engine a decision's feature vector: the customer's
// values and those of the entities named in the input, served from L1 when
// cached and otherwise read from the store in one round trip, merged into
// one Vector with derived and request features. It never fails a decision
// because of the store: when the store is slow, down or its breaker open,
// an entity's values last held in L1 are used instead (each only within
// its feature's max_age, and marked stale in the decision log), and
// otherwise the features it could not read are missing. It is safe for concurrent
// use; Close stops its background subscription.
type Source struct {
	b        *Builder
	cat      *rules.Catalog
	store    Store
	vstore   versioned // store, when it is versioned and L1 is on
	history  Store
	es       entitySlots
	aggs     *aggregates
	deadline time.Duration
	cache    *l1
	breaker  *Breaker
	clock    func() time.Time
	log      *slog.Logger
	m        sourceMetrics
	stop     context.CancelFunc
	done     chan struct{}
}

type sourceMetrics struct {
	l1      *prometheus.CounterVec
	reads   *prometheus.CounterVec
	latency prometheus.Histogram
	breaker prometheus.Gauge
	missing prometheus.Counter
	// fromMemory counts entity vectors served from memory while the store
	// could not be read.
	fromMemory prometheus.Counter
	writes     prometheus.Counter
	l1Hit      prometheus.Counter
	l1Miss     prometheus.Counter
	readOK     prometheus.Counter
	readErr    prometheus.Counter
	readTime   prometheus.Counter
	readSkip   prometheus.Counter
}

// NewSource builds a source and, for a store that announces writes (Redis),
// subscribes to the announcements so L1 drops what other instances wrote.
func NewSource(cfg SourceConfig) (*Source, error) {
	if cfg.Builder == nil || cfg.Store == nil {
		return nil, errors.New("features: NewSource needs a Builder and a Store")
	}
	if cfg.Deadline <= 0 {
		cfg.Deadline = 50 * time.Millisecond
	}
	if cfg.CacheTTL == 0 {
		cfg.CacheTTL = 2 * time.Second
	}
	if cfg.CacheMaxCost <= 0 {
		cfg.CacheMaxCost = 2_000_000
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Breaker.Clock == nil {
		cfg.Breaker.Clock = cfg.Clock
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Source{b: cfg.Builder, cat: cfg.Builder.Catalog(), store: cfg.Store, history: cfg.History, deadline: cfg.Deadline, clock: cfg.Clock, log: cfg.Logger}
	s.es = slotsOf(s.cat)
	aggs, err := compileAggregates(s.cat)
	if err != nil {
		return nil, err
	}
	s.aggs = aggs
	if err := s.initMetrics(cfg.Registerer); err != nil {
		return nil, err
	}
	onChange := cfg.Breaker.OnChange
	cfg.Breaker.OnChange = func(from, to BreakerState) {
		s.m.breaker.Set(float64(to))
		if onChange != nil {
			onChange(from, to)
		}
	}
	s.breaker = NewBreaker(cfg.Breaker)
	if cfg.CacheTTL > 0 {
		c, err := newL1(cfg.CacheTTL, cfg.CacheMaxCost)
		if err != nil {
			return nil, fmt.Errorf("features: L1 cache: %w", err)
		}
		s.cache = c
		s.vstore, _ = cfg.Store.(versioned)
	}
	if sub, ok := cfg.Store.(subscriber); ok && s.cache != nil {
		ctx, cancel := context.WithCancel(context.Background())
		s.stop, s.done = cancel, make(chan struct{})
		go func() {
			defer close(s.done)
			sub.Subscribe(ctx, func(k EntityKey) { s.cache.invalidate(k.String()) }, s.cache.reset)
		}()
	}
	return s, nil
}

func (s *Source) initMetrics(reg prometheus.Registerer) error {
	m := &s.m
	m.l1 = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nirnay_features_l1_total", Help: "L1 feature cache lookups by result (hit, miss)."}, []string{"result"})
	m.reads = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nirnay_features_store_reads_total", Help: "Feature store reads by result (ok, error, timeout, refused by the open breaker)."}, []string{"result"})
	m.latency = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "nirnay_features_store_read_seconds", Help: "Latency of feature store reads (one round trip for every entity of a decision).",
		Buckets: []float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1}})
	m.breaker = prometheus.NewGauge(prometheus.GaugeOpts{Name: "nirnay_features_breaker_state", Help: "Feature store circuit breaker: 0 closed, 1 half-open, 2 open."})
	m.missing = prometheus.NewCounter(prometheus.CounterOpts{Name: "nirnay_features_missing_entities_total", Help: "Entity vectors a decision went without because the store could not be read."})
	m.fromMemory = prometheus.NewCounter(prometheus.CounterOpts{Name: "nirnay_features_from_memory_total", Help: "Entity vectors a decision took from memory (values within their max_age) because the store could not be read."})
	m.writes = prometheus.NewCounter(prometheus.CounterOpts{Name: "nirnay_features_writes_total", Help: "Entity vectors written through Nirnay."})
	m.l1Hit, m.l1Miss = m.l1.WithLabelValues("hit"), m.l1.WithLabelValues("miss")
	m.readOK, m.readErr = m.reads.WithLabelValues("ok"), m.reads.WithLabelValues("error")
	m.readTime, m.readSkip = m.reads.WithLabelValues("timeout"), m.reads.WithLabelValues("refused")
	if reg == nil {
		return nil
	}
	for _, c := range []prometheus.Collector{m.l1, m.reads, m.latency, m.breaker, m.missing, m.fromMemory, m.writes} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("features: register metrics: %w", err)
		}
	}
	return nil
}

// Close stops the subscription and the cache.
func (s *Source) Close() {
	if s.stop != nil {
		s.stop()
		<-s.done
	}
	if s.cache != nil {
		s.cache.close()
	}
}

// Breaker is the source's circuit breaker (for tests and status pages).
func (s *Source) Breaker() *Breaker { return s.breaker }

// Ready is a readiness check: it fails while the breaker is open or when
// the store does not answer a ping. Decisions are still answered then, with
// the store's features missing.
func (s *Source) Ready(ctx context.Context) error {
	if st := s.breaker.State(); st == BreakerOpen {
		return errors.New("feature store circuit breaker is open")
	}
	if p, ok := s.store.(pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

// keysOf lists the entity keys of a request that the catalog stores
// anything for, by position in decisionEntities, and their combination
// (the merged vector's cache key); the keys are substrings of it.
func (s *Source) keysOf(req Request) (mkey string, keys, ids [numEntities]string) {
	var b strings.Builder
	var ends [numEntities]int
	ids = s.es.idsOf(req)
	for i, e := range decisionEntities {
		id := ids[i]
		if id == "" {
			continue
		}
		if b.Len() == 0 {
			b.Grow(128)
		}
		b.WriteString(e)
		b.WriteByte(':')
		b.WriteString(id)
		ends[i] = b.Len()
		b.WriteByte(0)
	}
	mkey = b.String()
	start := 0
	for i := range keys {
		if ids[i] != "" {
			keys[i] = mkey[start:ends[i]]
			start = ends[i] + 1
		}
	}
	return mkey, keys, ids
}

// Vector returns the decision's vector (see Source). The only error is a
// request feature of the wrong type in req.Input.
func (s *Source) Vector(ctx context.Context, req Request) (*Vector, error) {
	now := req.Now
	if now.IsZero() {
		now = s.clock()
	}
	clockNow := s.clock().UnixNano()
	mkey, keys, ids := s.keysOf(req)
	cur := current{s: s, ctx: ctx, keys: keys, ids: ids}
	if s.cache != nil && mkey != "" {
		if m := s.cache.getMerged(mkey, &keys, clockNow); m != nil && cur.all(&m.vers) {
			s.m.l1Hit.Inc()
			return s.forRequest(m.vec, req, now)
		}
	}
	var parts [numEntities]*part
	var gens [numEntities]uint64
	var missKeys []EntityKey
	var missAt [numEntities]int
	complete := true
	expires := int64(1<<63 - 1)
	for i, k := range keys {
		if k == "" {
			continue
		}
		if s.cache != nil {
			gens[i] = s.cache.gen(k)
			if p := s.cache.getPart(k, clockNow); p != nil && cur.is(i, p.ver) {
				s.m.l1Hit.Inc()
				parts[i] = p
				expires = min(expires, p.expires)
				continue
			}
			s.m.l1Miss.Inc()
		}
		missAt[len(missKeys)] = i
		missKeys = append(missKeys, EntityKey{Entity: decisionEntities[i], ID: ids[i]})
	}
	fromMemory := false
	if len(missKeys) > 0 {
		got, vers := s.read(ctx, missKeys, now)
		if got == nil {
			// The store could not be read: fall back on the values last held
			// in memory, which still count only within their max_age.
			complete = false
			for j := range missKeys {
				i := missAt[j]
				if p := s.stalePart(keys[i]); p != nil {
					parts[i], fromMemory = p, true
					s.m.fromMemory.Inc()
				} else {
					s.m.missing.Inc()
				}
			}
		}
		for j, entries := range got {
			i := missAt[j]
			p := &part{entries: entries}
			if vers != nil {
				p.ver = vers[j]
			}
			parts[i] = p
			if s.cache != nil {
				s.cache.putPart(keys[i], p, gens[i], clockNow)
				expires = min(expires, p.expires)
			}
		}
	}
	v := s.merge(parts, now)
	v.fromMemory = fromMemory
	if complete && s.cache != nil && mkey != "" {
		m := &merged{gens: gens, vec: v, expires: expires}
		for i, p := range parts {
			if p != nil {
				m.vers[i] = p.ver
			}
		}
		s.cache.putMerged(mkey, m, s.cat.Len())
	}
	return s.forRequest(v, req, now)
}

// current is the versions of a decision's entity keys in a versioned
// store, read at most once, when L1 first has a value to check. Without a
// versioned store, or when the versions cannot be read, every L1 value
// counts as current (within its TTL, as the announcements keep it).
type current struct {
	s       *Source
	ctx     context.Context
	keys    [numEntities]string // copies: pointers to Vector's would move them to the heap
	ids     [numEntities]string
	fetched bool
	ok      bool
	vers    [numEntities]string
}

func (c *current) load() bool {
	if c.fetched {
		return c.ok
	}
	c.fetched = true
	var ks []EntityKey
	var at []int
	for i, k := range c.keys {
		if k != "" {
			ks = append(ks, EntityKey{Entity: decisionEntities[i], ID: c.ids[i]})
			at = append(at, i)
		}
	}
	var vers []string
	vs := c.s.vstore // the closure captures no part of c, which stays on the stack
	c.ok = c.s.guarded(c.ctx, len(ks), func(ctx context.Context) (err error) {
		vers, err = vs.versions(ctx, ks)
		if err == nil && len(vers) != len(ks) {
			err = fmt.Errorf("the store returned %d versions for %d keys", len(vers), len(ks))
		}
		return err
	})
	if c.ok {
		for j, i := range at {
			c.vers[i] = vers[j]
		}
	}
	return c.ok
}

// is reports whether ver is the current version of key i.
func (c *current) is(i int, ver string) bool {
	return c.s.vstore == nil || !c.load() || c.vers[i] == ver
}

// all reports whether vers are the current versions of every key.
func (c *current) all(vers *[numEntities]string) bool {
	return c.s.vstore == nil || !c.load() || c.vers == *vers
}

// stalePart is the part of key last held in L1, expired or not; nil
// without L1 or when it holds none.
func (s *Source) stalePart(key string) *part {
	if s.cache == nil {
		return nil
	}
	return s.cache.getStalePart(key)
}

// forRequest overlays what is particular to one request on a stored
// vector: the per_step features as the request's step reads them (see
// Vector.ForStep) and the request features of its input (Vector.WithInput).
// When there is nothing to overlay, v itself is returned.
func (s *Source) forRequest(v *Vector, req Request, now time.Time) (*Vector, error) {
	return v.ForStep(req.Step, now).WithInput(req.Input, now)
}

// read reads keys from the store within the deadline, through the
// breaker, with their versions when the store is versioned. It returns
// nil when the values could not be read.
func (s *Source) read(ctx context.Context, keys []EntityKey, now time.Time) ([][]Entry, []string) {
	var entries [][]Entry
	var vers []string
	ok := s.guarded(ctx, len(keys), func(ctx context.Context) (err error) {
		if s.vstore != nil {
			entries, vers, err = s.vstore.readVersioned(ctx, keys, now)
		} else {
			entries, err = s.store.Read(ctx, keys, now)
		}
		if err == nil && len(entries) != len(keys) {
			err = fmt.Errorf("the store returned %d entities for %d keys", len(entries), len(keys))
		}
		return err
	})
	if !ok {
		return nil, nil
	}
	return entries, vers
}

// guarded runs one read of n entities' keys from the store within the
// deadline, through the breaker, and reports whether it succeeded. What fn
// sets may be read only when it did.
func (s *Source) guarded(ctx context.Context, n int, fn func(ctx context.Context) error) bool {
	if !s.breaker.Allow() {
		s.m.readSkip.Inc()
		return false
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, s.deadline)
	defer cancel()
	ch := make(chan error, 1)
	start := time.Now()
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ch <- fmt.Errorf("feature store read panicked: %v", r)
			}
		}()
		ch <- fn(ctx)
	}()
	select {
	case err := <-ch:
		s.m.latency.Observe(time.Since(start).Seconds())
		if err != nil && errors.Is(parent.Err(), context.Canceled) {
			s.breaker.Cancel() // the caller gave up: no verdict on the store
			s.m.readErr.Inc()
			return false
		}
		if err != nil {
			s.breaker.Done(false)
			s.m.readErr.Inc()
			s.log.Warn("feature store read failed; features missing", "entities", n, "err", err)
			return false
		}
		s.breaker.Done(true)
		s.m.readOK.Inc()
		return true
	case <-ctx.Done():
		s.m.latency.Observe(time.Since(start).Seconds())
		if errors.Is(parent.Err(), context.Canceled) {
			// The caller gave up: no verdict on the store.
			s.breaker.Cancel()
			s.m.readErr.Inc()
			return false
		}
		s.breaker.Done(false)
		s.m.readTime.Inc()
		s.log.Warn("feature store read timed out; features missing", "entities", n, "deadline", s.deadline)
		return false
	}
}

// merge builds a vector from the parts and computes derived features.
func (s *Source) merge(parts [numEntities]*part, now time.Time) *Vector {
	n := s.cat.Len()
	v := &Vector{b: s.b, vals: make([]ref.Val, n), asOf: make([]int64, n)}
	for _, p := range parts {
		if p == nil {
			continue
		}
		for _, e := range p.entries {
			v.vals[e.Slot] = e.Val
			v.asOf[e.Slot] = e.AsOf
		}
	}
	s.b.computeDerived(v, now.UnixNano(), false)
	return v
}

// Write validates ws against the catalog and stores them through the
// store; L1 drops the written keys here, and the store announces them to
// the other instances (Redis). At most MaxBatchWrites writes; errors are
// *nirnay.Error naming the feature (KindInvalid) or the entity
// (KindNotFound) for bad input, KindUnavailable when the store fails.
func (s *Source) Write(ctx context.Context, ws ...Write) error {
	if len(ws) > MaxBatchWrites {
		return nirnay.FieldError("items", "at most %d items per batch", MaxBatchWrites)
	}
	now := s.clock()
	for i := range ws {
		if ws[i].AsOf.IsZero() {
			ws[i].AsOf = now // both stores record the same time
		}
	}
	for _, st := range []Store{s.history, s.store} {
		if st == nil {
			continue
		}
		if err := st.Write(ctx, ws, now); err != nil {
			var ne *nirnay.Error
			if errors.As(err, &ne) {
				return err
			}
			return &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "the feature store is unavailable", Err: err}
		}
	}
	s.m.writes.Add(float64(len(ws)))
	if s.cache != nil {
		for _, w := range ws {
			s.cache.invalidate(w.Key.String())
		}
	}
	return nil
}

// Apply updates the windowed aggregates from events through the store
// (RedisStore or LocalStore; see their Apply for idempotence by event id
// and durability) so that the next decision sees them: this instance's L1
// drops the entity keys the events touch before Apply returns (whatever
// the result), and on Redis the same script call that applies the events
// announces those keys on the channel Write uses, so every other
// instance's L1 drops them when the announcement arrives. It honours ctx's
// deadline. Errors: EventErrors for malformed events (the others are
// applied); KindUnavailable when the store fails, when its circuit breaker
// is open (nothing is tried then) or when the store keeps no aggregates —
// the events may have been applied in part, and applying them again is
// safe for events with ids.
func (s *Source) Apply(ctx context.Context, events ...Event) error {
	st, ok := s.store.(aggregator)
	if !ok {
		return &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "the feature store keeps no aggregates"}
	}
	if s.breaker.refusing() {
		return &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "the feature store is unavailable", Err: errors.New("circuit breaker open")}
	}
	var err error
	if a, ok := s.store.(announcer); ok {
		err = a.applyAnnounced(ctx, events)
	} else {
		err = st.Apply(ctx, events...)
	}
	if s.cache != nil {
		var keys []EntityKey
		for _, ev := range events {
			keys = s.aggs.entityKeys(ev, keys)
		}
		for _, k := range keys {
			s.cache.invalidate(k.String())
		}
	}
	var bad EventErrors
	if err != nil && !errors.As(err, &bad) {
		return &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "the feature store is unavailable", Err: err}
	}
	return err
}

// Observed returns one entity's stored and aggregate values, read from the
// store (not L1), with their as-of times, by feature name. Errors:
// CheckKey's, KindUnavailable when the store fails.
func (s *Source) Observed(ctx context.Context, key EntityKey) (map[string]Observed, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	got, err := s.store.Read(ctx, []EntityKey{key}, s.clock())
	if err != nil {
		return nil, &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "the feature store is unavailable", Err: err}
	}
	return observedOf(s.cat, got[0]), nil
}

func observedOf(cat *rules.Catalog, entries []Entry) map[string]Observed {
	out := make(map[string]Observed, len(entries))
	for _, e := range entries {
		out[cat.Features[e.Slot].Name] = Observed{Value: e.Val.Value(), AsOf: time.Unix(0, e.AsOf).UTC()}
	}
	return out
}

// Check validates w against the catalog as Write would, without writing:
// nil, or a *nirnay.Error naming the feature (KindInvalid) or the entity
// (KindNotFound).
func (s *Source) Check(w Write) error {
	_, err := validateWrite(s.cat, w, s.clock())
	return err
}

// Now is the source's clock.
func (s *Source) Now() time.Time { return s.clock() }
