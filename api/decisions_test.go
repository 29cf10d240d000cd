package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/decisions/decisionstest"
)

type decisionEnv struct {
	h   http.Handler
	log *decisionlog.Log
}

func newDecisionEnv(t *testing.T) *decisionEnv {
	t.Helper()
	db := testDB(t, staffKeys...)
	l := decisionstest.Log(t, db, decisionlog.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	eng := decisionstest.NewEngine(t, "../decisions/testdata", map[string]any{"bureau_score": 720, "monthly_income": 50000}, func() time.Time { return now })
	s := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Keys: db})
	s.MountDecisions(decisions.New(eng, l, s.Registry()))
	return &decisionEnv{h: s.Handler(), log: l}
}

func TestDecisionAPI(t *testing.T) {
	t.Parallel()
	env := newDecisionEnv(t)
	h := env.h
	body := `{"request_id":"req-1","customer_id":"C-1","step":"application","input":{"amount":50000,"device_id":"d-9"}}`
	rec := do(t, h, "POST", "/v1/decisions", body, bearer("svc")...)
	if rec.Code != 200 {
		t.Fatalf("decide: %d %s", rec.Code, rec.Body)
	}
	var d map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &d); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"decision_id", "request_id", "customer_id", "step", "outcome", "reasons", "score", "offer", "actions", "policy", "rules", "shadow", "evaluated_at", "latency_us"} {
		if _, ok := d[k]; !ok {
			t.Errorf("decision JSON lacks %q: %s", k, rec.Body)
		}
	}
	if d["outcome"] != "approve" || d["offer"].(map[string]any)["limit"] != float64(150000) {
		t.Fatalf("decision %s; want approve with limit 150000", rec.Body)
	}
	id := d["decision_id"].(string)

	// Same request_id and body: the same decision; different body: 409.
	again := do(t, h, "POST", "/v1/decisions", body, bearer("svc")...)
	if again.Code != 200 || again.Body.String() != rec.Body.String() || again.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("retry: %d %s", again.Code, again.Body)
	}
	conflict := do(t, h, "POST", "/v1/decisions", strings.Replace(body, "50000", "60000", 1), bearer("svc")...)
	if conflict.Code != 409 || decodeProblem(t, conflict).Status != 409 {
		t.Fatalf("reused request_id: %d %s", conflict.Code, conflict.Body)
	}

	// Bad input: 400 naming the field; never 500.
	for _, c := range []struct{ body, field string }{
		{`{"customer_id":"C-1","step":"teleport"}`, "step"},
		{`{"step":"application"}`, "customer_id"},
		{`{"customer_id":"C-1","step":"application","input":[1]}`, ""},
		{`{"customer_id":"C-1","step":"application","bogus":1}`, ""},
		{`not json`, ""},
	} {
		rec := do(t, h, "POST", "/v1/decisions", c.body, bearer("svc")...)
		if p := decodeProblem(t, rec); rec.Code != 400 || p.Field != c.field {
			t.Errorf("%s: %d field %q; want 400 naming %q", c.body, rec.Code, p.Field, c.field)
		}
	}
	if rec := do(t, h, "POST", "/v1/decisions", `{"customer_id":"C-1","step":"login"}`, bearer("svc")...); rec.Code != 422 {
		t.Errorf("step without a policy: %d, want 422", rec.Code)
	}
	big := `{"customer_id":"C-1","step":"application","input":{"x":"` + strings.Repeat("a", 2<<20) + `"}}`
	if rec := do(t, h, "POST", "/v1/decisions", big, bearer("svc")...); rec.Code != 413 {
		t.Errorf("2 MiB body: %d, want 413", rec.Code)
	}
	if rec := do(t, h, "POST", "/v1/decisions", body, bearer("ops")...); rec.Code != 403 {
		t.Errorf("ops deciding: %d, want 403", rec.Code)
	}

	// Ops read it back with the features it used; the list filters by rule and outcome.
	got := do(t, h, "GET", "/v1/decisions/"+id, "", bearer("ops")...)
	var view map[string]any
	_ = json.Unmarshal(got.Body.Bytes(), &view)
	if got.Code != 200 || view["decision_id"] != id || view["features"] == nil || view["input"] == nil {
		t.Fatalf("get: %d %s", got.Code, got.Body)
	}
	if err := env.log.WaitShipped(context.Background()); err != nil {
		t.Fatal(err)
	}
	list := do(t, h, "GET", "/v1/decisions?customer_id=C-1&step=application&outcome=approve", "", bearer("ana")...)
	var page struct {
		Items      []map[string]any `json:"items"`
		NextCursor *string          `json:"next_cursor"`
	}
	if err := json.Unmarshal(list.Body.Bytes(), &page); err != nil || list.Code != 200 {
		t.Fatalf("list: %d %s", list.Code, list.Body)
	}
	if len(page.Items) != 2 || page.NextCursor != nil { // the decision and its shadow
		t.Fatalf("list: %d items, cursor %v; want 2 and null", len(page.Items), page.NextCursor)
	}
	if rec := do(t, h, "GET", "/v1/decisions?from=yesterday", "", bearer("ops")...); rec.Code != 400 || decodeProblem(t, rec).Field != "from" {
		t.Fatalf("bad from: %d", rec.Code)
	}

	// A customer-scoped token reaches only its own customer.
	if rec := do(t, h, "GET", "/v1/decisions/"+id, "", bearer("cust-1")...); rec.Code != 200 {
		t.Fatalf("own decision via customer token: %d", rec.Code)
	}
	other := `{"customer_id":"C-2","step":"application","input":{"amount":1000}}`
	if rec := do(t, h, "POST", "/v1/decisions", other, bearer("cust-1")...); rec.Code != 404 {
		t.Fatalf("customer token deciding for another customer: %d, want 404", rec.Code)
	}
	rec2 := do(t, h, "POST", "/v1/decisions", other, bearer("svc")...)
	var d2 map[string]any
	_ = json.Unmarshal(rec2.Body.Bytes(), &d2)
	if rec := do(t, h, "GET", "/v1/decisions/"+d2["decision_id"].(string), "", bearer("cust-1")...); rec.Code != 404 {
		t.Fatalf("customer token reading another's decision: %d, want 404", rec.Code)
	}
	if rec := do(t, h, "GET", "/v1/customers/C-2/journey", "", bearer("cust-1")...); rec.Code != 404 {
		t.Fatalf("customer token reading another's journey: %d, want 404", rec.Code)
	}

	// The journey lists the customer's decisions in time order.
	j := do(t, h, "GET", "/v1/customers/C-1/journey", "", bearer("ops")...)
	var journey struct {
		Items []JourneyItem `json:"items"`
	}
	if err := json.Unmarshal(j.Body.Bytes(), &journey); err != nil || j.Code != 200 || len(journey.Items) != 1 || journey.Items[0].ID != id {
		t.Fatalf("journey: %d %s", j.Code, j.Body)
	}
	// A second decision fires big_ask (300000 > 5 × 50000); the journey names the rule.
	if rec := do(t, h, "POST", "/v1/decisions", `{"customer_id":"C-1","step":"application","input":{"amount":300000}}`, bearer("svc")...); rec.Code != 200 {
		t.Fatalf("second decision: %d %s", rec.Code, rec.Body)
	}
	if err := env.log.WaitShipped(context.Background()); err != nil {
		t.Fatal(err)
	}
	j = do(t, h, "GET", "/v1/customers/C-1/journey", "", bearer("ops")...)
	journey.Items = nil
	if err := json.Unmarshal(j.Body.Bytes(), &journey); err != nil || len(journey.Items) != 2 {
		t.Fatalf("journey after a second decision: %s", j.Body)
	}
	if rules := journey.Items[1].Summary["rules"].([]any); len(rules) != 1 || rules[0] != "big_ask" || journey.Items[1].Summary["outcome"] != "review" {
		t.Fatalf("journey item %+v; want outcome review with rules [big_ask]", journey.Items[1].Summary)
	}
	// A wrongly typed request feature is the client's error: 400 naming it.
	bad := do(t, h, "POST", "/v1/decisions", `{"customer_id":"C-1","step":"application","input":{"amount":"lots"}}`, bearer("svc")...)
	if p := decodeProblem(t, bad); bad.Code != 400 || p.Field != "input.amount" {
		t.Fatalf("string amount: %d field %q; want 400 naming input.amount", bad.Code, p.Field)
	}
}

