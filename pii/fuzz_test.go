package pii

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// aadhaarShape is the test's own reading of an Aadhaar number: four
// digits, the first 2–9, then two groups of four, each optionally after a
// space or hyphen.
var aadhaarShape = regexp.MustCompile(`^[2-9][0-9]{3}[ -]?[0-9]{4}[ -]?[0-9]{4}`)

// findAadhaar returns the Aadhaar numbers in s (not touching a letter or
// a digit, Verhoeff-valid), found with a regexp at every position:
// independent of the scanner it checks.
func findAadhaar(s string) []string {
	var found []string
	for i := 0; i < len(s); i++ {
		if i > 0 && isAlnum(s[i-1]) {
			continue
		}
		m := aadhaarShape.FindString(s[i:])
		if m == "" || i+len(m) < len(s) && isAlnum(s[i+len(m)]) {
			continue
		}
		digits := strings.NewReplacer(" ", "", "-", "").Replace(m)
		if oracleValid(digits) {
			found = append(found, m)
		}
	}
	return found
}

// plantedAadhaar makes a Verhoeff-valid Aadhaar number from n, written
// as format says (together, spaced, hyphenated, mixed).
func plantedAadhaar(n uint64, format uint8) (digits, written string) {
	body := []byte(strconv.FormatUint(2e10+n%8e10, 10)) // 11 digits, first 2–9
	body = append(body, verhoeffCheckDigit(body))
	digits = string(body)
	seps := [][2]string{{"", ""}, {" ", " "}, {"-", "-"}, {" ", ""}, {"", "-"}}[format%5]
	return digits, digits[:4] + seps[0] + digits[4:8] + seps[1] + digits[8:]
}

func FuzzText(f *testing.F) {
	for _, s := range []string{"", "PAN ABCDE1234F", "call +91 98765 43210", "2345 6789 0124", "a@b.in", "Rs.150000.50 on 2026-12-04",
		"uid 234567890124x", "1.234567890124", "XXXXXXXX0124", "98765-43210-2345 6789 0124", "\u20b9987654321012"} {
		f.Add(s, uint64(len(s)), uint8(len(s)), " ")
	}
	f.Fuzz(func(t *testing.T, text string, n uint64, format uint8, suffix string) {
		// Whatever the text: idempotent, and no Aadhaar number left.
		out := Text(text)
		if again := Text(out); again != out {
			t.Fatalf("not idempotent:\n in    %q\n once  %q\n twice %q", text, out, again)
		}
		if left := findAadhaar(out); len(left) > 0 {
			t.Fatalf("Text(%q) = %q still holds Aadhaar %q", text, out, left)
		}
		if len(findAadhaar(text)) > 0 && out == text {
			t.Fatalf("Text(%q) holds an Aadhaar number and changed nothing", text)
		}
		if onlyAadhaar := TextOf(text, Aadhaar); len(findAadhaar(onlyAadhaar)) > 0 || TextOf(onlyAadhaar, Aadhaar) != onlyAadhaar {
			t.Fatalf("TextOf(%q, Aadhaar) = %q: not idempotent or an Aadhaar number left", text, onlyAadhaar)
		}
		// A planted Aadhaar number set off by a space never survives,
		// in text or in JSON, whatever surrounds it.
		digits, written := plantedAadhaar(n, format)
		planted := text + " " + written + " " + suffix
		for _, m := range []string{Text(planted), TextOf(planted, Aadhaar)} {
			if len(findAadhaar(m)) > 0 || strings.Count(m, digits) > strings.Count(text+suffix, digits) {
				t.Fatalf("planted %q in %q: got %q", written, planted, m)
			}
		}
		doc, _ := json.Marshal(map[string]any{"text": text, "body": planted, "n": json.Number(digits), "list": []string{written, suffix}})
		red := RedactJSON(doc, Aadhaar|PAN|Mobile|Email)
		var back map[string]any
		if err := json.Unmarshal(red, &back); err != nil {
			t.Fatalf("RedactJSON(%s) = %s: not JSON: %v", doc, red, err)
		}
		if again := RedactJSON(red, Aadhaar|PAN|Mobile|Email); string(again) != string(red) {
			t.Fatalf("RedactJSON not idempotent:\n once  %s\n twice %s", red, again)
		}
		var values []string
		collect(back, &values)
		for _, v := range values {
			if left := findAadhaar(v); len(left) > 0 {
				t.Fatalf("RedactJSON(%s) = %s still holds Aadhaar %q", doc, red, left)
			}
		}
		if masked := Map(back); !equalJSON(Map(masked), masked) {
			t.Fatalf("Map not idempotent on %v", back)
		}
	})
}

func collect(v any, out *[]string) {
	switch x := v.(type) {
	case string:
		*out = append(*out, x)
	case map[string]any:
		for _, e := range x {
			collect(e, out)
		}
	case []any:
		for _, e := range x {
			collect(e, out)
		}
	default:
		b, _ := json.Marshal(x)
		*out = append(*out, string(b))
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// FuzzKeyClass: the quick test on a key's last word never settles a key
// that the full reading (every word) finds personal.
func FuzzKeyClass(f *testing.F) {
	for _, k := range []string{"pan", "customer_pan", "panNo", "PANNumber", "Aadhaar-No", "aadhaar__", "x.mobile_no", "device_uid", "emailID", "é_pan", "pan_hash"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if got, want := classOf(key), classOfWords(key); got != want {
			t.Fatalf("classOf(%q) = %d, reading every word gives %d", key, got, want)
		}
	})
}
