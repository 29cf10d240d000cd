package features

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/nirnay/nirnay/internal/backoff"
	"github.com/nirnay/nirnay/rules"
)

// RedisStore keeps feature values in Redis, the production online store.
//
// Layout (prefix is the configured key prefix, e.g. "nirnay:"):
//
//	<prefix>f:<entity>:<id>        hash: feature name → compact typed value
//	                               (see encodeValue; it carries the as-of time)
//	<prefix>a:<feature>:<id>       hash: aggregate bucket "b<index>" or
//	                               distinct member "m<member>" → number;
//	                               expires when no event touched it for a window
//	<prefix>ae:<ttl>:<hour>        set of applied event ids of that hour (by
//	                               event time), kept while they can still count
//	<prefix>f:invalidate           pub/sub channel: entity keys written
//	                               (Write) or whose aggregates changed
//	                               (Source.Apply)
//	<prefix>f:ver                  counter: the last version handed out
//
// Every announced change of an entity (Write, Source.Apply) also sets the
// field "~v" of its hash to a new value of that counter, in the same
// script call, so an instance can check in one round trip that the values
// it holds in L1 are still current (versions) instead of relying on the
// announcement having arrived. Versions never repeat, even after a hash is
// deleted.
//
// Reads of any number of entities, with their aggregates, take one
// pipelined round trip. Writes through Write are validated against the
// catalog; a value never replaces a newer one. It is safe for concurrent use.
type RedisStore struct {
	rdb    redis.UniversalClient
	prefix string
	cat    *rules.Catalog
	es     entitySlots
	names  map[string][]string // entity → online feature names, slot order
	hmget  map[string][]any    // entity → "hmget", "", names… (boxed once; copied per read)
	aggs   *aggregates
	clock  func() time.Time
}

// NewRedisStore returns a store on rdb whose keys all start with prefix.
// It fails when the catalog's aggregates are invalid. clock defaults to
// time.Now (it dates aggregate pruning and event dedupe).
func NewRedisStore(rdb redis.UniversalClient, prefix string, cat *rules.Catalog, clock func() time.Time) (*RedisStore, error) {
	aggs, err := compileAggregates(cat)
	if err != nil {
		return nil, err
	}
	if clock == nil {
		clock = time.Now
	}
	s := &RedisStore{rdb: rdb, prefix: prefix, cat: cat, es: slotsOf(cat), names: map[string][]string{}, hmget: map[string][]any{}, aggs: aggs, clock: clock}
	for _, e := range decisionEntities {
		args := []any{"hmget", ""}
		for _, f := range s.es.online[e] {
			s.names[e] = append(s.names[e], f.Name)
			args = append(args, f.Name)
		}
		s.hmget[e] = append(args, versionField)
	}
	return s, nil
}

// versionField is the field of an entity's hash holding its version.
const versionField = "~v"

func (s *RedisStore) clockKey() string { return s.prefix + "f:ver" }

func (s *RedisStore) hashKey(k EntityKey) string {
	return s.prefix + "f:" + k.Entity + ":" + k.ID
}

func (s *RedisStore) aggKey(f *rules.Feature, id string) string {
	return s.prefix + "a:" + f.Name + ":" + id
}

// Channel is the pub/sub channel that announces written entity keys.
func (s *RedisStore) Channel() string { return s.prefix + "f:invalidate" }

// Ping checks that Redis answers (for readiness).
func (s *RedisStore) Ping(ctx context.Context) error { return s.rdb.Ping(ctx).Err() }

// Read returns the stored and aggregate values of each key, in order, as
// of now, in one pipelined round trip. The first Redis error fails the
// whole read.
func (s *RedisStore) Read(ctx context.Context, keys []EntityKey, now time.Time) ([][]Entry, error) {
	out, _, err := s.readVersioned(ctx, keys, now)
	return out, err
}

