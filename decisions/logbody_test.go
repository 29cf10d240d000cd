package decisions

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/pii"
)

// TestAppendBodyMatchesEncodingJSON: the hand-built log body is byte for
// byte what encoding/json makes of Body, for every kind of feature value.
func TestAppendBodyMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	values := []any{nil, true, false, int64(-42), 7, "salaried", `quote " and \ back`, "<b>&amp;</b>", "ünïcödé", "tab\there",
		0.0, 643.0, 0.0411, -0.5, 1e-6, 9.99e-7, 1e20, 1e21, 1.5e300, -2.5e-9, math.MaxFloat64, math.SmallestNonzeroFloat64,
		[]string{"a", "b"}, time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), "PAN ABCDE1234F", []string{"ok", "2345 6789 0124"}}
	obs := make([]features.Observation, len(values))
	used := make([]FeatureUsed, len(values))
	for i, v := range values {
		obs[i] = features.Observation{Name: "f_" + string(rune('a'+i)), Value: v, Age: time.Duration(i) * 1500 * time.Microsecond, State: features.State("present")}
		used[i] = FeatureUsed{Name: obs[i].Name, Value: pii.Any(v), AgeMS: obs[i].Age.Milliseconds(), State: "present"}
	}
	resp := []byte(`{"decision_id":"dec_1","outcome":"approve"}`)
	in := map[string]any{"amount": 20000, "pan_hash": "PAN1", "note": "x", "aadhar_no": "234567890124",
		"refs": []any{map[string]any{"mobile_no": "9876543210"}}, "remark": "mail ravi@example.com"}
	got, err := appendBodyOf(nil, resp, in, obs, "abc123", 101, 129)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(Body{Response: resp, Input: pii.Map(in), Features: used, RequestHash: "abc123", FetchUS: 101, EvalUS: 129})
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("body differs from encoding/json:\n got %s\nwant %s", got, want)
	}
	for _, raw := range []string{"234567890124", "9876543210", "ravi@", "ABCDE1234F", "2345 6789 0124"} {
		if strings.Contains(string(got), raw) {
			t.Errorf("log body holds %q: %s", raw, got)
		}
	}
	for _, masked := range []string{`"aadhar_no":"XXXXXXXX0124"`, `"mobile_no":"XXXXXX3210"`, `"mail XXXX@example.com"`, `"PAN XXXXXX234F"`, `"XXXXXXXX0124"]`} {
		if !strings.Contains(string(got), masked) {
			t.Errorf("log body lacks %s: %s", masked, got)
		}
	}
	if _, err := appendBodyOf(nil, resp, in, []features.Observation{{Name: "bad", Value: math.NaN()}}, "h", 0, 0); err == nil {
		t.Fatal("a NaN value was encoded without an error")
	}
}
