package main

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
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
	if testing.Short() {
		t.Skip("builds the whole demo service")
	}
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
