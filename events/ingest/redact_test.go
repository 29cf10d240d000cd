package ingest

import (
	"bufio"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/events/sms"
)

func TestCheckRedactsPersonalData(t *testing.T) {
	at := now.Add(-time.Minute)
	evs := []Event{
		{ID: "e1", Type: TypeSMS, CustomerID: "C-1", At: at, Data: json.RawMessage(`{"sender":"AX-UIDAI","body":"Aadhaar 2345 6789 0124 is linked to mobile +91 98765 43210"}`)},
		{ID: "e2", Type: TypeAppEvent, CustomerID: "C-1", At: at, Data: json.RawMessage(`{"name":"kyc_submit","props":{"aadhaar_no":"234567890123","id":234567890124,"nested":[{"pan":"ABCDE1234F","mail":"ravi@example.com"}],"amount":150000}}`)},
		{ID: "e3", Type: TypeAppEvent, CustomerID: "C-1", At: at, Data: json.RawMessage(`{"screen":"kyc","props":{"uid":"2345-6789-0124"}}`)}, // refused: no name
	}
	b, err := Check(evs, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Accepted) != 2 || len(b.Refused) != 1 {
		t.Fatalf("accepted %d, refused %d; want 2 and 1", len(b.Accepted), len(b.Refused))
	}
	want := []string{
		`{"sender":"AX-UIDAI","body":"Aadhaar XXXXXXXX0124 is linked to mobile XXXXXX3210"}`,
		`{"name":"kyc_submit","props":{"aadhaar_no":"XXXXXXXX0123","id":"XXXXXXXX0124","nested":[{"pan":"XXXXXX234F","mail":"XXXX@example.com"}],"amount":150000}}`,
	}
	for i, ev := range b.Accepted {
		if string(ev.Data) != want[i] {
			t.Errorf("accepted %s data\n got %s\nwant %s", ev.ID, ev.Data, want[i])
		}
	}
	if got := string(b.Refused[0].Event.Data); got != `{"screen":"kyc","props":{"uid":"XXXXXXXX0124"}}` {
		t.Errorf("refused event data %s; want the Aadhaar number redacted", got)
	}
	var buf []byte
	for _, ev := range b.Accepted {
		if buf, err = Encode(buf[:0], &ev); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(buf), "234567890124") || strings.Contains(string(buf), "2345 6789 0124") {
			t.Errorf("stream encoding of %s holds the Aadhaar number: %s", ev.ID, buf)
		}
	}
}

// TestRedactionKeepsSMSParse: every message of the SMS corpus parses to
// the same kind, amount, institution, account suffix and balance after
// ingest's redaction as before it.
func TestRedactionKeepsSMSParse(t *testing.T) {
	f, err := os.Open("../sms/testdata/corpus.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	n, changed := 0, 0
	for sc.Scan() {
		var l struct{ Sender, Body string }
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatal(err)
		}
		data, _ := json.Marshal(SMS{Sender: l.Sender, Body: l.Body})
		b, err := Check([]Event{{ID: "e", Type: TypeSMS, CustomerID: "C", At: now, Data: data}}, now)
		if err != nil || len(b.Accepted) != 1 {
			t.Fatalf("line %d: %v %+v", n+1, err, b.Refused)
		}
		d, ok := DecodeSMS(b.Accepted[0].Data)
		if !ok {
			t.Fatalf("line %d: redacted data %s does not decode", n+1, b.Accepted[0].Data)
		}
		if d.Body != l.Body {
			changed++
		}
		if got, want := sms.Parse(d.Sender, d.Body), sms.Parse(l.Sender, l.Body); got != want {
			t.Errorf("line %d parses differently once redacted:\n before %+v %q\n after  %+v %q", n+1, want, l.Body, got, d.Body)
		}
		n++
	}
	if n < 300 || changed == 0 {
		t.Fatalf("%d messages, %d changed by redaction; want a corpus whose redaction changes some", n, changed)
	}
	t.Logf("%d messages, %d changed by redaction, all parse the same", n, changed)
}