// readVersioned is Read that also returns each key's version as it was
// before its values were read ("" for an entity never changed through an
// announced write), in the same round trip.
func (s *RedisStore) readVersioned(ctx context.Context, keys []EntityKey, now time.Time) ([][]Entry, []string, error) {
	pipe := s.rdb.Pipeline()
	online := make([]*redis.Cmd, len(keys))
	aggs := make([][]*redis.MapStringStringCmd, len(keys))
	for i, k := range keys {
		// HMGET reads the version with the values, atomically.
		tmpl := s.hmget[k.Entity]
		if tmpl == nil {
			tmpl = []any{"hmget", "", versionField}
		}
		args := make([]any, len(tmpl))
		copy(args, tmpl)
		args[1] = s.hashKey(k)
		online[i] = pipe.Do(ctx, args...)
		for _, f := range s.es.aggregate[k.Entity] {
			aggs[i] = append(aggs[i], pipe.HGetAll(ctx, s.aggKey(f, k.ID)))
		}
	}
	if pipe.Len() == 0 {
		return make([][]Entry, len(keys)), make([]string, len(keys)), nil
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, fmt.Errorf("read features from redis: %w", err)
	}
	out := make([][]Entry, len(keys))
	vers := make([]string, len(keys))
	nowNanos := now.UnixNano()
	for i, k := range keys {
		entries := make([]Entry, 0, len(s.es.online[k.Entity])+len(s.es.aggregate[k.Entity]))
		if cmd := online[i]; cmd != nil {
			fs := s.es.online[k.Entity]
			vals, _ := cmd.Slice()
			for j, v := range vals {
				str, ok := v.(string)
				if !ok {
					continue
				}
				if j >= len(fs) {
					vers[i] = str
					break
				}
				if e, ok := decodeEntry(fs[j], str); ok {
					entries = append(entries, e)
				}
			}
		}
		for j, f := range s.es.aggregate[k.Entity] {
			fo := newFolder(s.aggs.bySlot[f.Slot], now)
			for field, v := range aggs[i][j].Val() {
				if n, err := strconv.ParseFloat(v, 64); err == nil {
					fo.add(field, n)
				}
			}
			if e, ok := fo.entry(nowNanos); ok {
				entries = append(entries, e)
			}
		}
		out[i] = entries
	}
	return out, vers, nil
}

// versions returns each key's current version (see readVersioned), in one
// pipelined round trip.
func (s *RedisStore) versions(ctx context.Context, keys []EntityKey) ([]string, error) {
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HGet(ctx, s.hashKey(k), versionField)
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("read feature versions from redis: %w", err)
	}
	out := make([]string, len(keys))
	for i, c := range cmds {
		out[i] = c.Val()
	}
	return out, nil
}

// writeScript stores values unless a newer one is stored, gives each hash
// it changed a new version, and announces the keys. KEYS: the hashes, then
// the version counter. ARGV[1] channel, ARGV[2] payload, then per key: the
// number of fields n, and n times field, value, as-of (unix µs). Each key
// costs one HMGET and at most one HSET.
var writeScript = redis.NewScript(`
local a = 3
local v
for i = 1, #KEYS - 1 do
  local n = tonumber(ARGV[a])
  local fields = {}
  for j = 1, n do fields[j] = ARGV[a + 3*j - 2] end
  local cur = redis.call('HMGET', KEYS[i], unpack(fields))
  local set = {}
  for j = 1, n do
    local c = cur[j]
    local curAsOf = c and tonumber(string.match(c, '^.(%-?%d+):'))
    if (not curAsOf) or curAsOf <= tonumber(ARGV[a + 3*j]) then
      set[#set+1] = fields[j]
      set[#set+1] = ARGV[a + 3*j - 1]
    end
  end
  if #set > 0 then
    v = v or redis.call('INCR', KEYS[#KEYS])
    set[#set+1] = '~v'
    set[#set+1] = v
    redis.call('HSET', KEYS[i], unpack(set))
  end
  a = a + 1 + 3*n
end
redis.call('PUBLISH', ARGV[1], ARGV[2])
return 1
`)

// Write validates every write against the catalog, then stores them and
// announces the written keys on Channel, atomically in one script call. A
// value older (by as-of time) than the one stored does not replace it.
// Validation errors are *nirnay.Error naming the feature; nothing is
// written then.
func (s *RedisStore) Write(ctx context.Context, ws []Write, now time.Time) error {
	var keys, announce []string
	args := []any{s.Channel(), ""}
	for _, w := range ws {
		encs, err := validateWrite(s.cat, w, now)
		if err != nil {
			return err
		}
		if len(encs) == 0 {
			continue
		}
		keys = append(keys, s.hashKey(w.Key))
		announce = append(announce, w.Key.String())
		args = append(args, len(encs))
		for _, e := range encs {
			args = append(args, e.f.Name, e.enc, e.asOf/1000)
		}
	}
	if len(keys) == 0 {
		return nil
	}
	args[1] = strings.Join(announce, "\n")
	if err := writeScript.Run(ctx, s.rdb, append(keys, s.clockKey()), args...).Err(); err != nil {
		return fmt.Errorf("write features to redis: %w", err)
	}
	return nil
}

