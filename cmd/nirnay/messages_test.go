package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/comms"
)

// TestDemoMessage: a payment reminder to a demo customer who prefers
// Hindi is rendered in Hindi, handed to the sandbox once (the outbox file
// of DESIGN §17), and shows in the customer's messages and journey; a
// repeat of its request id is the same message; an unknown template is a
// 422 naming it.
func TestDemoMessage(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	cust := "C00000004"
	d.must(http.StatusOK, "PUT", "/v1/features/customer/"+cust, "service", "", map[string]any{"features": map[string]any{"preferred_language": "hi"}})
	body := map[string]any{"customer_id": cust, "template": "payment-reminder", "request_id": "rem-1",
		"vars": map[string]any{"amount_due": "4,512.00", "due_date": "05-01-2027"}}
	m := d.must(http.StatusAccepted, "POST", "/v1/messages", "service", "", body)
	if m["language"] != "hi" || m["status"] != "queued" || !strings.Contains(m["text"].(string), "https://nirnay.in/l/") {
		t.Fatalf("message %v: want queued, in Hindi, with a personal link", m)
	}
	if again := d.must(http.StatusAccepted, "POST", "/v1/messages", "service", "", body); again["id"] != m["id"] {
		t.Errorf("request rem-1 again made %v, want %v", again["id"], m["id"])
	}
	if status, out := d.call("POST", "/v1/messages", "service", "", map[string]any{"customer_id": cust, "template": "no-such"}); status != http.StatusUnprocessableEntity || out["field"] != "template" {
		t.Errorf("an unknown template: %d %v, want 422 naming template", status, out)
	}
	outbox := filepath.Join(d.svc.cfg.DataDir, comms.SandboxOutbox)
	deadline := time.Now().Add(10 * time.Second)
	for {
		var lines []map[string]string
		if f, err := os.Open(outbox); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var l map[string]string
				json.Unmarshal(sc.Bytes(), &l)
				lines = append(lines, l)
			}
			f.Close()
		}
		if len(lines) == 1 && lines[0]["message_id"] == m["id"] && lines[0]["language"] == "hi" {
			break
		}
		if time.Now().After(deadline) || len(lines) > 1 {
			t.Fatalf("sandbox outbox %v, want the one message", lines)
		}
		time.Sleep(50 * time.Millisecond)
	}
	list := d.must(http.StatusOK, "GET", "/v1/customers/"+cust+"/messages", "ops", "", nil)["items"].([]any)
	if len(list) != 1 {
		t.Errorf("%d messages listed, want 1", len(list))
	}
	found := false
	for _, it := range d.must(http.StatusOK, "GET", "/v1/customers/"+cust+"/journey", "ops", "", nil)["items"].([]any) {
		found = found || it.(map[string]any)["kind"] == "message"
	}
	if !found {
		t.Errorf("the journey shows no message")
	}
}
