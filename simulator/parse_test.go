package simulator

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseRecordValues(t *testing.T) {
	t.Parallel()
	line := []byte(` {"customer_id":"C\u00e9-1\n","decided_at":"2026-02-03T04:05:06+05:30","step":"application","extra":[1,{"a":[true,null]}],
		"features":{"i":-42,"f":1.5,"e":2e3,"s":"a\"b\\c","b":false,"n":null,"l":["x","y"],"big":12345678901234567890},
		"input":{"amount":50000},"labels":{"default_90d":true,"fraud":false,"other":1}} `)
	var r Record
	if err := ParseRecord(line, &r, nil); err != nil {
		t.Fatal(err)
	}
	if r.CustomerID != "Cé-1\n" || r.Step != "application" || !r.DecidedAt.Equal(time.Date(2026, 2, 2, 22, 35, 6, 0, time.UTC)) {
		t.Errorf("header = %q %q %v", r.CustomerID, r.Step, r.DecidedAt)
	}
	want := map[string]any{"i": int64(-42), "f": 1.5, "e": 2000.0, "s": `a"b\c`, "b": false, "n": nil, "big": 1.2345678901234567e19}
	for k, w := range want {
		if got := r.Features[k]; got != w {
			t.Errorf("feature %s = %#v, want %#v", k, got, w)
		}
	}
	if l, _ := r.Features["l"].([]string); !slices.Equal(l, []string{"x", "y"}) {
		t.Errorf("feature l = %#v, want [x y]", r.Features["l"])
	}
	if r.Input["amount"] != int64(50000) || !r.Labels.Default90d || r.Labels.Fraud {
		t.Errorf("input %v labels %+v", r.Input, r.Labels)
	}
}

func TestParseRecordErrors(t *testing.T) {
	t.Parallel()
	for _, line := range []string{
		``, `[]`, `{"customer_id":"C1"}`, `{"decided_at":"2026-01-01T00:00:00Z"}`,
		`{"customer_id":"C1","decided_at":"yesterday"}`, `{"customer_id":"C1","decided_at":"2026-01-01T00:00:00Z"} x`,
		`{"customer_id":"C1","decided_at":"2026-01-01T00:00:00Z","features":{"a":}}`, `{"customer_id":"C1" "x":1}`,
		`{"customer_id":"C1","decided_at":"2026-01-01T00:00:00Z","labels":{"fraud":"yes"}}`, `{"customer_id":"C\x01"}`,
	} {
		var r Record
		if err := ParseRecord([]byte(line), &r, nil); err == nil {
			t.Errorf("ParseRecord(%q) = nil error, want an error", line)
		}
	}
}

// FuzzParseRecord: the parser never panics, and whatever valid UTF-8 it
// accepts that encoding/json also reads carries the same customer id.
func FuzzParseRecord(f *testing.F) {
	for _, r := range []string{
		`{"customer_id":"C1","decided_at":"2026-01-01T00:00:00Z","features":{"a":1,"b":[1,"x"]},"input":{}}`,
		`{"customer_id":"C\ud83d\ude00","decided_at":"2026-01-01T00:00:00Z","labels":{"fraud":true}}`,
		string(AppendJSON(nil, ptr(Customer(1, 0)))),
	} {
		f.Add([]byte(r))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		var r Record
		if err := ParseRecord(line, &r, nil); err != nil {
			return
		}
		var std struct {
			CustomerID string `json:"customer_id"`
		}
		if utf8.Valid(line) && json.Unmarshal(line, &std) == nil && std.CustomerID != r.CustomerID {
			t.Fatalf("customer id %q, encoding/json reads %q", r.CustomerID, std.CustomerID)
		}
	})
}

func ptr[T any](v T) *T { return &v }