// Subscribe calls onKey for every entity key another writer announces, and
// onReset whenever the subscription is (re)established — announcements may
// have been missed, so a cache must drop everything. It returns when ctx
// ends, retrying while Redis is unreachable with a backoff from 50 ms
// doubling to 2 s (jittered), reset by every message received.
func (s *RedisStore) Subscribe(ctx context.Context, onKey func(EntityKey), onReset func()) {
	ps := s.rdb.Subscribe(ctx, s.Channel())
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		// Receive does not watch ctx while blocked reading: closing does.
		select {
		case <-ctx.Done():
		case <-stopped:
		}
		ps.Close()
	}()
	bo := backoff.New(50*time.Millisecond, 2*time.Second)
	for {
		msg, err := ps.Receive(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			// Announcements may be missed until the subscription is back;
			// the Subscription message that follows resets the cache.
			if !bo.Wait(ctx) {
				return
			}
			continue
		}
		bo.Reset()
		switch m := msg.(type) {
		case *redis.Subscription:
			onReset()
		case *redis.Message:
			for line := range strings.SplitSeq(m.Payload, "\n") {
				entity, id, ok := strings.Cut(line, ":")
				if ok {
					onKey(EntityKey{Entity: entity, ID: id})
				}
			}
		}
	}
}

// applyScript applies a chunk of events, each atomically, and, when
// ARGV[1] names a channel and any event changed anything, gives the
// chunk's entity hashes a new version and publishes ARGV[2] (the chunk's
// entity keys) there; the version counter and those hashes are then the
// last KEYS, after the events'. ARGV[3] is the
// number m of aggregate specs the chunk uses, then per spec: fn, ttl,
// prune-at length, lowest bucket kept, lowest last-seen kept; then per
// event: its id ("" for none; then its dedupe set comes first among the
// event's KEYS), the set's ttl (s), the number of updates n, and
// per update: spec index, field, value. KEYS are consumed in the same
// order. Each hash's expiry and pruning are handled once per call.
var applyScript = redis.NewScript(`
local m = tonumber(ARGV[3])
local specs = {}
local a = 4
for i = 1, m do
  specs[i] = {ARGV[a], ARGV[a+1], tonumber(ARGV[a+2]), tonumber(ARGV[a+3]), tonumber(ARGV[a+4])}
  a = a + 5
end
local touched, seenSets = {}, {}
local k = 1
while a <= #ARGV do
  local id, setTTL, n = ARGV[a], ARGV[a+1], tonumber(ARGV[a+2])
  a = a + 3
  local skip = false
  if id ~= '' then
    local set = KEYS[k]
    if redis.call('SADD', set, id) == 0 then skip = true end
    if not seenSets[set] then
      redis.call('EXPIRE', set, setTTL)
      seenSets[set] = true
    end
    k = k + 1
  end
  for _ = 1, n do
    local key, sp, field, v = KEYS[k], specs[tonumber(ARGV[a])], ARGV[a+1], ARGV[a+2]
    k, a = k + 1, a + 3
    if not skip then
      local fn = sp[1]
      if fn == 'count' or fn == 'sum' then
        redis.call('HINCRBYFLOAT', key, field, v)
      else
        local cur = redis.call('HGET', key, field)
        local x = tonumber(v)
        if (not cur) or (fn == 'min' and x < tonumber(cur)) or (fn ~= 'min' and x > tonumber(cur)) then
          redis.call('HSET', key, field, v)
        end
      end
      touched[key] = sp
    end
  end
end
for key, sp in pairs(touched) do
  redis.call('EXPIRE', key, sp[2])
  if redis.call('HLEN', key) > sp[3] then
    local all = redis.call('HGETALL', key)
    for j = 1, #all, 2 do
      local f = all[j]
      if string.sub(f, 1, 1) == 'm' then
        if tonumber(all[j+1]) < sp[5] then redis.call('HDEL', key, f) end
      else
        local b = tonumber(string.sub(f, 2))
        if b and b < sp[4] then redis.call('HDEL', key, f) end
      end
    end
  end
end
if ARGV[1] ~= '' and next(touched) ~= nil then
  local v = redis.call('INCR', KEYS[k])
  for j = k + 1, #KEYS do redis.call('HSET', KEYS[j], '~v', v) end
  redis.call('PUBLISH', ARGV[1], ARGV[2])
end
return 1
`)

// idempotent reports whether applying us twice leaves what applying them
// once does: min, max and distinct (a member's latest time) are; count and
// sum are not, so only events updating those need their id remembered.
func idempotent(us []aggUpdate) bool {
	for _, u := range us {
		if u.spec.fn == "count" || u.spec.fn == "sum" {
			return false
		}
	}
	return true
}

// eventsPerScript bounds the events one script call applies (Redis runs a
// script without interleaving other clients' commands).
const eventsPerScript = 64

