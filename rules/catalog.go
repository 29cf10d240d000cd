package rules

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// FeatureType is the declared type of a feature; it fixes the CEL type of
// f.<name>.
type FeatureType string

// Feature types of the catalog (§5).
const (
	TypeInt        FeatureType = "int"
	TypeDouble     FeatureType = "double"
	TypeString     FeatureType = "string"
	TypeBool       FeatureType = "bool"
	TypeTimestamp  FeatureType = "timestamp"
	TypeStringList FeatureType = "list<string>"
)

var featureTypes = []string{"int", "double", "string", "bool", "timestamp", "list<string>"}

// Entities a feature can be keyed by.
var Entities = []string{"customer", "device", "pan", "phone", "bank_account"}

// Feature sources: where a value comes from.
const (
	SourceOnline    = "online"    // the online store (written by PUT /v1/features or pipelines)
	SourceRequest   = "request"   // the step's request input, by the same name
	SourceDerived   = "derived"   // an expr-lang formula over other features
	SourceAggregate = "aggregate" // a windowed aggregate maintained from events
)

var sources = []string{SourceOnline, SourceRequest, SourceDerived, SourceAggregate}

// Aggregate describes how an aggregate feature is maintained from events.
type Aggregate struct {
	Event  string
	Fn     string
	Window time.Duration
	Entity string
	Field  string // optional: the event field summed, averaged, …
}

// Feature is one entry of the feature catalog. It is immutable once the
// catalog is parsed.
type Feature struct {
	Name        string
	Type        FeatureType
	Entity      string        // default "customer"
	Source      string        // default "online"
	MaxAge      time.Duration // 0: never stale
	Default     any           // nil: no default (missing stays missing); else typed per Type
	Description string
	Expr        string     // for source derived
	Aggregate   *Aggregate // for source aggregate
	// PerStep marks a list<string> online feature whose stored elements
	// are "<step>:<value>" or "<step>:<value>:<unix seconds it expires>":
	// a decision of a step reads the values stored for that step, unexpired
	// (see PerStepValues). step_up_passed is one.
	PerStep bool
	Slot    int // stable index in the catalog, 0-based, file order
	Line    int
}

// Catalog is the parsed feature catalog. It is immutable and safe for
// concurrent use.
type Catalog struct {
	File     string
	Features []Feature
	byName   map[string]int
	byVar    map[string]int // "f.<name>" → slot
}

// Len is the number of features (and slots).
func (c *Catalog) Len() int { return len(c.Features) }

// Lookup returns the feature with the given name.
func (c *Catalog) Lookup(name string) (*Feature, bool) {
	i, ok := c.byName[name]
	if !ok {
		return nil, false
	}
	return &c.Features[i], true
}

// SlotOfVar maps a CEL variable name ("f.bureau_score") to its slot.
func (c *Catalog) SlotOfVar(qualified string) (int, bool) {
	i, ok := c.byVar[qualified]
	return i, ok
}

var nameRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// NewCatalog builds a catalog from features given in code (tests, tools).
// Slots are assigned in order. It validates as ParseCatalog does.
func NewCatalog(features []Feature) (*Catalog, error) {
	c := &Catalog{File: "<catalog>", Features: make([]Feature, len(features))}
	copy(c.Features, features)
	var errs ErrorList
	for i := range c.Features {
		f := &c.Features[i]
		if f.Entity == "" {
			f.Entity = "customer"
		}
		if f.Source == "" {
			f.Source = SourceOnline
		}
		if f.Default != nil {
			v, err := CoerceValue(f.Type, f.Default)
			if err != nil {
				errs.add(c.File, f.Line, "features["+f.Name+"].default", "%v", err)
			}
			f.Default = v
		}
	}
	c.index(&errs)
	return c, errs.Err()
}

// ParseCatalog parses features.yaml strictly. Errors name file, line and
// field; all are reported at once as an ErrorList.
func ParseCatalog(file string, data []byte) (*Catalog, error) {
	d := &decoder{file: file}
	root := d.document(data)
	c := &Catalog{File: file}
	if root != nil {
		d.mapping(root, "", []string{"features"}, func(_ string, _, v *yaml.Node) {
			if v.Kind != yaml.SequenceNode {
				d.errorf(v, "features", "must be a list")
				return
			}
			for i, item := range v.Content {
				c.Features = append(c.Features, d.feature(item, fmt.Sprintf("features[%d]", i)))
			}
		})
	}
	c.index(&d.errs)
	return c, d.errs.Err()
}

