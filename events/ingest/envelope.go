package ingest

import (
	"bytes"
	"encoding/json"
	"time"
	"unicode/utf8"
)

// The stream carries each event as the JSON object json.Marshal writes for
// an Event (keys in struct order: id, type, customer_id, device_id when set,
// at, data, received_at). Encode writes that same text without reflection
// and Decode reads it back without scanning the data, so the consumers
// (several groups read every message) pay for the envelope only once per
// group and only for the few fields they use. Both fall back to
// encoding/json for anything outside the fast path, so any JSON encoding of
// an Event decodes, and the stream format is unchanged.

// Encode appends ev's stream encoding to buf: the same JSON object
// json.Marshal(ev) gives (data compacted; <, > and & in data are not
// escaped, which changes no value). ev must have passed Validate: its data
// is then valid JSON, which Encode does not check again on the fast path.
func Encode(buf []byte, ev *Event) ([]byte, error) {
	if !ValidID(ev.ID) || !ValidID(ev.CustomerID) || (ev.DeviceID != "" && !ValidID(ev.DeviceID)) || !plainString(ev.Type) ||
		!encodableTime(ev.At) || !encodableTime(ev.ReceivedAt) || !compactJSON(ev.Data) {
		b, err := json.Marshal(ev)
		if err != nil {
			return buf, err
		}
		return append(buf, b...), nil
	}
	buf = append(buf, `{"id":"`...)
	buf = append(buf, ev.ID...)
	buf = append(buf, `","type":"`...)
	buf = append(buf, ev.Type...)
	buf = append(buf, `","customer_id":"`...)
	buf = append(buf, ev.CustomerID...)
	if ev.DeviceID != "" {
		buf = append(buf, `","device_id":"`...)
		buf = append(buf, ev.DeviceID...)
	}
	buf = append(buf, `","at":"`...)
	buf = ev.At.AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","data":`...)
	buf = append(buf, ev.Data...)
	buf = append(buf, `,"received_at":"`...)
	buf = ev.ReceivedAt.AppendFormat(buf, time.RFC3339Nano)
	return append(buf, `"}`...), nil
}

// encodableTime reports whether t's RFC 3339 text is what json.Marshal
// writes for it (years 0–9999).
func encodableTime(t time.Time) bool {
	y := t.Year()
	return y >= 0 && y <= 9999
}

// plainString reports whether s needs no JSON escaping.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// compactJSON reports whether data, an object or array that Validate has
// already decoded, has no whitespace outside strings (so it can be written
// as is). It answers false for anything it is unsure of; the caller then
// lets encoding/json compact (and check) it.
func compactJSON(data []byte) bool {
	if len(data) == 0 || (data[0] != '{' && data[0] != '[') {
		return false
	}
	inString := false
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch {
			case c == '\\':
				i++
			case c == '"':
				inString = false
			case c < 0x20:
				return false
			}
			continue
		}
		switch c {
		case '"':
			inString = true
		case ' ', '\t', '\r', '\n':
			return false
		}
	}
	last := data[len(data)-1]
	return !inString && (last == '}' || last == ']')
}

// Decode reads an event as encoded on the stream into ev (Raw is left
// alone). It returns an error when data is not an event's JSON encoding.
// The fast path applies to what Encode writes; data is then a sub-slice of
// the input, not checked here (handlers decode it and refuse what they
// cannot read).
func Decode(data []byte, ev *Event) error {
	if decodeFast(data, ev) {
		return nil
	}
	*ev = Event{}
	return json.Unmarshal(data, ev)
}

// decodeFast parses Encode's layout; false when data is laid out otherwise.
func decodeFast(data []byte, ev *Event) bool {
	rest, ok := data, false
	var e Event
	if e.ID, rest, ok = stringField(rest, `{"id":"`); !ok {
		return false
	}
	if e.Type, rest, ok = stringField(rest, `,"type":"`); !ok {
		return false
	}
	if e.CustomerID, rest, ok = stringField(rest, `,"customer_id":"`); !ok {
		return false
	}
	if bytes.HasPrefix(rest, []byte(`,"device_id":"`)) {
		if e.DeviceID, rest, ok = stringField(rest, `,"device_id":"`); !ok {
			return false
		}
	}
	var at string
	if at, rest, ok = stringField(rest, `,"at":"`); !ok {
		return false
	}
	const dataKey, recKey = `,"data":`, `,"received_at":"`
	if !bytes.HasPrefix(rest, []byte(dataKey)) || !bytes.HasSuffix(rest, []byte(`"}`)) {
		return false
	}
	rest = rest[len(dataKey):]
	// The last `,"received_at":"` is the envelope's: only the time and `"}`
	// follow it, which cannot contain it.
	k := bytes.LastIndex(rest, []byte(recKey))
	if k <= 0 {
		return false
	}
	rec := rest[k+len(recKey) : len(rest)-2]
	if bytes.IndexByte(rec, '"') >= 0 || bytes.IndexByte(rec, '\\') >= 0 {
		return false
	}
	var err error
	if e.At, err = time.Parse(time.RFC3339Nano, at); err != nil {
		return false
	}
	if e.ReceivedAt, err = time.Parse(time.RFC3339Nano, string(rec)); err != nil {
		return false
	}
	e.Data = json.RawMessage(rest[:k:k])
	e.Raw = ev.Raw
	*ev = e
	return true
}

// stringField reads key (which ends in the opening quote) and a string
// without escapes; ok false when data does not start so.
func stringField(data []byte, key string) (string, []byte, bool) {
	if !bytes.HasPrefix(data, []byte(key)) {
		return "", data, false
	}
	data = data[len(key):]
	for i := 0; i < len(data); i++ {
		switch c := data[i]; {
		case c == '"':
			return string(data[:i]), data[i+1:], true
		case c == '\\' || c < 0x20:
			return "", data, false
		}
	}
	return "", data, false
}

// plainSMS reads sms data laid out exactly {"sender":"…","body":"…"} with
// no escapes and valid UTF-8 (what strict decoding would give for it); ok
// false for any other layout, which the caller decodes strictly.
func plainSMS(data []byte) (SMS, bool) {
	var d SMS
	rest, ok := data, false
	if d.Sender, rest, ok = stringField(rest, `{"sender":"`); !ok {
		return SMS{}, false
	}
	if d.Body, rest, ok = stringField(rest, `,"body":"`); !ok || string(rest) != "}" {
		return SMS{}, false
	}
	if !utf8.ValidString(d.Sender) || !utf8.ValidString(d.Body) {
		return SMS{}, false
	}
	return d, true
}

// DecodeSMS reads an sms event's data ({"sender", "body"}); ok false when
// it is not such an object. Unknown keys are ignored (ingest refuses them).
func DecodeSMS(data []byte) (SMS, bool) {
	// The common layout, without escapes, is read directly.
	if d, ok := plainSMS(data); ok {
		return d, true
	}
	var d SMS
	if err := json.Unmarshal(data, &d); err != nil {
		return SMS{}, false
	}
	return d, true
}