// Apply updates the aggregates from events: scripts of up to 64 events,
// each event applied atomically, all pipelined in one round trip. An event
// whose id was applied before (while it could still count in a window) is
// skipped; one that only updates min, max or distinct aggregates changes
// nothing when applied again, so its id is not recorded. Malformed events are reported in an EventErrors and the others
// applied; any other error means the batch may be retried (safe for events
// with ids). The keys of one script may span hash slots, so under Redis
// Cluster use one shard per prefix (see docs/features.md). Apply does not
// announce the touched entities (an event consumer's bulk updates rely on
// the L1 TTL); Source.Apply does.
func (s *RedisStore) Apply(ctx context.Context, events ...Event) error {
	return s.apply(ctx, false, events)
}

// applyAnnounced is Apply that also announces, on Channel and in the same
// script call that applies them, the entity keys each script's events
// touch, when any of them changed anything (so other instances' L1 drop
// them as for Write).
func (s *RedisStore) applyAnnounced(ctx context.Context, events []Event) error {
	return s.apply(ctx, true, events)
}

func (s *RedisStore) apply(ctx context.Context, announce bool, events []Event) error {
	now := s.clock().Unix()
	bad := EventErrors{}
	type call struct {
		keys []string
		args []any
	}
	var calls []call
	var body []any
	var ckeys []string
	specIdx := map[*aggSpec]int{}
	var specArgs []any
	var touched []EntityKey // the current script's, when announcing
	inCur := 0
	flush := func() {
		channel, payload := "", ""
		if announce && len(touched) > 0 {
			lines := make([]string, len(touched))
			ckeys = append(ckeys, s.clockKey())
			for i, k := range touched {
				lines[i] = k.String()
				ckeys = append(ckeys, s.hashKey(k))
			}
			channel, payload = s.Channel(), strings.Join(lines, "\n")
		}
		args := make([]any, 0, 3+len(specArgs)+len(body))
		args = append(args, channel, payload, len(specIdx))
		args = append(args, specArgs...)
		args = append(args, body...)
		calls = append(calls, call{keys: ckeys, args: args})
		ckeys, body, specArgs, touched, inCur = nil, nil, nil, touched[:0], 0
		clear(specIdx)
	}
	var us []aggUpdate
	var err error
	for i, ev := range events {
		us, err = s.aggs.updates(ev, us[:0])
		if err != nil {
			bad[i] = err
			continue
		}
		if len(us) == 0 {
			continue
		}
		if announce {
			touched = s.aggs.entityKeys(ev, touched)
		}
		if ev.ID != "" && !idempotent(us) {
			// Applied ids go to a set per hour of the event's time and
			// dedupe ttl; it expires when every window the event touched
			// has passed that hour, so a replay (same id, same time) finds
			// its id as long as it could still count.
			ttl, hour := dedupeTTL(us), floorDiv(ev.At.Unix(), 3600)
			ckeys = append(ckeys, s.prefix+"ae:"+strconv.FormatInt(ttl, 10)+":"+strconv.FormatInt(hour, 10))
			// The store's clock, not Redis's, dates the expiry.
			body = append(body, ev.ID, max(1, (hour+1)*3600+ttl-now), len(us))
		} else {
			// Without an id, or when applying twice changes nothing.
			body = append(body, "", 0, len(us))
		}
		for _, u := range us {
			sp := u.spec
			idx, ok := specIdx[sp]
			if !ok {
				idx = len(specIdx) + 1
				specIdx[sp] = idx
				specArgs = append(specArgs, sp.fn, sp.window+2*sp.res, pruneAt(sp), floorDiv(now-sp.window, sp.res)-1, now-sp.window-sp.res)
			}
			ckeys = append(ckeys, s.aggKey(sp.f, u.id))
			body = append(body, idx, u.field(), strconv.FormatFloat(u.num, 'g', -1, 64))
		}
		if inCur++; inCur == eventsPerScript {
			flush()
		}
	}
	if inCur > 0 {
		flush()
	}
	for attempt := 0; len(calls) > 0; attempt++ {
		pipe := s.rdb.Pipeline()
		cmds := make([]*redis.Cmd, len(calls))
		for i, c := range calls {
			cmds[i] = applyScript.EvalSha(ctx, pipe, c.keys, c.args...)
		}
		_, _ = pipe.Exec(ctx)
		var retry []call
		var first error
		for i, cmd := range cmds {
			if err := cmd.Err(); err != nil {
				if redis.HasErrorPrefix(err, "NOSCRIPT") && attempt == 0 {
					retry = append(retry, calls[i])
					continue
				}
				if first == nil {
					first = err
				}
			}
		}
		if first != nil {
			return fmt.Errorf("apply events to redis: %w", first)
		}
		if len(retry) > 0 {
			if err := applyScript.Load(ctx, s.rdb).Err(); err != nil {
				return fmt.Errorf("load aggregate script: %w", err)
			}
		}
		calls = retry
	}
	if len(bad) > 0 {
		return bad
	}
	return nil
}
