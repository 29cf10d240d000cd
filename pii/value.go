package pii

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaskValue masks a whole value found under a personal key: it keeps the
// last four characters and puts an X for each other one ("ABCDE1234F" →
// "XXXXXX234F"); an e-mail address keeps its domain ("XXXX@example.com");
// a value of four characters or fewer becomes all X. It returns s itself
// when s is already so masked.
func MaskValue(s string) string {
	if at := strings.LastIndexByte(s, '@'); at > 0 {
		if s[:at] == "XXXX" {
			return s
		}
		return "XXXX" + s[at:]
	}
	n := utf8.RuneCountInString(s)
	keep := 4
	if n <= 4 {
		keep = 0
	}
	xs, masked := n-keep, true
	cut := len(s) // byte offset of the kept tail
	for i, r := range s {
		if xs == 0 {
			cut = i
			break
		}
		if r != 'X' {
			masked = false
		}
		xs--
	}
	if masked {
		return s
	}
	b := make([]byte, 0, n-keep+len(s)-cut)
	for range n - keep {
		b = append(b, 'X')
	}
	return string(append(b, s[cut:]...))
}

// maskAadhaarValue masks a value under an Aadhaar key: a number written
// with digits and separators keeps only its last four digits
// ("XXXXXXXX1234"); anything else is masked as MaskValue does.
func maskAadhaarValue(s string) string {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case isDigit(c):
			digits++
		case c == ' ' || c == '-' || c == '.':
		default:
			return MaskValue(s)
		}
	}
	if digits <= 4 {
		return MaskValue(s)
	}
	b := make([]byte, 0, 12)
	b = append(b, "XXXXXXXX"...)
	return string(appendLastDigits(b, s, Aadhaar))
}

// Map returns m with personal data masked by key and by value:
//
//   - under a personal key (IsKey), a string is masked whole (MaskValue;
//     under an Aadhaar key a number keeps only its last four digits), and
//     so is a number or each element of an array; a nested object is
//     walked with its own keys;
//   - under any other key, a string is masked by value (Text), objects
//     and arrays ([]any, []map[string]any, []string) are walked, and a
//     number is masked only when it is an Aadhaar number (it becomes the
//     string "XXXXXXXX1234"); other values are kept.
//
// Map never modifies m: it returns m itself when nothing is masked, and
// otherwise a copy in which only what changed is new. nil stays nil.
// Idempotent: Map(Map(m)) holds what Map(m) holds.
func Map(m map[string]any) map[string]any {
	out, _ := maskMap(m)
	return out
}

// Any masks v as Map masks the value of a key that is not personal.
func Any(v any) any {
	out, _ := maskAny(v)
	return out
}

func maskMap(m map[string]any) (map[string]any, bool) {
	var out map[string]any
	for k, v := range m {
		mv, changed := maskEntry(k, v)
		if !changed {
			continue
		}
		if out == nil {
			out = make(map[string]any, len(m))
			for k2, v2 := range m {
				out[k2] = v2
			}
		}
		out[k] = mv
	}
	if out == nil {
		return m, false
	}
	return out, true
}

func maskEntry(k string, v any) (any, bool) { return maskAs(v, classOf(k)) }

// maskAs masks v found under a key of class: whole under a personal key,
// else by what it holds.
func maskAs(v any, class keyClass) (any, bool) {
	switch class {
	case personal:
		return maskWhole(v, false)
	case aadhaarKey:
		return maskWhole(v, true)
	}
	return maskAny(v)
}

// maskAny masks a value by what it holds. Unchanged, it returns v itself:
// boxing the same value again would allocate.
func maskAny(v any) (any, bool) {
	switch x := v.(type) {
	case string:
		if m := Text(x); m != x {
			return m, true
		}
	case map[string]any:
		if m, changed := maskMap(x); changed {
			return m, true
		}
	case []any:
		if m, changed := maskSlice(x, maskAny); changed {
			return m, true
		}
	case []map[string]any:
		if m, changed := maskSlice(x, maskMap); changed {
			return m, true
		}
	case []string:
		if m, changed := maskSlice(x, maskText1); changed {
			return m, true
		}
	default:
		if mayBeAadhaarNumber(v) {
			if digits, ok := integerText(v); ok && len(digits) == 12 && verhoeffValid([]byte(digits)) {
				return "XXXXXXXX" + digits[8:], true
			}
		}
	}
	return v, false
}

func maskText1(s string) (string, bool) { m := Text(s); return m, m != s }

// mayBeAadhaarNumber is the cheap range test before formatting a number:
// twelve digits, the first 2–9.
func mayBeAadhaarNumber(v any) bool {
	const lo, hi = 2e11, 1e12
	switch x := v.(type) {
	case int:
		return x >= lo && x < hi
	case int64:
		return x >= lo && x < hi
	case uint64:
		return x >= lo && x < hi
	case float64:
		return x >= lo && x < hi
	case json.Number:
		return len(x) == 12 && x[0] >= '2'
	}
	return false
}

// maskWhole masks a value under a personal key. A nested object is
// walked with its own keys, as anywhere else.
func maskWhole(v any, aadhaar bool) (any, bool) {
	whole := MaskValue
	if aadhaar {
		whole = maskAadhaarValue
	}
	switch x := v.(type) {
	case string:
		if m := whole(x); m != x {
			return m, true
		}
	case map[string]any, []map[string]any:
		return maskAny(v)
	case []any:
		if m, changed := maskSlice(x, func(e any) (any, bool) { return maskWhole(e, aadhaar) }); changed {
			return m, true
		}
	case []string:
		if m, changed := maskSlice(x, func(s string) (string, bool) { m := whole(s); return m, m != s }); changed {
			return m, true
		}
	case json.Number:
		return whole(string(x)), true
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return v, false
		}
		if digits, ok := integerText(v); ok {
			return whole(digits), true
		}
		return whole(strconv.FormatFloat(x, 'f', -1, 64)), true
	default:
		if digits, ok := integerText(v); ok {
			return whole(digits), true
		}
	}
	return v, false
}

// maskSlice masks each element of s; s itself when none changes.
func maskSlice[T any](s []T, mask func(T) (T, bool)) ([]T, bool) {
	var out []T
	for i, e := range s {
		m, changed := mask(e)
		if !changed {
			continue
		}
		if out == nil {
			out = append([]T(nil), s...)
		}
		out[i] = m
	}
	if out == nil {
		return s, false
	}
	return out, true
}

// integerText gives the decimal digits of a non-negative whole number
// (int, int64, uint64, a whole float64 or an integer json.Number).
func integerText(v any) (string, bool) {
	switch x := v.(type) {
	case int:
		if x >= 0 {
			return strconv.Itoa(x), true
		}
	case int64:
		if x >= 0 {
			return strconv.FormatInt(x, 10), true
		}
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		if x >= 0 && x < 1e18 && x == math.Trunc(x) {
			return strconv.FormatInt(int64(x), 10), true
		}
	case json.Number:
		s := string(x)
		for i := 0; i < len(s); i++ {
			if !isDigit(s[i]) {
				return "", false
			}
		}
		return s, s != ""
	}
	return "", false
}
