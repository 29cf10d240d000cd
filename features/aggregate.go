package features

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"time"

	"github.com/nirnay/nirnay/rules"
)

// Event is one event that aggregates are updated from (DESIGN §10): a
// loan application, an OTP request, a parsed SMS … Consumers build it from
// what they ingest and call a store's Apply.
type Event struct {
	// ID identifies the event. Stores apply an event with a given ID at most
	// once within the longest window of the aggregates it touches (after
	// that the event lies outside every window anyway). Empty: no dedupe.
	ID   string
	Type string    // matches aggregate.event in the catalog
	At   time.Time // when it happened; its bucket is chosen by this time
	// Entities names the entities the event concerns, entity → id, e.g.
	// {"customer": "C-1", "device": "d-9", "pan": "<pan hash>"}.
	Entities map[string]string
	// Fields holds the values aggregates read through aggregate.field: numbers
	// (int, int64, float64, json.Number) for sum, min and max; any string or
	// number for distinct (the member counted).
	Fields map[string]any
}

// Aggregate functions.
const (
	FnCount    = "count"
	FnSum      = "sum"
	FnMin      = "min"
	FnMax      = "max"
	FnDistinct = "distinct"
)

// Window bounds of an aggregate.
const (
	MinWindow = time.Hour
	MaxWindow = 90 * 24 * time.Hour
)

// Resolution is the bucket width of a sliding window:
//
//	window ≤ 1 h   → 1 minute   (≤ 60 buckets)
//	window ≤ 24 h  → 15 minutes (≤ 96 buckets)
//	window ≤ 7 d   → 1 hour     (≤ 168 buckets)
//	window ≤ 90 d  → 6 hours    (≤ 360 buckets)
//
// A window ending at now covers every bucket that ends after now − window
// and starts at or before now: it may include up to one resolution of
// events older than the window, never fewer events than the window holds.
func Resolution(window time.Duration) time.Duration {
	switch {
	case window <= time.Hour:
		return time.Minute
	case window <= 24*time.Hour:
		return 15 * time.Minute
	case window <= 7*24*time.Hour:
		return time.Hour
	}
	return 6 * time.Hour
}

// aggSpec is one compiled aggregate feature.
type aggSpec struct {
	f      *rules.Feature
	fn     string
	window int64 // seconds
	res    int64 // seconds
	entity string
	field  string
}

// aggregates indexes a catalog's aggregate features by event type and slot.
type aggregates struct {
	byEvent map[string][]*aggSpec
	bySlot  map[int]*aggSpec
}

// compileAggregates checks every aggregate feature of cat: a known
// function, a window of 1 h to 90 d, a field where the function needs one,
// and a numeric type (int or double).
func compileAggregates(cat *rules.Catalog) (*aggregates, error) {
	a := &aggregates{byEvent: map[string][]*aggSpec{}, bySlot: map[int]*aggSpec{}}
	for i := range cat.Features {
		f := &cat.Features[i]
		if f.Source != rules.SourceAggregate || f.Aggregate == nil {
			continue
		}
		g := f.Aggregate
		where := fmt.Sprintf("%s:%d: features[%s].aggregate", cat.File, f.Line, f.Name)
		switch g.Fn {
		case FnCount:
		case FnSum, FnMin, FnMax, FnDistinct:
			if g.Field == "" {
				return nil, fmt.Errorf("%s: fn %s needs field", where, g.Fn)
			}
		default:
			return nil, fmt.Errorf("%s: unknown fn %q (count, sum, min, max, distinct)", where, g.Fn)
		}
		if g.Window < MinWindow || g.Window > MaxWindow {
			return nil, fmt.Errorf("%s: window %s must be between 1h and 2160h", where, g.Window)
		}
		if f.Type != rules.TypeInt && f.Type != rules.TypeDouble {
			return nil, fmt.Errorf("%s: an aggregate must have type int or double, not %s", where, f.Type)
		}
		if g.Entity != f.Entity {
			return nil, fmt.Errorf("%s: entity %s differs from the feature's entity %s", where, g.Entity, f.Entity)
		}
		s := &aggSpec{f: f, fn: g.Fn, window: int64(g.Window / time.Second), res: int64(Resolution(g.Window) / time.Second), entity: g.Entity, field: g.Field}
		a.byEvent[g.Event] = append(a.byEvent[g.Event], s)
		a.bySlot[f.Slot] = s
	}
	return a, nil
}

// aggUpdate is one change an event makes to one series.
type aggUpdate struct {
	spec   *aggSpec
	id     string
	bucket int64   // unix seconds / resolution
	num    float64 // count: 1; sum, min, max: the field; distinct: last-seen unix seconds
	member string  // distinct only
}

// field names the hash field (Redis) or row (SQL) an update touches.
func (u aggUpdate) field() string {
	if u.spec.fn == FnDistinct {
		return "m" + u.member
	}
	return "b" + strconv.FormatInt(u.bucket, 10)
}

// expiresAt is when the touched field no longer counts in any window, in
// unix seconds.
func (u aggUpdate) expiresAt() int64 {
	if u.spec.fn == FnDistinct {
		return int64(u.num) + u.spec.window + u.spec.res
	}
	return (u.bucket+1)*u.spec.res + u.spec.window
}

