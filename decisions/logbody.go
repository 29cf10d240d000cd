package decisions

import (
	"encoding/json"
	"math"
	"strconv"

	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/pii"
)

// appendBody appends a decision's log body — the JSON of Body, built by
// hand: it is written for every decision, and the features used are most
// of it. resp is the response JSON, spliced in as it is. Personal data is
// masked (package pii): the input by key and by value, string feature
// values by value, so the log, its segments and the database never hold
// an Aadhaar number, a PAN, a phone number or an e-mail address whole.
func appendBody(dst []byte, d engine.Decision, resp []byte, hash string) ([]byte, error) {
	return appendBodyOf(dst, resp, d.Log.Input, d.Log.Features(), hash, d.Log.FetchNanos/1e3, d.Log.EvalNanos/1e3)
}

func appendBodyOf(dst, resp []byte, in map[string]any, obs []features.Observation, hash string, fetchUS, evalUS int64) ([]byte, error) {
	input, err := json.Marshal(pii.Map(in))
	if err != nil {
		return dst, err
	}
	dst = append(dst, `{"response":`...)
	dst = append(dst, resp...)
	dst = append(dst, `,"input":`...)
	dst = append(dst, input...)
	dst = append(dst, `,"features":[`...)
	for i, o := range obs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"name":`...)
		dst = appendString(dst, o.Name)
		dst = append(dst, `,"value":`...)
		if dst, err = appendValue(dst, maskedFeature(o.Value)); err != nil {
			return dst, err
		}
		dst = append(dst, `,"age_ms":`...)
		dst = strconv.AppendInt(dst, o.Age.Milliseconds(), 10)
		dst = append(dst, `,"state":`...)
		dst = appendString(dst, string(o.State))
		dst = append(dst, '}')
	}
	dst = append(dst, `],"request_hash":`...)
	dst = appendString(dst, hash)
	dst = append(dst, `,"fetch_us":`...)
	dst = strconv.AppendInt(dst, fetchUS, 10)
	dst = append(dst, `,"eval_us":`...)
	dst = strconv.AppendInt(dst, evalUS, 10)
	return append(dst, '}'), nil
}

// redactTrace removes Aadhaar numbers, PANs, mobiles and e-mails from a
// traced answer, whose rules show the values they read (request features
// from the input among them); an answer without a trace holds no input
// and is returned as it is.
func redactTrace(resp []byte, trace bool) []byte {
	if !trace {
		return resp
	}
	return pii.RedactJSON(resp, pii.Aadhaar|pii.PAN|pii.Mobile|pii.Email)
}

// maskedFeature masks personal data in a string (or list) feature value by
// value; other values are returned as they are.
func maskedFeature(v any) any {
	switch v.(type) {
	case string, []string, []any:
		return pii.Any(v)
	}
	return v
}

// appendValue appends a feature value as encoding/json would; the common
// types without reflection.
func appendValue(dst []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case int64:
		return strconv.AppendInt(dst, x, 10), nil
	case int:
		return strconv.AppendInt(dst, int64(x), 10), nil
	case string:
		return appendString(dst, x), nil
	case float64:
		// encoding/json writes plain decimals in this range, exponents
		// outside it (and refuses NaN and infinities).
		if a := math.Abs(x); x == 0 || a >= 1e-6 && a < 1e21 {
			return strconv.AppendFloat(dst, x, 'f', -1, 64), nil
		}
	}
	b, err := json.Marshal(v)
	return append(dst, b...), err
}

// appendString appends s as a JSON string. Strings of plain printable ASCII
// (feature names, states, most values) are copied; others go through
// encoding/json for its escaping.
func appendString(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			b, _ := json.Marshal(s)
			return append(dst, b...)
		}
	}
	dst = append(dst, '"')
	dst = append(dst, s...)
	return append(dst, '"')
}
