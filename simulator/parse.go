package simulator

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync/atomic"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// FeatureSink receives a record's features while it is parsed, so a replay
// can put them straight into what builds the vector. Name resolves a key to
// the string to use (typically the catalog's own name, so nothing is
// allocated) and says whether its value is wanted; an error stops parsing.
// Put receives each wanted value.
type FeatureSink interface {
	Name(key []byte) (name string, keep bool, err error)
	Put(name string, v any)
}

// ParseRecord parses one dataset line into r. Without a sink, features go
// into r.Features (a new map when nil). Numbers without a fraction or
// exponent decode as int64, others as float64; arrays of strings as
// []string. Unknown top-level keys are ignored, so datasets may carry more.
func ParseRecord(line []byte, r *Record, sink FeatureSink) error {
	p := &jsonParser{b: line}
	p.ws()
	if !p.eat('{') {
		return p.errf("want a JSON object")
	}
	var haveID, haveAt bool
	err := p.object(func(key []byte) error {
		switch string(key) {
		case "customer_id":
			s, err := p.str()
			r.CustomerID, haveID = s, true
			return err
		case "decided_at":
			s, err := p.str()
			if err != nil {
				return err
			}
			t, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return fmt.Errorf("decided_at: %w", err)
			}
			r.DecidedAt, haveAt = t.UTC(), true
			return nil
		case "step":
			s, err := p.str()
			r.Step = s
			return err
		case "entities":
			if sink != nil {
				return p.skip() // a replay does not use them
			}
			return p.expectObject(func(k []byte) error {
				s, err := p.str()
				if err != nil {
					return err
				}
				if r.Entities == nil {
					r.Entities = map[string]string{}
				}
				r.Entities[string(k)] = s
				return nil
			})
		case "features":
			if sink == nil && r.Features == nil {
				r.Features = make(map[string]any, 96)
			}
			return p.expectObject(func(k []byte) error {
				if sink == nil {
					v, err := p.value()
					r.Features[string(k)] = v
					return err
				}
				name, keep, err := sink.Name(k)
				if err != nil {
					return err
				}
				if !keep {
					return p.skip()
				}
				v, err := p.value()
				if err != nil {
					return fmt.Errorf("feature %s: %w", name, err)
				}
				sink.Put(name, v)
				return nil
			})
		case "input":
			if r.Input == nil {
				r.Input = make(map[string]any, 4)
			}
			return p.expectObject(func(k []byte) error {
				v, err := p.value()
				r.Input[string(k)] = v
				return err
			})
		case "labels":
			return p.expectObject(func(k []byte) error {
				switch string(k) {
				case "default_90d":
					return p.boolInto(&r.Labels.Default90d)
				case "fraud":
					return p.boolInto(&r.Labels.Fraud)
				}
				return p.skip()
			})
		}
		return p.skip()
	})
	if err != nil {
		return err
	}
	p.ws()
	if p.i != len(p.b) {
		return p.errf("trailing data after the object")
	}
	switch {
	case !haveID:
		return errors.New("customer_id is required")
	case !haveAt:
		return errors.New("decided_at is required")
	}
	return nil
}

// jsonParser is a small JSON reader over one line, built for speed on the
// dataset's shape: it allocates only for the values it returns.
type jsonParser struct {
	b []byte
	i int
}

func (p *jsonParser) errf(format string, args ...any) error {
	return fmt.Errorf("json at byte %d: %s", p.i, fmt.Sprintf(format, args...))
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *jsonParser) eat(c byte) bool {
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

func (p *jsonParser) expectObject(fn func(key []byte) error) error {
	if !p.eat('{') {
		return p.errf("want an object")
	}
	return p.object(fn)
}

// object parses the members of an object whose '{' was consumed, calling fn
// with each key positioned at its value; fn must consume the value.
func (p *jsonParser) object(fn func(key []byte) error) error {
	return p.items('}', func() error {
		p.ws()
		key, err := p.rawStr()
		if err != nil {
			return err
		}
		if !p.eat(':') {
			return p.errf("want ':'")
		}
		p.ws()
		return fn(key)
	})
}

// array parses the elements of an array whose '[' was consumed, calling fn
// positioned at each element; fn must consume it.
func (p *jsonParser) array(fn func() error) error {
	return p.items(']', fn)
}

// items parses the comma-separated items of an object or array whose
// opening bracket was consumed, through the closing one (end), calling
// item at each; item must consume it.
func (p *jsonParser) items(end byte, item func() error) error {
	if p.eat(end) {
		return nil
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if p.eat(',') {
			continue
		}
		if p.eat(end) {
			return nil
		}
		return p.errf("want ',' or '%c'", end)
	}
}

// rawStr returns a string's bytes (unescaped; a fresh slice only when the
// string has escapes).
func (p *jsonParser) rawStr() ([]byte, error) {
	if p.i >= len(p.b) || p.b[p.i] != '"' {
		return nil, p.errf("want a string")
	}
	start := p.i + 1
	for j := start; j < len(p.b); j++ {
		switch c := p.b[j]; {
		case c == '"':
			p.i = j + 1
			return p.b[start:j], nil
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return nil, p.errf("control character in string")
		}
	}
	return nil, p.errf("unterminated string")
}

func (p *jsonParser) escaped(start int) ([]byte, error) {
	out := make([]byte, 0, 32)
	j := start
	for j < len(p.b) {
		c := p.b[j]
		switch {
		case c == '"':
			p.i = j + 1
			return out, nil
		case c != '\\':
			out = append(out, c)
			j++
			continue
		}
		if j+1 >= len(p.b) {
			break
		}
		e := p.b[j+1]
		j += 2
		switch e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(p.b, j)
			if !ok {
				p.i = j
				return nil, p.errf("bad \\u escape")
			}
			j += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(p.b, j+2); ok && j+1 < len(p.b) && p.b[j] == '\\' && p.b[j+1] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
						j += 6
					}
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			p.i = j
			return nil, p.errf("bad escape")
		}
	}
	return nil, p.errf("unterminated string")
}