// TestDecisionViewMasksPII: GET /v1/decisions/{id} shows personal data
// masked, wherever the input held it, and so does a decision logged
// before the masking rules (its body raw).
func TestDecisionViewMasksPII(t *testing.T) {
	t.Parallel()
	env := newDecisionEnv(t)
	const aadhaar, pan, mobile = "234567890124", "ABCDE1234F", "9876543210"
	body := `{"customer_id":"C-1","step":"application","input":{"amount":50000,"aadhar_no":"2345 6789 0124","Pan-No":"` + pan + `",
		"co_applicants":[{"relation":"spouse","proof":"` + aadhaar + `"}],"remarks":"mobile +91 ` + mobile + `, mail ravi@example.com"}}`
	rec := do(t, env.h, "POST", "/v1/decisions", body, bearer("svc")...)
	if rec.Code != 200 {
		t.Fatalf("decide: %d %s", rec.Code, rec.Body)
	}
	var d map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &d)
	old := `{"response":{"decision_id":"dec_old","outcome":"approve"},"input":{"pan":"` + pan + `","note":"aadhaar ` + aadhaar + `"},"features":[],"request_hash":"h","fetch_us":1,"eval_us":1}`
	if err := env.log.Append(&decisionlog.Record{ID: "dec_old", CustomerID: "C-1", Step: "application", Outcome: "approve", Role: "champion",
		DecidedAt: time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC), Body: json.RawMessage(old)}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{d["decision_id"].(string), "dec_old"} {
		got := do(t, env.h, "GET", "/v1/decisions/"+id, "", bearer("ops")...)
		if got.Code != 200 {
			t.Fatalf("get %s: %d %s", id, got.Code, got.Body)
		}
		text := got.Body.String()
		for _, raw := range []string{aadhaar, "2345 6789 0124", pan, mobile, "ravi@"} {
			if strings.Contains(text, raw) {
				t.Errorf("GET /v1/decisions/%s shows %q: %s", id, raw, text)
			}
		}
		if !strings.Contains(text, "XXXXXXXX0124") || !strings.Contains(text, "XXXXXX234F") {
			t.Errorf("GET /v1/decisions/%s lacks the masked Aadhaar and PAN: %s", id, text)
		}
	}
}
