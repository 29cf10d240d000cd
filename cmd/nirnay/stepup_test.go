package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestDemoStepUpCompletion walks the step-up journey on the shipped
// policies: a login from a new device asks for an OTP; the app reports it
// passed; the next login is approved, while a disbursal (another step)
// still asks for its own OTP. Reports for the wrong action, the wrong
// decision or with the other result are refused.
func TestDemoStepUpCompletion(t *testing.T) {
	t.Parallel() // a demo service of its own
	d := startDemo(t)
	login := map[string]any{"customer_id": "C00000004", "step": "login", "input": map[string]any{"device_id": "D00000004"}}
	first := d.must(http.StatusOK, "POST", "/v1/decisions", "service", "", login)
	if first["outcome"] != "step_up" || !slices.Equal(strs(first["actions"]), []string{"otp"}) {
		t.Fatalf("login from a new device: %v; want step_up asking for otp", first)
	}
	id := first["decision_id"].(string)
	report := func(decision, action, result string) (int, map[string]any) {
		return d.call("POST", "/v1/decisions/"+decision+"/step-up", "service", "", map[string]any{"action": action, "result": result})
	}
	for _, tt := range []struct {
		decision, action, result string
		want                     int
	}{
		{id, "selfie", "passed", http.StatusConflict}, // not asked for
		{id, "otp", "maybe", http.StatusBadRequest},   // not a result
		{"dec_unknown", "otp", "passed", http.StatusNotFound},
	} {
		if got, out := report(tt.decision, tt.action, tt.result); got != tt.want {
			t.Errorf("report %s %s %s: status %d, want %d (%v)", tt.decision, tt.action, tt.result, got, tt.want, out)
		}
	}
	got, rep := report(id, "otp", "passed")
	if got != http.StatusOK || rep["result"] != "passed" || rep["step"] != "login" || rep["customer_id"] != "C00000004" {
		t.Fatalf("report passed otp: %d %v", got, rep)
	}
	if got, again := report(id, "otp", "passed"); got != http.StatusOK || again["reported_at"] != rep["reported_at"] {
		t.Errorf("the same report again: %d %v; want the first report (%v)", got, again, rep["reported_at"])
	}
	if got, out := report(id, "otp", "failed"); got != http.StatusConflict {
		t.Errorf("the other result for a reported otp: %d %v; want 409", got, out)
	}

	second := d.must(http.StatusOK, "POST", "/v1/decisions", "service", "", login)
	if second["outcome"] != "approve" {
		t.Fatalf("login after the otp was passed: %v; want approve", second)
	}
	if got, out := report(second["decision_id"].(string), "otp", "passed"); got != http.StatusConflict {
		t.Errorf("a report for an approved decision: %d %v; want 409", got, out)
	}
	disb := d.must(http.StatusOK, "POST", "/v1/decisions", "service", "", map[string]any{"customer_id": "C00000004", "step": "disbursal",
		"input": map[string]any{"device_id": "D00000004", "account_hash": "BA00000004", "account_verified": true}})
	if disb["outcome"] != "step_up" || !slices.Equal(strs(disb["actions"]), []string{"otp"}) {
		t.Fatalf("disbursal after a login otp: %v; want its own otp step-up", disb)
	}

	// Three failed challenges in an hour decline the next disbursal at
	// once (the failures count in the request that reports them).
	disbInput := map[string]any{"customer_id": "C00000004", "step": "disbursal",
		"input": map[string]any{"device_id": "D00000004", "account_hash": "BA00000004", "account_verified": true}}
	for i := 0; i < 3; i++ {
		dd := d.must(http.StatusOK, "POST", "/v1/decisions", "service", "", disbInput)
		if got, out := report(dd["decision_id"].(string), "otp", "failed"); got != http.StatusOK {
			t.Fatalf("report failed otp %d: %d %v", i, got, out)
		}
	}
	if last := d.must(http.StatusOK, "POST", "/v1/decisions", "service", "", disbInput); last["outcome"] != "decline" ||
		!slices.Equal(strs(last["reasons"]), []string{"TOO_MANY_FAILED_CHALLENGES"}) {
		t.Errorf("disbursal right after three failed challenges: %v; want declined for them", last)
	}

	journey := d.must(http.StatusOK, "GET", "/v1/customers/C00000004/journey", "ops", "", nil)
	found := false
	for _, it := range journey["items"].([]any) {
		it := it.(map[string]any)
		if it["kind"] == "step_up" && it["type"] == "otp" && it["summary"].(map[string]any)["result"] == "passed" {
			found = true
		}
	}
	if !found {
		t.Errorf("journey has no passed otp step-up: %v", journey["items"])
	}
}

