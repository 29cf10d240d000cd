package decisionlog

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"
)

func TestLineRoundTrip(t *testing.T) {
	r := &Record{ID: "dec_1", RequestID: "r\t1", CustomerID: "C", Step: "kyc", Outcome: "review", PolicyID: "p",
		PolicyVersion: 2, Role: "champion", Score: -5, DecidedAt: time.Date(2026, 11, 26, 1, 2, 3, 4000, time.UTC),
		Rules: []string{"a", "b"}, Body: json.RawMessage(`{"response":{"x":"tab\there"},"n":[1,2]}`)}
	line, err := encodeLine(r)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Count(line, []byte{'\n'}) != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("line %q: want exactly one trailing newline", line)
	}
	got, err := decodeLine(line[:len(line)-1])
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != r.ID || got.RequestID != r.RequestID || !got.DecidedAt.Equal(r.DecidedAt) || string(got.Body) != string(r.Body) || len(got.Rules) != 2 {
		t.Fatalf("round trip: got %+v, want %+v", got, r)
	}
	// Any single-byte change is detected.
	for i := 0; i < len(line)-1; i++ {
		bad := bytes.Clone(line[:len(line)-1])
		bad[i] ^= 0x01
		if _, err := decodeLine(bad); err == nil {
			t.Fatalf("corruption at byte %d not detected", i)
		}
	}
}

func FuzzDecodeLine(f *testing.F) {
	r := &Record{ID: "dec_1", Body: json.RawMessage(`{"a":1}`)}
	line, _ := encodeLine(r)
	f.Add(line[:len(line)-1])
	f.Add([]byte("00000000 {}\tnull"))
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := decodeLine(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to a line that decodes the same.
		again, err := encodeLine(got)
		if err != nil {
			return // a body that is not JSON is not ours to re-encode
		}
		if _, err := decodeLine(again[:len(again)-1]); err != nil {
			t.Fatalf("re-encoded line does not decode: %v", err)
		}
	})
}
