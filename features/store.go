package features

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/pii"
	"github.com/nirnay/nirnay/rules"
)

// EntityKey names one entity's vector: an entity of the catalog (customer,
// device, pan, phone, bank_account) and its id.
type EntityKey struct {
	Entity string
	ID     string
}

func (k EntityKey) String() string { return k.Entity + ":" + k.ID }

// MaxIDLength bounds entity ids accepted by stores, sources and the API.
const MaxIDLength = 256

// Entry is one stored value of an entity, already converted for CEL: the
// catalog slot, the value and the unix nanoseconds it was observed.
type Entry struct {
	Slot int
	Val  ref.Val
	AsOf int64
}

// Write is one entity's values to store, by feature name, observed at AsOf
// (zero: the writer's now), written by By (kept in the history; empty:
// "nirnay").
type Write struct {
	Key    EntityKey
	Values map[string]any
	AsOf   time.Time
	By     string
}

// encoded is one validated value ready for a store: the feature, its
// compact encoding (which carries the as-of time) and the as-of time.
type encoded struct {
	f    *rules.Feature
	enc  string
	asOf int64 // unix nanoseconds
}

// CheckKey validates an entity key against the catalog: the entity must be
// one the catalog knows and the id non-empty and at most MaxIDLength bytes.
// Errors are *nirnay.Error: KindNotFound for an unknown entity, KindInvalid
// for a bad id.
func CheckKey(k EntityKey) error {
	if !slices.Contains(rules.Entities, k.Entity) {
		return nirnay.Errorf(nirnay.KindNotFound, "unknown entity %q (one of %v)", k.Entity, rules.Entities)
	}
	if k.ID == "" || len(k.ID) > MaxIDLength {
		return nirnay.FieldError("id", "must be 1 to %d bytes", MaxIDLength)
	}
	return nil
}

// validateWrite checks w against cat and encodes its values. Every value
// must name a feature of the catalog, of w's entity, that is stored
// (source online; aggregates are maintained from events, derived and
// request features are computed), with a value of the feature's type. A
// nil value is an error too (deletes are not supported), and so is a
// string or list value holding a full Aadhaar number (DESIGN §16). Errors
// are *nirnay.Error with Field "features.<name>".
func validateWrite(cat *rules.Catalog, w Write, now time.Time) ([]encoded, error) {
	if err := CheckKey(w.Key); err != nil {
		return nil, err
	}
	asOf := w.AsOf
	if asOf.IsZero() {
		asOf = now
	}
	names := make([]string, 0, len(w.Values))
	for name := range w.Values {
		names = append(names, name)
	}
	slices.Sort(names) // the first error reported is deterministic
	out := make([]encoded, 0, len(names))
	for _, name := range names {
		field := "features." + name
		f, ok := cat.Lookup(name)
		if !ok {
			return nil, nirnay.FieldError(field, "no such feature in the catalog")
		}
		if f.Entity != w.Key.Entity {
			return nil, nirnay.FieldError(field, "is a feature of entity %s, not %s", f.Entity, w.Key.Entity)
		}
		if f.Source != rules.SourceOnline {
			return nil, nirnay.FieldError(field, "has source %s and cannot be written", f.Source)
		}
		raw := w.Values[name]
		if raw == nil {
			return nil, nirnay.FieldError(field, "must be a %s, got null", f.Type)
		}
		v, err := rules.CoerceValue(f.Type, raw)
		if err != nil {
			return nil, nirnay.FieldError(field, "must be a %s", f.Type)
		}
		if holdsAadhaar(v) {
			return nil, nirnay.FieldError(field, "holds an Aadhaar number, which Nirnay never stores; write only its last four digits or a vault reference")
		}
		out = append(out, encoded{f: f, enc: encodeValue(f.Type, v, asOf.UnixNano()), asOf: asOf.UnixNano()})
	}
	return out, nil
}

// holdsAadhaar reports whether a string or list-of-strings value holds a
// full Aadhaar number (pii.ContainsAadhaar): such a write is refused, not
// masked, since the value would no longer be what the writer meant.
func holdsAadhaar(v any) bool {
	switch x := v.(type) {
	case string:
		return pii.ContainsAadhaar(x)
	case []string:
		for _, s := range x {
			if pii.ContainsAadhaar(s) {
				return true
			}
		}
	}
	return false
}

// The compact typed encoding of a stored value, used by every store:
//
//	<tag><as-of unix microseconds>:<payload>
//
// tag is one byte for the type — i int, d double, s string, b bool,
// t timestamp, l list<string> — and the payload is the decimal int, the
// shortest round-tripping double, the raw string, 1 or 0, the unix
// nanoseconds of the timestamp, or a JSON array of strings.
func encodeValue(t rules.FeatureType, v any, asOfNanos int64) string {
	tag, payload := byte('s'), ""
	switch x := v.(type) {
	case int64:
		tag, payload = 'i', strconv.FormatInt(x, 10)
	case float64:
		tag, payload = 'd', strconv.FormatFloat(x, 'g', -1, 64)
	case string:
		tag, payload = 's', x
	case bool:
		tag, payload = 'b', "0"
		if x {
			payload = "1"
		}
	case time.Time:
		tag, payload = 't', strconv.FormatInt(x.UnixNano(), 10)
	case []string:
		b, _ := json.Marshal(x)
		tag, payload = 'l', string(b)
	}
	_ = t
	return string(tag) + strconv.FormatInt(asOfNanos/1000, 10) + ":" + payload
}