func (d *decoder) feature(n *yaml.Node, field string) Feature {
	f := Feature{Entity: "customer", Source: SourceOnline, Line: n.Line}
	var defNode *yaml.Node
	keys := []string{"name", "type", "entity", "source", "max_age", "default", "description", "expr", "aggregate", "per_step"}
	// Name first so later errors can use it in the field path.
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == "name" {
				f.Name = n.Content[i+1].Value
				if nameRe.MatchString(f.Name) {
					field = "features[" + f.Name + "]"
				}
			}
		}
	}
	d.mapping(n, field, keys, func(key string, _, v *yaml.Node) {
		sub := joinField(field, key)
		switch key {
		case "name":
			if s := d.str(v, sub); !nameRe.MatchString(s) {
				d.errorf(v, sub, "feature name %q must match [a-z][a-z0-9_]*", s)
			}
		case "type":
			f.Type = FeatureType(d.oneOf(v, sub, "type", featureTypes))
		case "entity":
			f.Entity = d.oneOf(v, sub, "entity", Entities)
		case "source":
			f.Source = d.oneOf(v, sub, "source", sources)
		case "max_age":
			f.MaxAge, _ = d.duration(v, sub)
		case "default":
			defNode = v
		case "description":
			f.Description = d.str(v, sub)
		case "expr":
			f.Expr = d.str(v, sub)
		case "aggregate":
			f.Aggregate = d.aggregate(v, sub)
		case "per_step":
			if v.Tag != "!!bool" {
				d.errorf(v, sub, "must be true or false")
			}
			f.PerStep = v.Value == "true"
		}
	})
	if f.Name == "" {
		d.errorf(n, field, "name is required")
	}
	if f.Type == "" {
		d.errorf(n, joinField(field, "type"), "type is required")
	}
	if defNode != nil && f.Type != "" {
		if raw, ok := d.anyValue(defNode, field+".default"); ok {
			v, err := CoerceValue(f.Type, raw)
			if err != nil {
				d.errorf(defNode, field+".default", "%v", err)
			}
			f.Default = v
		}
	}
	switch {
	case f.Source == SourceDerived && f.Expr == "":
		d.errorf(n, joinField(field, "expr"), "a derived feature needs expr")
	case f.Source != SourceDerived && f.Expr != "":
		d.errorf(n, joinField(field, "expr"), "expr is only for source: derived")
	case f.Source == SourceAggregate && f.Aggregate == nil:
		d.errorf(n, joinField(field, "aggregate"), "an aggregate feature needs aggregate")
	case f.Source != SourceAggregate && f.Aggregate != nil:
		d.errorf(n, joinField(field, "aggregate"), "aggregate is only for source: aggregate")
	case f.PerStep && (f.Type != TypeStringList || f.Source != SourceOnline):
		d.errorf(n, joinField(field, "per_step"), "per_step is only for list<string> features of source: online")
	}
	return f
}

func (d *decoder) aggregate(n *yaml.Node, field string) *Aggregate {
	a := &Aggregate{Entity: "customer"}
	d.mapping(n, field, []string{"event", "fn", "window", "entity", "field"}, func(key string, _, v *yaml.Node) {
		sub := joinField(field, key)
		switch key {
		case "event":
			a.Event = d.str(v, sub)
		case "fn":
			a.Fn = d.str(v, sub)
		case "window":
			a.Window, _ = d.duration(v, sub)
		case "entity":
			a.Entity = d.oneOf(v, sub, "entity", Entities)
		case "field":
			a.Field = d.str(v, sub)
		}
	})
	if a.Event == "" || a.Fn == "" {
		d.errorf(n, field, "aggregate needs event and fn")
	}
	return a
}

func (c *Catalog) index(errs *ErrorList) {
	c.byName = make(map[string]int, len(c.Features))
	c.byVar = make(map[string]int, len(c.Features))
	for i := range c.Features {
		f := &c.Features[i]
		f.Slot = i
		if _, dup := c.byName[f.Name]; dup {
			errs.add(c.File, f.Line, "features["+f.Name+"].name", "duplicate feature %q", f.Name)
			continue
		}
		c.byName[f.Name] = i
		c.byVar["f."+f.Name] = i
	}
}

// CoerceValue converts a plain Go value (as decoded from JSON or YAML) to
// the canonical Go type of t: int64, float64, string, bool, time.Time or
// []string. JSON numbers that are whole are accepted for int; ints for
// double; RFC 3339 strings for timestamp. Anything else is an error.
func CoerceValue(t FeatureType, v any) (any, error) {
	switch t {
	case TypeInt:
		switch x := v.(type) {
		case int:
			return int64(x), nil
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case uint64:
			if x <= math.MaxInt64 {
				return int64(x), nil
			}
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
				return int64(x), nil
			}
		case interface{ Int64() (int64, error) }: // json.Number
			if n, err := x.Int64(); err == nil {
				return n, nil
			}
		}
	case TypeDouble:
		switch x := v.(type) {
		case float64:
			if !math.IsNaN(x) && !math.IsInf(x, 0) {
				return x, nil
			}
		case int:
			return float64(x), nil
		case int64:
			return float64(x), nil
		case interface{ Float64() (float64, error) }:
			if n, err := x.Float64(); err == nil {
				return n, nil
			}
		}
	case TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case TypeBool:
		if b, ok := v.(bool); ok {
			return b, nil
		}
	case TypeTimestamp:
		switch x := v.(type) {
		case time.Time:
			return x.UTC(), nil
		case string:
			if ts, err := time.Parse(time.RFC3339Nano, x); err == nil {
				return ts.UTC(), nil
			}
		}
	case TypeStringList:
		switch x := v.(type) {
		case []string:
			return append([]string(nil), x...), nil
		case []any:
			out := make([]string, len(x))
			for i, e := range x {
				s, ok := e.(string)
				if !ok {
					return nil, fmt.Errorf("want list<string>, got %T element %v", e, e)
				}
				out[i] = s
			}
			return out, nil
		}
	default:
		return nil, fmt.Errorf("unknown feature type %q", t)
	}
	return nil, fmt.Errorf("want %s, got %T %v", t, v, v)
}

// PerStepValues returns the values of a per_step feature's stored elements
// (see Feature.PerStep) that belong to step and have not expired at now
// (unix seconds), in stored order. Elements of other steps, expired ones
// and malformed ones are left out.
func PerStepValues(stored []string, step string, now int64) []string {
	out := make([]string, 0, len(stored))
	for _, e := range stored {
		s, rest, ok := strings.Cut(e, ":")
		if !ok || s != step || rest == "" {
			continue
		}
		if v, exp, ok := strings.Cut(rest, ":"); ok {
			until, err := strconv.ParseInt(exp, 10, 64)
			if err != nil || v == "" || until <= now {
				continue
			}
			rest = v
		}
		out = append(out, rest)
	}
	return out
}