func strs(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, _ := e.(string)
		out = append(out, s)
	}
	return out
}

// TestCustomerTokenLearnsNothingFrom404: through a customer-scoped token,
// another customer's decision, loan or journey answers exactly as one that
// does not exist.
func TestCustomerTokenLearnsNothingFrom404(t *testing.T) {
	t.Parallel() // a demo service of its own
	d := startDemo(t)
	other := d.must(http.StatusOK, "POST", "/v1/decisions", "service", "", map[string]any{"customer_id": "C00000005", "step": "login",
		"input": map[string]any{"device_id": "D00000005"}})
	tok := d.must(http.StatusCreated, "POST", "/v1/keys", "service", "", map[string]any{"customer_id": "C00000004"})
	get := func(path string) map[string]any {
		req, _ := http.NewRequest("GET", d.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok["key"].(string))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var p map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&p)
		p["status_code"] = resp.StatusCode
		delete(p, "instance")
		delete(p, "request_id")
		return p
	}
	for _, pair := range [][2]string{
		{"/v1/decisions/" + other["decision_id"].(string), "/v1/decisions/dec_01M8ZA7BHD35SW9S66A9T4MQGT"},
		{"/v1/customers/C00000005/journey", "/v1/customers/C99999999/journey"},
		{"/v1/customers/C00000005/loans", "/v1/customers/C99999999/loans"},
		{"/v1/customers/C00000005/kyc", "/v1/customers/C99999999/kyc"},
	} {
		theirs, none := get(pair[0]), get(pair[1])
		if theirs["status_code"] != http.StatusNotFound || fmt.Sprint(theirs) != fmt.Sprint(none) {
			t.Errorf("another customer's %s answers %v; one that does not exist %v", pair[0], theirs, none)
		}
	}
	// Its own KYC: a check runs and its evidence lists; another
	// customer's check is a 404 and stores nothing.
	post := func(path string, body string) int {
		req, _ := http.NewRequest("POST", d.url+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok["key"].(string))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	pan := `{"pan": "ABCPE1234F", "name": "Asha Rao", "dob": "1990-04-01"}`
	if got := post("/v1/customers/C00000004/kyc/pan", pan); got != http.StatusCreated {
		t.Errorf("a PAN check of its own customer through the token: %d, want 201", got)
	}
	if got := post("/v1/customers/C00000005/kyc/pan", pan); got != http.StatusNotFound {
		t.Errorf("a PAN check of another customer through the token: %d, want 404", got)
	}
	pans := func(items []any) (n int) {
		for _, it := range items {
			if it.(map[string]any)["check"] == "pan" {
				n++
			}
		}
		return n
	}
	if n := pans(get("/v1/customers/C00000004/kyc")["items"].([]any)); n != 1 {
		t.Errorf("its own KYC evidence: %d PAN records, want the one it made", n)
	}
	if n := pans(d.must(http.StatusOK, "GET", "/v1/customers/C00000005/kyc", "ops", "", nil)["items"].([]any)); n != 0 {
		t.Errorf("the other customer has %d PAN records, want none", n)
	}
}