func hex4(b []byte, j int) (rune, bool) {
	if j+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[j : j+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func (p *jsonParser) str() (string, error) {
	p.ws()
	b, err := p.rawStr()
	return string(b), err
}

func (p *jsonParser) boolInto(dst *bool) error {
	v, err := p.value()
	if err != nil {
		return err
	}
	b, ok := v.(bool)
	if !ok {
		return p.errf("want true or false")
	}
	*dst = b
	return nil
}

// value parses any JSON value: nil, bool, int64, float64, string, []string,
// []any (mixed arrays) or map[string]any.
func (p *jsonParser) value() (any, error) {
	p.ws()
	if p.i >= len(p.b) {
		return nil, p.errf("want a value")
	}
	switch c := p.b[p.i]; {
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		return p.number()
	case c == 't':
		return true, p.lit("true")
	case c == 'f':
		return false, p.lit("false")
	case c == 'n':
		return nil, p.lit("null")
	case c == '[':
		p.i++
		var items []any
		allStrings := true
		err := p.array(func() error {
			v, err := p.value()
			if err != nil {
				return err
			}
			if _, ok := v.(string); !ok {
				allStrings = false
			}
			items = append(items, v)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if allStrings {
			out := make([]string, len(items))
			for i, v := range items {
				out[i] = v.(string)
			}
			return out, nil
		}
		return items, nil
	case c == '{':
		p.i++
		m := map[string]any{}
		err := p.object(func(k []byte) error {
			v, err := p.value()
			m[string(k)] = v
			return err
		})
		return m, err
	}
	return nil, p.errf("unexpected character %q", p.b[p.i])
}

func (p *jsonParser) lit(s string) error {
	if len(p.b)-p.i < len(s) || string(p.b[p.i:p.i+len(s)]) != s {
		return p.errf("want %s", s)
	}
	p.i += len(s)
	return nil
}

func (p *jsonParser) number() (any, error) {
	start := p.i
	neg := false
	if p.b[p.i] == '-' {
		neg = true
		p.i++
	}
	var n uint64
	digits := 0
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		n = n*10 + uint64(p.b[p.i]-'0')
		digits++
		p.i++
	}
	if digits == 0 {
		return nil, p.errf("bad number")
	}
	isFloat := p.i < len(p.b) && (p.b[p.i] == '.' || p.b[p.i] == 'e' || p.b[p.i] == 'E')
	if !isFloat && digits <= 18 {
		if neg {
			return -int64(n), nil
		}
		return int64(n), nil
	}
	for p.i < len(p.b) {
		c := p.b[p.i]
		if (c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
			p.i++
			continue
		}
		break
	}
	f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	if err != nil {
		return nil, p.errf("bad number %s", p.b[start:p.i])
	}
	if !isFloat && f == float64(int64(f)) {
		return int64(f), nil
	}
	return f, nil
}

// skip consumes one value of any kind.
func (p *jsonParser) skip() error {
	p.ws()
	if p.i >= len(p.b) {
		return p.errf("want a value")
	}
	switch p.b[p.i] {
	case '"':
		_, err := p.rawStr()
		return err
	case '{':
		p.i++
		return p.object(func([]byte) error { return p.skip() })
	case '[':
		p.i++
		return p.array(p.skip)
	}
	// A number or literal: scan to its end without decoding it.
	start := p.i
	for p.i < len(p.b) {
		switch c := p.b[p.i]; {
		case c >= '0' && c <= '9', c >= 'a' && c <= 'z', c == '-', c == '+', c == '.', c == 'E':
			p.i++
			continue
		}
		break
	}
	if p.i == start {
		return p.errf("unexpected character %q", p.b[p.i])
	}
	return nil
}

// countingReader counts the bytes read through it (safe to read Pos from
// another goroutine).
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.n.Add(int64(n))
	return n, err
}
