package ingest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func TestValidate(t *testing.T) {
	at := now.Add(-time.Hour)
	ev := func(typ, data string, mut ...func(*Event)) Event {
		e := Event{ID: "e-1", Type: typ, CustomerID: "C-1", DeviceID: "d-1", At: at, Data: json.RawMessage(data)}
		for _, m := range mut {
			m(&e)
		}
		return e
	}
	cases := []struct {
		name string
		ev   Event
		want string // "" valid, else a substring of the reason
	}{
		{"sms", ev("sms", `{"sender":"VM-HDFCBK","body":"Rs 10 debited"}`), ""},
		{"sms without body", ev("sms", `{"sender":"VM-HDFCBK"}`), "data.body is required"},
		{"sms with unknown field", ev("sms", `{"sender":"x","body":"y","z":1}`), "schema"},
		{"sms body too long", ev("sms", fmt.Sprintf(`{"sender":"x","body":%q}`, strings.Repeat("a", MaxSMSBody+1))), "longer than"},
		{"device_apps", ev("device_apps", `{"packages":["com.a"]}`), ""},
		{"device_apps empty list", ev("device_apps", `{"packages":[]}`), ""},
		{"device_apps without device", ev("device_apps", `{"packages":[]}`, func(e *Event) { e.DeviceID = "" }), "device_id is required"},
		{"device_apps packages not a list", ev("device_apps", `{"packages":"com.a"}`), "must be"},
		{"app_event", ev("app_event", `{"name":"click","screen":"kyc","element":"submit","props":{"x":1}}`), ""},
		{"app_event without name", ev("app_event", `{"screen":"kyc"}`), "data.name"},
		{"dpd_changed", ev("dpd_changed", `{"loan_id":"l1","dpd":31}`), ""},
		{"dpd_changed negative", ev("dpd_changed", `{"dpd":-1}`), "non-negative"},
		{"dpd_changed missing", ev("dpd_changed", `{"loan_id":"l1"}`), "data.dpd is required"},
		{"application_created not an object", ev("application_created", `[1]`), "JSON object"},
		{"unknown type", ev("telepathy", `{}`), "unknown type"},
		{"no type", ev("", `{}`), "type is required"},
		{"bad id", ev("sms", `{"sender":"x","body":"y"}`, func(e *Event) { e.ID = "a/b" }), "id must be"},
		{"no customer", ev("sms", `{"sender":"x","body":"y"}`, func(e *Event) { e.CustomerID = "" }), "customer_id"},
		{"no time", ev("sms", `{"sender":"x","body":"y"}`, func(e *Event) { e.At = time.Time{} }), "at is required"},
		{"future", ev("sms", `{"sender":"x","body":"y"}`, func(e *Event) { e.At = now.Add(2 * time.Hour) }), "future"},
		{"null data", ev("sms", `null`), "data is required"},
	}
	for _, c := range cases {
		got := Validate(&c.ev, now)
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("%s: Validate = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestCheckBounds(t *testing.T) {
	mk := func(n int) []Event {
		evs := make([]Event, n)
		for i := range evs {
			evs[i] = Event{ID: fmt.Sprint("e", i), Type: "app_event", CustomerID: "C-1", At: now, Data: json.RawMessage(`{"name":"x"}`)}
		}
		return evs
	}
	if _, err := Check(mk(0), now); err == nil {
		t.Error("an empty batch was accepted")
	}
	if _, err := Check(mk(MaxBatch+1), now); err == nil {
		t.Errorf("a batch of %d was accepted, limit %d", MaxBatch+1, MaxBatch)
	}
	b, err := Check(mk(MaxBatch), now)
	if err != nil || len(b.Accepted) != MaxBatch {
		t.Fatalf("a full batch: %d accepted, %v", len(b.Accepted), err)
	}
	if !b.Accepted[0].ReceivedAt.Equal(now) {
		t.Errorf("received_at %v, want %v", b.Accepted[0].ReceivedAt, now)
	}
	dup := mk(3)
	dup[2].ID = dup[0].ID
	if _, err := Check(dup, now); err == nil || !strings.Contains(err.Error(), "repeats") {
		t.Errorf("a repeated id: %v, want an error saying it repeats", err)
	}
	big := mk(20)
	for i := range big {
		big[i].Data = json.RawMessage(`{"name":"` + strings.Repeat("x", 60<<10) + `"}`)
	}
	if _, err := Check(big, now); err == nil {
		t.Error("a batch of 1.2 MB of data was accepted")
	}
}

// FuzzValidate checks that no input makes validation panic and that what
// it accepts is an event the consumers can read.
func FuzzValidate(f *testing.F) {
	f.Add("sms", `{"sender":"VM-HDFCBK","body":"Rs 10 debited"}`)
	f.Add("device_apps", `{"packages":["com.a"]}`)
	f.Add("app_event", `{"name":"click"}`)
	f.Add("dpd_changed", `{"dpd":3}`)
	f.Fuzz(func(t *testing.T, typ, data string) {
		ev := Event{ID: "e", Type: typ, CustomerID: "C", DeviceID: "d", At: now, Data: json.RawMessage(data)}
		if Validate(&ev, now) != "" {
			return
		}
		if typ == TypeSMS {
			var d SMS
			if err := json.Unmarshal(ev.Data, &d); err != nil || d.Body == "" {
				t.Fatalf("accepted sms data %q does not decode: %v", data, err)
			}
		}
		if _, err := json.Marshal(&ev); err != nil {
			t.Fatalf("accepted event does not encode: %v", err)
		}
	})
}

func TestPeekType(t *testing.T) {
	for _, typ := range Types() {
		b, err := json.Marshal(&Event{ID: "e-1", Type: typ, CustomerID: "C-1", At: now, Data: json.RawMessage(`{"type":"decoy"}`)})
		if err != nil {
			t.Fatal(err)
		}
		if got := PeekType(b); got != typ {
			t.Errorf("PeekType(%s) = %q, want %q", b, got, typ)
		}
	}
	for _, s := range []string{`{}`, `{"type":"sms"}`, `not json`, `{"id":"x","type":"sm`} {
		if got := PeekType([]byte(s)); got != "" {
			t.Errorf("PeekType(%s) = %q, want \"\" (cannot tell)", s, got)
		}
	}
}
