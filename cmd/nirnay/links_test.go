package main

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/nirnay/nirnay/comms/links"
)

// TestDemoTrackedLink: opening a customer's personal link redirects to its
// target without a key, and the click shows in the customer's journey and
// features; a tampered token is a 404 like an unknown one.
func TestDemoTrackedLink(t *testing.T) {
	t.Parallel()
	d := startDemo(t)
	l, err := d.svc.links.Create(context.Background(), links.Link{CustomerID: "C00000004", CampaignID: "cmp_demo", Target: "https://nirnay.in/offer"})
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	open := func(token string) (int, string, string) {
		resp, err := client.Get(d.url + "/l/" + token)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Location"), string(b)
	}
	if status, loc, _ := open(l.Token); status != http.StatusFound || loc != "https://nirnay.in/offer" {
		t.Fatalf("GET /l/%s: %d to %q, want 302 to the target", l.Token, status, loc)
	}
	tampered := "Z" + l.Token[1:]
	if l.Token[0] == 'Z' {
		tampered = "Y" + l.Token[1:]
	}
	s1, _, b1 := open(tampered)
	s2, _, b2 := open("0000000000")
	if s1 != http.StatusNotFound || s2 != http.StatusNotFound || len(b1) != len(b2) {
		t.Errorf("a tampered token: %d %s; an unknown one: %d %s; want the same 404", s1, b1, s2, b2)
	}
	f := d.must(http.StatusOK, "GET", "/v1/features/customer/C00000004", "ops", "", nil)["features"].(map[string]any)
	if f["comms_clicks_7d"] != float64(1) || f["last_click_at"] == nil {
		t.Errorf("features after the click: comms_clicks_7d %v, last_click_at %v; want 1 and set", f["comms_clicks_7d"], f["last_click_at"])
	}
	clicks := 0
	for _, it := range d.must(http.StatusOK, "GET", "/v1/customers/C00000004/journey", "ops", "", nil)["items"].([]any) {
		if m := it.(map[string]any); m["kind"] == "click" && m["summary"].(map[string]any)["campaign_id"] == "cmp_demo" {
			clicks++
		}
	}
	if clicks != 1 {
		t.Errorf("the journey shows %d clicks of the campaign, want 1", clicks)
	}
}
