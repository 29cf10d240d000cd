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

// TestDemoCampaign: a campaign to three demo customers through the API
// lands once per customer in the sandbox outbox; a click on one's personal
// link counts in the campaign.
func TestDemoCampaign(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	c := d.must(http.StatusCreated, "POST", "/v1/campaigns", "analyst", "", map[string]any{"template": "payment-reminder",
		"audience": map[string]any{"customer_ids": []string{"C00000011", "C00000012", "C00000013", "C00000011"}},
		"vars":     map[string]any{"amount_due": "2,000.00", "due_date": "10-01-2027"}})
	id := c["id"].(string)
	var counts map[string]any
	deadline := time.Now().Add(15 * time.Second)
	for {
		counts = d.must(http.StatusOK, "GET", "/v1/campaigns/"+id, "ops", "", nil)["counts"].(map[string]any)
		if counts["sent"] == float64(3) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("campaign counts %v, want 3 sent", counts)
		}
		time.Sleep(50 * time.Millisecond)
	}
	f, err := os.Open(filepath.Join(d.svc.cfg.DataDir, comms.SandboxOutbox))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	per := map[string]int{}
	var text string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l map[string]string
		json.Unmarshal(sc.Bytes(), &l)
		if l["campaign_id"] == id {
			per[l["customer_id"]]++
			text = l["text"]
		}
	}
	if len(per) != 3 || per["C00000011"] != 1 {
		t.Errorf("outbox lines per customer %v, want one each of three", per)
	}
	tok := text[strings.Index(text, "/l/")+3:]
	tok = tok[:strings.IndexByte(tok, ' ')]
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(d.url + "/l/" + tok)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("GET /l/%s: %d", tok, resp.StatusCode)
	}
	got := d.must(http.StatusOK, "GET", "/v1/campaigns/"+id, "ops", "", nil)
	if got["status"] != "done" || got["counts"].(map[string]any)["clicked"] != float64(1) {
		t.Errorf("campaign after a click: %v, want done with 1 clicked", got)
	}
}

// TestDemoDisbursalNotifies: a loan paid out sends its borrower the
// loan-disbursed message once, after the disbursal committed (the outbox
// relays loan.disbursed, the notifications consumer sends it).
func TestDemoDisbursalNotifies(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	a := applyUntilApproved(d, 40)
	loanID, account := a.loan["id"].(string), a.rec.Entities["bank_account"]
	d.must(http.StatusOK, "POST", "/v1/loans/"+loanID+"/accept", "service", "n-accept",
		map[string]any{"kfs_digest": a.loan["kfs_digest"], "agreed": true, "account_hash": account, "account_verified": true})
	d.must(http.StatusOK, "POST", "/v1/loans/"+loanID+"/disburse", "service", "n-disburse", map[string]any{"account_hash": account})
	outbox := filepath.Join(d.svc.cfg.DataDir, comms.SandboxOutbox)
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := 0
		if f, err := os.Open(outbox); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				var l map[string]string
				json.Unmarshal(sc.Bytes(), &l)
				if l["template"] == "loan-disbursed" && l["customer_id"] == a.rec.CustomerID && strings.Contains(l["text"], loanID) {
					n++
				}
			}
			f.Close()
		}
		if n == 1 {
			break
		}
		if n > 1 || time.Now().After(deadline) {
			t.Fatalf("%d loan-disbursed messages for %s in the outbox, want exactly one", n, loanID)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
