package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/simulator"
)

// decideApplication decides the application step for a demo customer as
// the demo's printed example does, and returns the decision.
func decideApplication(d *demoServer, rec simulator.Record, requestID string) map[string]any {
	d.t.Helper()
	input := map[string]any{"amount": rec.Input["amount"], "tenure_months": rec.Input["tenure_months"]}
	for ent, key := range features.EntityInputKeys {
		if id := rec.Entities[ent]; id != "" {
			input[key] = id
		}
	}
	return d.must(http.StatusOK, "POST", "/v1/decisions", "service", "", map[string]any{
		"request_id": requestID, "customer_id": rec.CustomerID, "step": "application", "input": input})
}

func reasonsOf(dec map[string]any) []string {
	var out []string
	for _, r := range dec["reasons"].([]any) {
		out = append(out, r.(string))
	}
	return out
}

// TestDemoBlockedPincode: on the demo service, a customer the shipped
// champion approves is declined with LOCATION_NOT_SERVICEABLE once an
// analyst puts their pincode on blocked_pincodes, and approved again once
// it is taken off; a replay of those decisions reads the list as it was
// at each one (the pincode rule fires for the middle one only).
func TestDemoBlockedPincode(t *testing.T) {
	t.Parallel() // a demo service of its own
	d := startDemo(t)
	start := time.Now().UTC().Add(-time.Second)
	var rec simulator.Record
	var first map[string]any
	for r := range simulator.Customers(demoCustomers, demoSeed) {
		if dec := decideApplication(d, r, "before-"+r.CustomerID); dec["outcome"] == "approve" {
			rec, first = r, dec
			break
		}
	}
	if first == nil {
		t.Fatal("no demo customer is approved at application")
	}
	pincode, _ := rec.Features["pincode"].(string)
	for _, l := range demoLists {
		if slices.Contains(l.values, pincode) {
			t.Fatalf("the demo seeds %s on %s; the demo lists must hold no demo customer's values", pincode, l.name)
		}
	}

	added := d.must(http.StatusOK, "POST", "/v1/lists/blocked_pincodes/entries", "analyst", "",
		map[string]any{"entries": []map[string]any{{"value": pincode, "reason": "test"}}})
	if added["added"] != float64(1) {
		t.Fatalf("adding %s: %v, want added 1", pincode, added)
	}
	blocked := decideApplication(d, rec, "blocked-"+rec.CustomerID)
	if blocked["outcome"] != "decline" || !slices.Contains(reasonsOf(blocked), "LOCATION_NOT_SERVICEABLE") {
		t.Fatalf("%s with pincode %s on blocked_pincodes: %v %v; want decline for LOCATION_NOT_SERVICEABLE",
			rec.CustomerID, pincode, blocked["outcome"], blocked["reasons"])
	}
	d.must(http.StatusNoContent, "DELETE", "/v1/lists/blocked_pincodes/entries/"+url.PathEscape(pincode), "ops", "", nil)
	after := decideApplication(d, rec, "after-"+rec.CustomerID)
	if after["outcome"] != "approve" {
		t.Fatalf("%s after %s is off the list: %v %v; want approve again", rec.CustomerID, pincode, after["outcome"], after["reasons"])
	}

	audit := d.must(http.StatusOK, "GET", "/v1/audit?subject=list/blocked_pincodes", "ops", "", nil)
	var acts []string
	for _, e := range audit["items"].([]any) {
		acts = append(acts, e.(map[string]any)["action"].(string))
	}
	if want := []string{"list.create", "list.add", "list.add", "list.remove"}; !slices.Equal(acts, want) {
		t.Errorf("audit of list/blocked_pincodes: %v, want %v (demo seed, then the test's add and remove)", acts, want)
	}

	// Replay every application decided so far through the champion, once
	// the decision log has shipped the customer's three.
	for deadline := time.Now().Add(30 * time.Second); ; {
		got := d.must(http.StatusOK, "GET", "/v1/decisions?customer_id="+rec.CustomerID, "ops", "", nil)
		if len(got["items"].([]any)) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the decision log holds %d decisions of %s after 30 s, want 3", len(got["items"].([]any)), rec.CustomerID)
		}
		time.Sleep(50 * time.Millisecond)
	}
	pol := first["policy"].(map[string]any)
	ref := fmt.Sprintf("%s@%v", pol["id"], pol["version"])
	job := d.must(http.StatusAccepted, "POST", "/v1/simulations", "analyst", "", map[string]any{
		"baseline": ref, "candidate": ref,
		"dataset": map[string]any{"decision_log": map[string]any{"step": "application",
			"from": start.Format(time.RFC3339Nano), "to": time.Now().UTC().Add(time.Second).Format(time.RFC3339Nano)}}})
	id := job["id"].(string)
	deadline := time.Now().Add(60 * time.Second)
	for job["status"] != "done" {
		if job["status"] == "failed" || time.Now().After(deadline) {
			t.Fatalf("replay: %v", job)
		}
		time.Sleep(50 * time.Millisecond)
		job = d.must(http.StatusOK, "GET", "/v1/simulations/"+id, "analyst", "", nil)
	}
	rep := d.must(http.StatusOK, "GET", "/v1/simulations/"+id+"/report", "analyst", "", nil)
	if n := rep["records"].(float64); n < 3 {
		t.Fatalf("replayed %v decisions, want at least the customer's three", n)
	}
	hits := -1.0
	for _, r := range rep["rules"].([]any) {
		if r := r.(map[string]any); r["id"] == "unserviceable_pincode" {
			hits = r["baseline_hits"].(float64)
		}
	}
	if hits != 1 {
		t.Errorf("replay: unserviceable_pincode fired %v times, want 1 (only the decision made while %s was blocked)", hits, pincode)
	}
}

