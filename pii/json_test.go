package pii

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// storageKinds is what ingest removes from events.
const storageKinds = Aadhaar | PAN | Mobile | Email

func TestRedactJSON(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"sender":"VM-HDFCBK","body":"Aadhaar 2345 6789 0124 linked"}`, `{"sender":"VM-HDFCBK","body":"Aadhaar XXXXXXXX0124 linked"}`},
		{`{"name":"kyc_submit","props":{"id_number":234567890124,"n":3}}`, `{"name":"kyc_submit","props":{"id_number":"XXXXXXXX0124","n":3}}`},
		{`{"props": {"aadhaar_no" : "2345.6789.0123", "aadhaar_last4": "0123"}}`, `{"props": {"aadhaar_no" : "XXXXXXXX0123", "aadhaar_last4": "0123"}}`},
		{`{"uid":234567890123}`, `{"uid":"XXXXXXXX0123"}`},
		{`{"body":"line one\nPAN ABCDE1234F, call +91 98765 43210 or a@b.in"}`, `{"body":"line one\nPAN XXXXXX234F, call XXXXXX3210 or XXXX@b.in"}`},
		{`["` + aadhaar + `", "` + aadhaar2 + `"]`, `["XXXXXXXX0124", "XXXXXXXX1012"]`},
		{`{"body":"\u0032345 6789 0124"}`, `{"body":"XXXXXXXX0124"}`},
		{`{"body":"Ref ` + aadhaar + ` \u003cb\u003e"}`, `{"body":"Ref XXXXXXXX0124 \u003cb\u003e"}`},
		{`{"x":"` + aadhaar, `{"x":"` + aadhaar}, // not closed: left alone
	} {
		got := RedactJSON([]byte(tc.in), storageKinds)
		if string(got) != tc.want {
			t.Errorf("RedactJSON(%s)\n got %s\nwant %s", tc.in, got, tc.want)
		}
		if again := RedactJSON(got, storageKinds); string(again) != string(got) {
			t.Errorf("RedactJSON is not idempotent on %s: %s", got, again)
		}
		if json.Valid([]byte(tc.in)) && !json.Valid(got) {
			t.Errorf("RedactJSON(%s) = %s is not JSON", tc.in, got)
		}
	}
}

func TestRedactJSONKeeps(t *testing.T) {
	for _, in := range []string{
		`{"sender":"VM-HDFCBK","body":"Rs.5000 credited to A/c XX1234 on 04-12-26. Avl Bal Rs 150000.50. Txn 20261111001"}`,
		`{"name":"screen_view","screen":"offer","props":{"amount":150000,"at":1764131400,"pincode":"560001","ifsc":"HDFC0001234","customer":"C00000004"}}`,
		`{"packages":["com.whatsapp","in.amazon.mShop.android.shopping"]}`,
		`{"loan_id":"ln_01kb3x9m2q8r7t6y5w4v3n2p1z","amount":"150000.00","dpd":4,"account":"a/c 50100123456789"}`,
		`{"n":234567890123,"m":-234567890124,"f":234567890124.5}`,
	} {
		got := RedactJSON([]byte(in), storageKinds)
		if !bytes.Equal(got, []byte(in)) {
			t.Errorf("RedactJSON(%s) = %s, want it unchanged", in, got)
		}
	}
	in := []byte(`{"sender":"VM-HDFCBK","body":"Rs.5000 credited to A/c XX1234 on 04-12-26"}`)
	if n := testing.AllocsPerRun(100, func() { _ = RedactJSON(in, storageKinds) }); n != 0 {
		t.Errorf("RedactJSON of an event without personal data allocates %v times, want 0", n)
	}
}

func TestMaskJSON(t *testing.T) {
	in := `{"id":"ev1","data":{"props":{"pan_no":"ABCDE1234F","note":"call 9876543210","items":[{"email":"x@y.in"},"` + aadhaar + `"],"n":5}},"type":"app_event"}`
	got := string(MaskJSON([]byte(in)))
	want := `{"data":{"props":{"items":[{"email":"XXXX@y.in"},"XXXXXXXX0124"],"n":5,"note":"call XXXXXX3210","pan_no":"XXXXXX234F"}},"id":"ev1","type":"app_event"}`
	if got != want {
		t.Fatalf("MaskJSON\n got %s\nwant %s", got, want)
	}
	if again := string(MaskJSON([]byte(got))); again != got {
		t.Fatalf("MaskJSON is not idempotent: %s", again)
	}
	plain := `{"id":"ev1","n":150000.50}`
	if got := MaskJSON([]byte(plain)); string(got) != plain {
		t.Errorf("MaskJSON(%s) = %s, want it unchanged", plain, got)
	}
	if got := string(MaskJSON([]byte(`not json ` + pan))); !strings.Contains(got, "XXXXXX234F") || strings.Contains(got, pan) {
		t.Errorf("MaskJSON of text = %q, want the PAN masked", got)
	}
}
