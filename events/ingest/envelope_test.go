package ingest

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

func TestEncodeIsJSONMarshal(t *testing.T) {
	at := time.Date(2026, 11, 26, 9, 0, 0, 123456789, time.UTC)
	cases := []Event{
		{ID: "e-1", Type: TypeSMS, CustomerID: "C-1", At: at, ReceivedAt: at.Add(time.Second), Data: json.RawMessage(`{"sender":"VM-HDFCBK","body":"Rs 10 debited \"x\" ₹5 \\ done"}`)},
		{ID: "e:2", Type: TypeDeviceApps, CustomerID: "C.2", DeviceID: "d-9", At: at, Data: json.RawMessage(`{"packages":["a.b","c"]}`)},
		{ID: "e3", Type: TypeAppEvent, CustomerID: "C3", At: at, Data: json.RawMessage("{\"name\": \"click\",\n \"props\": {\"x\": [1, 2]}}")}, // not compact
		{ID: "e4", Type: TypeAppEvent, CustomerID: "C4", At: at, Data: json.RawMessage(`{"name":"a<b>&c"}`)},                                   // escaped by json.Marshal
	}
	for _, ev := range cases {
		got, err := Encode([]byte("prefix"), &ev)
		if err != nil {
			t.Fatalf("%s: %v", ev.ID, err)
		}
		if string(got[:6]) != "prefix" {
			t.Fatalf("%s: Encode did not append to buf: %q", ev.ID, got)
		}
		got = got[6:]
		want, _ := json.Marshal(&ev)
		var g, w any
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("%s: Encode gave invalid JSON %s: %v", ev.ID, got, err)
		}
		json.Unmarshal(want, &w)
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: Encode gave %s, json.Marshal %s", ev.ID, got, want)
		}
		if ev.ID == "e-1" || ev.ID == "e:2" {
			if string(got) != string(want) {
				t.Errorf("%s: Encode gave %s, want json.Marshal's bytes %s", ev.ID, got, want)
			}
		}
		var back Event
		if err := Decode(got, &back); err != nil {
			t.Fatalf("%s: Decode: %v", ev.ID, err)
		}
		var ref Event
		json.Unmarshal(got, &ref)
		if !reflect.DeepEqual(normal(back), normal(ref)) {
			t.Errorf("%s: Decode gave %+v, json.Unmarshal %+v", ev.ID, back, ref)
		}
	}
}

// normal compacts Data so events compare by value.
func normal(ev Event) Event {
	var v any
	json.Unmarshal(ev.Data, &v)
	ev.Data, _ = json.Marshal(v)
	ev.At, ev.ReceivedAt = ev.At.UTC(), ev.ReceivedAt.UTC()
	return ev
}

func TestDecodeOtherLayouts(t *testing.T) {
	cases := map[string]string{
		"keys reordered":           `{"type":"sms","id":"e1","customer_id":"C1","at":"2026-11-26T09:00:00Z","data":{"sender":"s","body":"b"},"received_at":"2026-11-26T09:00:01Z"}`,
		"escaped id":               `{"id":"e\u0031","type":"sms","customer_id":"C1","at":"2026-11-26T09:00:00Z","data":{"sender":"s","body":"b"},"received_at":"2026-11-26T09:00:01Z"}`,
		"received_at inside data":  `{"id":"e1","type":"sms","customer_id":"C1","at":"2026-11-26T09:00:00Z","data":{"sender":"s","body":",\"received_at\":\"x"},"received_at":"2026-11-26T09:00:01Z"}`,
		"offset time":              `{"id":"e1","type":"sms","customer_id":"C1","at":"2026-11-26T14:30:00+05:30","data":{"sender":"s","body":"b"},"received_at":"2026-11-26T09:00:01Z"}`,
		"spaces":                   `{ "id": "e1", "type": "sms", "customer_id": "C1", "at": "2026-11-26T09:00:00Z", "data": {"sender":"s","body":"b"}, "received_at": "2026-11-26T09:00:01Z" }`,
		"no received_at (outside)": `{"id":"e1","type":"sms","customer_id":"C1","at":"2026-11-26T09:00:00Z","data":{"sender":"s","body":"b"}}`,
	}
	for name, in := range cases {
		var got, want Event
		if err := Decode([]byte(in), &got); err != nil {
			t.Errorf("%s: Decode: %v", name, err)
			continue
		}
		json.Unmarshal([]byte(in), &want)
		if !reflect.DeepEqual(normal(got), normal(want)) {
			t.Errorf("%s: Decode gave %+v, want %+v", name, got, want)
		}
	}
	for _, bad := range []string{``, `{`, `[1]`, `{"id":"e1","type":"sms"`} {
		var ev Event
		if err := Decode([]byte(bad), &ev); err == nil {
			t.Errorf("Decode(%q) succeeded, want an error", bad)
		}
	}
}

func TestDecodeSMS(t *testing.T) {
	for in, want := range map[string]SMS{
		`{"sender":"VM-HDFCBK","body":"Rs 10 debited"}`:    {"VM-HDFCBK", "Rs 10 debited"},
		`{"body":"Rs 10\ndebited","sender":"VM-HDFCBK"}`:   {"VM-HDFCBK", "Rs 10\ndebited"},
		`{"sender":"X","body":"a \"quoted\" \u20b9 word"}`: {"X", "a \"quoted\" ₹ word"},
		`{"sender":"X","body":"b","extra":1}`:              {"X", "b"},
	} {
		got, ok := DecodeSMS([]byte(in))
		if !ok || got != want {
			t.Errorf("DecodeSMS(%s) = %+v, %v; want %+v, true", in, got, ok, want)
		}
	}
	if _, ok := DecodeSMS([]byte(`{"sender":1}`)); ok {
		t.Error(`DecodeSMS({"sender":1}) ok, want not ok`)
	}
}

// TestPlainSMSAgreesWithStrict: the fast path of sms validation reads
// exactly what strict decoding reads, and leaves every other input to it.
func TestPlainSMSAgreesWithStrict(t *testing.T) {
	inputs := []string{
		`{"sender":"VM-HDFCBK","body":"Rs 10 debited ₹"}`,
		`{"sender":"VM-HDFCBK","body":"a\nb"}`,
		"{\"sender\":\"X\",\"body\":\"a\x01b\"}",
		"{\"sender\":\"X\",\"body\":\"bad \xff utf8\"}",
		`{"sender":"X","body":"b","z":1}`,
		`{"sender":"X","body":"b"} `,
		`{"body":"b","sender":"X"}`,
		`{"sender":"","body":""}`,
	}
	for _, in := range inputs {
		fast, ok := plainSMS([]byte(in))
		var slow SMS
		reason := strict([]byte(in), &slow)
		if ok && (reason != "" || fast != slow) {
			t.Errorf("plainSMS(%q) = %+v; strict decoding gives %+v, reason %q", in, fast, slow, reason)
		}
	}
	if _, ok := plainSMS([]byte(inputs[0])); !ok {
		t.Errorf("plainSMS(%q) not ok, want the fast path", inputs[0])
	}
}