// TestListsCommand drives `nirnay lists` against the demo service.
func TestListsCommand(t *testing.T) {
	d := startDemo(t)
	t.Setenv("NIRNAY_URL", d.url)
	t.Setenv("NIRNAY_API_KEY", "demo-analyst-key")
	dir := t.TempDir()
	file := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	lists := func(want int, args ...string) string {
		t.Helper()
		code, out, errs := runCapture(t, append([]string{"lists"}, args...)...)
		if code != want {
			t.Fatalf("nirnay lists %v: exit %d (stdout %q, stderr %q); want %d", args, code, out, errs, want)
		}
		return out + errs
	}
	lists(0, "create", "blocked_devices", "--description", "devices seen in fraud")
	out := lists(0, "import", "blocked_devices", file("a.csv", "value,reason\nd-1,ring\nd-2,ring\nd-3,\n"))
	if want := "added 3, updated 0, removed 0, unchanged 0\n"; out != want {
		t.Errorf("import: %q, want %q", out, want)
	}
	replace := file("b.csv", "d-2,ring\nd-4,emulator\n")
	out = lists(0, "import", "blocked_devices", replace, "--mode", "replace", "--dry-run")
	if want := "dry run, nothing changed: would have added 1, updated 0, removed 2, unchanged 1\n  + d-4\n  - d-1\n  - d-3\n"; out != want {
		t.Errorf("dry-run replace: %q, want %q", out, want)
	}
	if out = lists(0, "import", "blocked_devices", replace, "--mode", "replace"); out != "added 1, updated 0, removed 2, unchanged 1\n" {
		t.Errorf("replace: %q", out)
	}
	if out = lists(0, "add", "blocked_devices", "d-5", "d-2", "--reason", "ring"); out != "added 1, updated 0, unchanged 1\n" {
		t.Errorf("add: %q", out)
	}
	if out = lists(0, "rm", "blocked_devices", "d-4"); out != "removed d-4\n" {
		t.Errorf("rm: %q", out)
	}
	out = lists(0, "ls", "blocked_devices")
	if !strings.Contains(out, "d-2") || !strings.Contains(out, "d-5") || strings.Contains(out, "d-4") || strings.Contains(out, "d-1") {
		t.Errorf("ls blocked_devices:\n%s\nwant d-2 and d-5 only", out)
	}
	counts := map[string]string{}
	for _, line := range strings.Split(lists(0, "ls"), "\n") {
		if f := strings.Fields(line); len(f) >= 2 {
			counts[f[0]] = f[1]
		}
	}
	if counts["blocked_devices"] != "2" || counts["blocked_pincodes"] != "3" {
		t.Errorf("ls: entry counts %v; want blocked_devices 2 and the demo's blocked_pincodes 3", counts)
	}

	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"import", "blocked_devices", file("bad.csv", "d-6\n,no value\n")}, "line 2: value is empty (400 Bad Request)"},
		{[]string{"import", "nope", replace}, "404"},
		{[]string{"import", "blocked_devices", replace, "--mode", "merge"}, "--mode"},
		{[]string{"import", "blocked_devices", filepath.Join(dir, "missing.csv")}, "no such file"},
		{[]string{"add", "blocked_devices", "d-7", "--key", "demo-approver-key"}, "403"},
		{[]string{"add", "blocked_devices", "d-7", "--url", "ftp://x"}, "--url"},
	} {
		if out := lists(1, c.args...); !strings.Contains(out, c.want) {
			t.Errorf("nirnay lists %v: %q, want it to say %q", c.args, out, c.want)
		}
	}
	t.Setenv("NIRNAY_API_KEY", "")
	if out := lists(1, "ls"); !strings.Contains(out, "NIRNAY_API_KEY") {
		t.Errorf("without a key: %q, want it to name NIRNAY_API_KEY", out)
	}
}
