package rules

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// decoder walks yaml.v3 nodes strictly, collecting every error with its
// file, line and field path instead of stopping at the first.
type decoder struct {
	file string
	errs ErrorList
}

func (d *decoder) errorf(n *yaml.Node, field, format string, args ...any) {
	line := 0
	if n != nil {
		line = n.Line
	}
	d.errs.add(d.file, line, field, format, args...)
}

// document parses data and returns its top-level node, or nil after
// recording an error.
func (d *decoder) document(data []byte) *yaml.Node {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 0
		msg := err.Error()
		// yaml.v3 errors read "yaml: line N: message".
		if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
			if i := strings.Index(rest, ":"); i > 0 {
				if n, err := strconv.Atoi(rest[:i]); err == nil {
					line = n
					msg = strings.TrimSpace(rest[i+1:])
				}
			}
		}
		d.errs.add(d.file, line, "", "invalid YAML: %s", strings.TrimPrefix(msg, "yaml: "))
		return nil
	}
	if len(doc.Content) == 0 {
		d.errs.add(d.file, 1, "", "empty document")
		return nil
	}
	return doc.Content[0]
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 16; i++ {
		n = n.Alias
	}
	return n
}

// mapping calls fn for each key of the mapping n in file order. Duplicate
// keys are errors; so is a key not in allowed (when allowed is non-nil).
func (d *decoder) mapping(n *yaml.Node, field string, allowed []string, fn func(key string, k, v *yaml.Node)) bool {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.MappingNode {
		d.errorf(n, field, "must be a mapping")
		return false
	}
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], resolveAlias(n.Content[i+1])
		key := k.Value
		sub := joinField(field, key)
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, field, "keys must be plain strings")
			continue
		}
		if seen[key] {
			d.errorf(k, sub, "duplicate key %q", key)
			continue
		}
		seen[key] = true
		if allowed != nil && !slices.Contains(allowed, key) {
			d.errorf(k, sub, "unknown key %q (allowed: %s)", key, strings.Join(allowed, ", "))
			continue
		}
		fn(key, k, v)
	}
	return true
}

func joinField(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func (d *decoder) scalar(n *yaml.Node, field string) (*yaml.Node, bool) {
	if n == nil || n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		d.errorf(n, field, "must be a scalar value")
		return nil, false
	}
	return n, true
}

// str decodes a string. Plain scalars of other kinds (numbers) are accepted
// as their text, since YAML analysts write `tenure_months: 12`.
func (d *decoder) str(n *yaml.Node, field string) string {
	n, ok := d.scalar(n, field)
	if !ok {
		return ""
	}
	return n.Value
}

// oneOf decodes a string that must be one of allowed; what names it in the
// error ("unknown step \"x\" (one of [...])").
func (d *decoder) oneOf(n *yaml.Node, field, what string, allowed []string) string {
	s := d.str(n, field)
	if !slices.Contains(allowed, s) {
		d.errorf(n, field, "unknown %s %q (one of %v)", what, s, allowed)
	}
	return s
}

func (d *decoder) integer(n *yaml.Node, field string) (int64, bool) {
	n, ok := d.scalar(n, field)
	if !ok {
		return 0, false
	}
	if n.Tag != "!!int" {
		d.errorf(n, field, "must be an integer, got %q", n.Value)
		return 0, false
	}
	var v int64
	if err := n.Decode(&v); err != nil {
		d.errorf(n, field, "must be an integer: %v", err)
		return 0, false
	}
	return v, true
}

func (d *decoder) duration(n *yaml.Node, field string) (time.Duration, bool) {
	s := d.str(n, field)
	if s == "" {
		return 0, false
	}
	dur, err := ParseDuration(s)
	if err != nil {
		d.errorf(n, field, "%v", err)
		return 0, false
	}
	return dur, true
}

// ParseDuration accepts Go durations ("720h", "90m") and a whole number of
// days ("30d"). Negative durations are rejected.
func ParseDuration(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > math.MaxInt64/int64(24*time.Hour) {
			return 0, fmt.Errorf("invalid duration %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	dur, err := time.ParseDuration(s)
	if err != nil || dur < 0 {
		return 0, fmt.Errorf("invalid duration %q (use e.g. 720h or 30d)", s)
	}
	return dur, nil
}

// strList decodes a sequence of non-empty strings (a flow or block list).
func (d *decoder) strList(n *yaml.Node, field string) []string {
	n = resolveAlias(n)
	if n == nil || n.Kind != yaml.SequenceNode {
		d.errorf(n, field, "must be a list")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		sub := fmt.Sprintf("%s[%d]", field, i)
		s := d.str(item, sub)
		if strings.TrimSpace(s) == "" || strings.ContainsAny(s, " \t\n") {
			if s != "" || item.Kind == yaml.ScalarNode {
				d.errorf(item, sub, "must be a non-empty code without spaces, got %q", s)
			}
			continue
		}
		out = append(out, s)
	}
	return out
}

// anyValue decodes a node into plain Go values: map[string]any, []any,
// string, int, float64, bool, time.Time or nil.
func (d *decoder) anyValue(n *yaml.Node, field string) (any, bool) {
	var v any
	if err := n.Decode(&v); err != nil {
		d.errorf(n, field, "%v", err)
		return nil, false
	}
	return normalize(v), true
}

// normalize turns the map[any]any yaml may produce for odd keys into
// map[string]any so the result is JSON-like.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}

// stringMap decodes a mapping of names to values, returning the values and
// the line of each key.
func (d *decoder) stringMap(n *yaml.Node, field string) (map[string]any, map[string]int) {
	vals := map[string]any{}
	lines := map[string]int{}
	d.mapping(n, field, nil, func(key string, k, v *yaml.Node) {
		if val, ok := d.anyValue(v, joinField(field, key)); ok {
			vals[key] = val
			lines[key] = k.Line
		}
	})
	return vals, lines
}
