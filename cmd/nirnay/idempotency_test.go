package main

import (
	"net/http"
	"testing"
)

// TestApplicationRequestIDs: a loan application's request_id is scoped to
// its customer, a retry answers the first application, and the same id
// with another body is 409 (it used to answer the first loan).
func TestApplicationRequestIDs(t *testing.T) {
	t.Parallel() // a demo service of its own
	d := startDemo(t)
	body := func(customer, amount string) map[string]any {
		return map[string]any{"request_id": "app-1", "customer_id": customer, "product_id": "personal-loan", "amount": amount,
			"tenure_months": 12, "input": map[string]any{"device_id": "D" + customer[1:]}}
	}
	loanID := func(out map[string]any) string {
		if l, ok := out["loan"].(map[string]any); ok {
			id, _ := l["id"].(string)
			return id
		}
		if id, ok := out["subject_id"].(string); ok {
			return id
		}
		return ""
	}
	s1, first := d.call("POST", "/v1/loans/applications", "service", "", body("C00000004", "50000"))
	s2, again := d.call("POST", "/v1/loans/applications", "service", "", body("C00000004", "50000"))
	if id := loanID(first); id == "" || loanID(again) != id || s2 != s1 {
		t.Fatalf("retry: %d %v then %d %v; want the same application", s1, first, s2, again)
	}
	if got, out := d.call("POST", "/v1/loans/applications", "service", "", body("C00000004", "60000")); got != http.StatusConflict {
		t.Errorf("same request_id, another amount: %d %v; want 409", got, out)
	}
	if _, other := d.call("POST", "/v1/loans/applications", "service", "", body("C00000005", "50000")); loanID(other) == "" || loanID(other) == loanID(first) {
		t.Errorf("the same request_id for another customer: %v; want an application of its own", other)
	}
}
