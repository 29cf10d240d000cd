package pii

import (
	"bytes"
	"encoding/json"
)

// MaskJSON masks a JSON document as Map masks a map: by key and by value,
// through every object and array. It returns data itself when nothing is
// masked; otherwise the masked document, re-encoded (object keys sorted,
// HTML characters not escaped). Data that is not JSON is masked as text
// (Text).
func MaskJSON(data []byte) []byte {
	var v any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil || dec.More() {
		if m := Text(string(data)); m != string(data) {
			return []byte(m)
		}
		return data
	}
	var mv any
	var changed bool
	if m, ok := v.(map[string]any); ok {
		mv, changed = maskMap(m)
	} else {
		mv, changed = maskAny(v)
	}
	if !changed {
		return data
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(mv); err != nil {
		return []byte(Text(string(data)))
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
}

// RedactJSON removes the given kinds of personal data from a JSON
// document that is about to be stored, keeping its layout: each string is
// masked by value (as TextOf with kinds); with Aadhaar in kinds, a number
// that is an Aadhaar number becomes the string "XXXXXXXX1234", and a
// string or number directly under an Aadhaar key ("aadhaar_no", "uid", …)
// keeps only its last four digits. Strings with escapes are decoded,
// masked and encoded again; everything else is copied byte for byte. It
// returns data itself, without allocating, when nothing changes. Data
// that is not valid JSON is redacted as far as it can be read as JSON.
func RedactJSON(data []byte, kinds Kind) []byte {
	if !mayNeedRedaction(data, kinds) {
		return data
	}
	var out []byte
	last := 0
	replace := func(from, to int, with []byte) {
		out = append(out, data[last:from]...)
		out = append(out, with...)
		last = to
	}
	underAadhaarKey := false
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '"':
			end := stringEnd(data, i)
			tok := data[i:end]
			if j := skipSpace(data, end); j < len(data) && data[j] == ':' {
				underAadhaarKey = kinds&Aadhaar != 0 && keyClassOfToken(tok) == aadhaarKey
				i = end
				continue
			}
			if m, ok := redactString(tok, kinds, underAadhaarKey); ok {
				replace(i, end, m)
			}
			underAadhaarKey = false
			i = end
		case c == '-' || isDigit(c):
			end := i + 1
			for end < len(data) && (isDigit(data[end]) || data[end] == '.' || data[end] == 'e' || data[end] == 'E' || data[end] == '+' || data[end] == '-') {
				end++
			}
			if kinds&Aadhaar != 0 {
				if m, ok := redactNumber(data[i:end], underAadhaarKey); ok {
					replace(i, end, m)
				}
			}
			underAadhaarKey = false
			i = end
		default:
			if c == ',' || c == '{' || c == '[' || c == '}' || c == ']' {
				underAadhaarKey = false
			}
			i++
		}
	}
	if out == nil {
		return data
	}
	return append(out, data[last:]...)
}

// mayNeedRedaction is the cheap test before RedactJSON's walk: every kind
// but e-mail needs four digits in a row, e-mail an '@'; an escape may hide
// either, and an Aadhaar key may hold a number written oddly.
func mayNeedRedaction(data []byte, kinds Kind) bool {
	if bytes.IndexByte(data, '\\') >= 0 || kinds&Email != 0 && bytes.IndexByte(data, '@') >= 0 {
		return true
	}
	if kinds&^Email != 0 && mayHoldNumber(data) {
		return true
	}
	if kinds&Aadhaar != 0 {
		for i := 0; i+2 < len(data); i++ {
			switch data[i] | 0x20 {
			case 'a':
				if data[i+1]|0x20 == 'a' && data[i+2]|0x20 == 'd' {
					return true
				}
			case 'u':
				if data[i+1]|0x20 == 'i' && data[i+2]|0x20 == 'd' {
					return true
				}
			}
		}
	}
	return false
}

// stringEnd returns the index just past the string token starting at i
// (the end of data when it is not closed).
func stringEnd(data []byte, i int) int {
	for k := i + 1; k < len(data); k++ {
		switch data[k] {
		case '\\':
			k++
		case '"':
			return k + 1
		}
	}
	return len(data)
}

func skipSpace(data []byte, j int) int {
	for j < len(data) && (data[j] == ' ' || data[j] == '\t' || data[j] == '\n' || data[j] == '\r') {
		j++
	}
	return j
}

// keyClassOfToken classifies a key given as its string token.
func keyClassOfToken(tok []byte) keyClass {
	if bytes.IndexByte(tok, '\\') < 0 {
		if len(tok) < 2 {
			return notPersonal
		}
		return classOf(tok[1 : len(tok)-1])
	}
	var k string
	if json.Unmarshal(tok, &k) != nil {
		return notPersonal
	}
	return classOf(k)
}

// redactString redacts a string token; ok false when it stays as it is.
func redactString(tok []byte, kinds Kind, underAadhaarKey bool) ([]byte, bool) {
	if len(tok) < 2 || tok[len(tok)-1] != '"' {
		return nil, false // not closed
	}
	escaped := bytes.IndexByte(tok, '\\') >= 0
	if !escaped && !underAadhaarKey {
		// The masks add only letters and digits: nothing to escape.
		out, ok := appendMaskedText(nil, tok[1:len(tok)-1], kinds)
		if !ok {
			return nil, false
		}
		return append(append([]byte{'"'}, out...), '"'), true
	}
	var s string
	if !escaped {
		s = string(tok[1 : len(tok)-1])
	} else if json.Unmarshal(tok, &s) != nil {
		return nil, false
	}
	m := s
	if underAadhaarKey {
		m = maskAadhaarDigits(m)
	}
	if m = TextOf(m, kinds); m == s {
		return nil, false
	}
	if !escaped {
		return append(append([]byte{'"'}, m...), '"'), true
	}
	b, _ := json.Marshal(m)
	return b, true
}

// maskAadhaarDigits keeps only the last four digits of a value under an
// Aadhaar key that has more than four: a number written with digits and
// separators becomes "XXXXXXXX1234"; any other text is masked whole.
func maskAadhaarDigits(s string) string {
	digits := 0
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			digits++
		}
	}
	if digits <= 4 {
		return s
	}
	return maskAadhaarValue(s)
}

// redactNumber turns a number token that is an Aadhaar number, or any
// number of more than four digits under an Aadhaar key, into a masked
// string.
func redactNumber(tok []byte, underAadhaarKey bool) ([]byte, bool) {
	digits := 0
	for _, c := range tok {
		if isDigit(c) {
			digits++
		}
	}
	switch {
	case underAadhaarKey && digits > 4:
	case len(tok) == 12 && digits == 12 && tok[0] >= '2' && verhoeffValid(tok):
	default:
		return nil, false
	}
	b := append(make([]byte, 0, 14), `"XXXXXXXX`...)
	return append(appendLastDigits(b, string(tok), Aadhaar), '"'), true
}