// updates lists the changes ev makes. An event that lacks a field an
// aggregate needs, or carries one of the wrong kind, is an error naming it
// (nothing of the event is applied then); an event that names none of an
// aggregate's entity is simply not counted there.
func (a *aggregates) updates(ev Event, dst []aggUpdate) ([]aggUpdate, error) {
	sec := ev.At.Unix()
	for _, s := range a.byEvent[ev.Type] {
		id := ev.Entities[s.entity]
		if id == "" || len(id) > MaxIDLength {
			continue
		}
		u := aggUpdate{spec: s, id: id, bucket: floorDiv(sec, s.res), num: 1}
		switch s.fn {
		case FnSum, FnMin, FnMax:
			n, ok := number(ev.Fields[s.field])
			if !ok {
				return dst, fmt.Errorf("event %s (%s): field %q must be a number for %s", ev.ID, ev.Type, s.field, s.f.Name)
			}
			u.num = n
		case FnDistinct:
			m, ok := member(ev.Fields[s.field])
			if !ok {
				return dst, fmt.Errorf("event %s (%s): field %q must be a string or number for %s", ev.ID, ev.Type, s.field, s.f.Name)
			}
			u.member, u.num = m, float64(sec)
		}
		dst = append(dst, u)
	}
	return dst, nil
}

// entityKeys appends to dst the entity keys whose aggregates ev updates
// (each once): those of its entities that an aggregate of its type counts.
func (a *aggregates) entityKeys(ev Event, dst []EntityKey) []EntityKey {
	for _, s := range a.byEvent[ev.Type] {
		id := ev.Entities[s.entity]
		if id == "" || len(id) > MaxIDLength {
			continue
		}
		k := EntityKey{Entity: s.entity, ID: id}
		if !slices.Contains(dst, k) {
			dst = append(dst, k)
		}
	}
	return dst
}

// DecisionEventID is the id of the aggregate event of type eventType that
// the decision decisionID causes: "<decision id>/<event type>". The
// decision service applies the event under this id in the request, and an
// asynchronous consumer that sees the same occurrence later (the lending
// core's application_created) uses it too, so it counts once.
func DecisionEventID(decisionID, eventType string) string {
	return decisionID + "/" + eventType
}

// dedupeTTL is how long an event id must be remembered: the longest window
// (plus a resolution) among the aggregates it touches, in seconds.
func dedupeTTL(us []aggUpdate) int64 {
	var ttl int64
	for _, u := range us {
		ttl = max(ttl, u.spec.window+u.spec.res)
	}
	return ttl
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func number(v any) (float64, bool) {
	switch x := v.(type) {
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case float64:
		return x, !math.IsNaN(x) && !math.IsInf(x, 0)
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func member(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, x != "" && len(x) <= MaxIDLength
	case json.Number:
		return x.String(), true
	case int, int64, float64:
		n, _ := number(x)
		return strconv.FormatFloat(n, 'g', -1, 64), true
	}
	return "", false
}

// combine merges a new observation into a bucket's current value.
func combine(fn string, cur float64, have bool, n float64) float64 {
	if !have {
		return n
	}
	switch fn {
	case FnCount, FnSum:
		return cur + n
	case FnMin:
		return math.Min(cur, n)
	default: // max, distinct (last seen)
		return math.Max(cur, n)
	}
}

// folder computes a window's value from a series' fields as of now.
type folder struct {
	spec *aggSpec
	now  int64 // unix seconds
	acc  float64
	have bool
}

func newFolder(s *aggSpec, now time.Time) folder {
	return folder{spec: s, now: now.Unix()}
}

// add takes one stored field (as named by aggUpdate.field) and its value.
func (fo *folder) add(field string, v float64) {
	s := fo.spec
	if len(field) < 2 {
		return
	}
	if s.fn == FnDistinct {
		if field[0] != 'm' {
			return
		}
		// Members last seen within the window count; for an as-of read in
		// the past, members last seen after it are not counted.
		if last := int64(v); last <= fo.now && last > fo.now-s.window {
			fo.acc++
			fo.have = true
		}
		return
	}
	if field[0] != 'b' {
		return
	}
	b, err := strconv.ParseInt(field[1:], 10, 64)
	if err != nil {
		return
	}
	start := b * s.res
	if start > fo.now || start+s.res <= fo.now-s.window {
		return
	}
	fo.acc = combine(s.fn, fo.acc, fo.have, v)
	fo.have = true
}

// entry is the window's value as an Entry as of now: counts, sums and
// distinct counts of an empty window are 0; min and max of an empty window
// are missing.
func (fo *folder) entry(nowNanos int64) (Entry, bool) {
	if !fo.have {
		switch fo.spec.fn {
		case FnMin, FnMax:
			return Entry{}, false
		}
	}
	var v any = fo.acc
	if fo.spec.f.Type == rules.TypeInt {
		v = int64(math.Round(fo.acc))
	}
	return Entry{Slot: fo.spec.f.Slot, Val: toVal(v), AsOf: nowNanos}, true
}