var typeTags = map[rules.FeatureType]byte{
	rules.TypeInt: 'i', rules.TypeDouble: 'd', rules.TypeString: 's',
	rules.TypeBool: 'b', rules.TypeTimestamp: 't', rules.TypeStringList: 'l',
}

// decodeValue reverses encodeValue for a feature of type t. A value written
// under another type (the catalog changed) or garbled is an error; stores
// treat it as missing.
func decodeValue(t rules.FeatureType, s string) (val any, asOfNanos int64, err error) {
	if len(s) < 3 || s[0] != typeTags[t] {
		return nil, 0, fmt.Errorf("stored value is not a %s", t)
	}
	colon := -1
	for i := 1; i < len(s); i++ {
		if s[i] == ':' {
			colon = i
			break
		}
	}
	if colon < 0 {
		return nil, 0, fmt.Errorf("stored value has no as-of time")
	}
	micros, err := strconv.ParseInt(s[1:colon], 10, 64)
	if err != nil {
		return nil, 0, fmt.Errorf("stored as-of time: %w", err)
	}
	p := s[colon+1:]
	switch t {
	case rules.TypeInt:
		val, err = strconv.ParseInt(p, 10, 64)
	case rules.TypeDouble:
		var f float64
		f, err = strconv.ParseFloat(p, 64)
		if err == nil && (math.IsNaN(f) || math.IsInf(f, 0)) {
			err = fmt.Errorf("non-finite double")
		}
		val = f
	case rules.TypeString:
		val = p
	case rules.TypeBool:
		val = p == "1"
	case rules.TypeTimestamp:
		var n int64
		n, err = strconv.ParseInt(p, 10, 64)
		val = time.Unix(0, n).UTC()
	case rules.TypeStringList:
		var l []string
		err = json.Unmarshal([]byte(p), &l)
		if l == nil {
			l = []string{}
		}
		val = l
	}
	if err != nil {
		return nil, 0, err
	}
	return val, micros * 1000, nil
}

// decodeEntry decodes a stored value of f into an Entry, or reports false.
// Scalars go straight to their CEL value (one allocation, not two).
func decodeEntry(f *rules.Feature, s string) (Entry, bool) {
	switch f.Type {
	case rules.TypeInt, rules.TypeString, rules.TypeBool:
		if len(s) < 3 || s[0] != typeTags[f.Type] {
			return Entry{}, false
		}
		colon := strings.IndexByte(s, ':')
		if colon < 0 {
			return Entry{}, false
		}
		micros, err := strconv.ParseInt(s[1:colon], 10, 64)
		if err != nil {
			return Entry{}, false
		}
		e := Entry{Slot: f.Slot, AsOf: micros * 1000}
		p := s[colon+1:]
		switch f.Type {
		case rules.TypeInt:
			n, err := strconv.ParseInt(p, 10, 64)
			if err != nil {
				return Entry{}, false
			}
			e.Val = types.Int(n)
		case rules.TypeString:
			e.Val = types.String(p)
		default:
			e.Val = types.Bool(p == "1")
		}
		return e, true
	}
	v, asOf, err := decodeValue(f.Type, s)
	if err != nil {
		return Entry{}, false
	}
	return Entry{Slot: f.Slot, Val: toVal(v), AsOf: asOf}, true
}

// entitySlots lists, per entity, the catalog's stored (online) features and
// aggregate features, in slot order.
type entitySlots struct {
	online    map[string][]*rules.Feature
	aggregate map[string][]*rules.Feature
}

func slotsOf(cat *rules.Catalog) entitySlots {
	es := entitySlots{online: map[string][]*rules.Feature{}, aggregate: map[string][]*rules.Feature{}}
	for i := range cat.Features {
		f := &cat.Features[i]
		switch f.Source {
		case rules.SourceOnline:
			es.online[f.Entity] = append(es.online[f.Entity], f)
		case rules.SourceAggregate:
			es.aggregate[f.Entity] = append(es.aggregate[f.Entity], f)
		}
	}
	return es
}

// has reports whether the catalog stores anything for entity.
// idsOf is the id the request names for each of decisionEntities that
// the catalog stores anything for: the customer's, then those of the input
// keys of EntityInputKeys; "" for the others and for an id that is empty
// or longer than MaxIDLength.
func (es entitySlots) idsOf(req Request) (ids [numEntities]string) {
	for i, e := range decisionEntities {
		if !es.has(e) {
			continue
		}
		id := req.CustomerID
		if i > 0 {
			id, _ = req.Input[EntityInputKeys[e]].(string)
		}
		if len(id) <= MaxIDLength {
			ids[i] = id
		}
	}
	return ids
}

func (es entitySlots) has(entity string) bool {
	return len(es.online[entity]) > 0 || len(es.aggregate[entity]) > 0
}
