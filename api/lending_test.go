package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/store"
)

// stepDecider approves every step except those given a stopping verdict,
// and records the request id last asked per step.
type stepDecider struct {
	mu   sync.Mutex
	stop map[string]loans.Verdict
	ids  map[string]string
}

func (d *stepDecider) Decide(_ context.Context, step, _, requestID string, _ map[string]any) (loans.Verdict, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ids == nil {
		d.ids = map[string]string{}
	}
	d.ids[step] = requestID
	if v, ok := d.stop[step]; ok {
		return v, nil
	}
	return loans.Verdict{DecisionID: "dec_" + requestID, Outcome: "approve", Offer: map[string]any{"limit": int64(150000)}}, nil
}

type lendingEnv struct {
	h   *Server
	db  *store.DB
	dec *stepDecider
	now time.Time
}

func newLendingEnv(t *testing.T) *lendingEnv {
	t.Helper()
	db := testDB(t, apiKey{RoleService, "svc", ""}, apiKey{RoleOps, "ops", ""}, apiKey{RoleAdmin, "adm", ""},
		apiKey{RoleService, "tok-c1", "C-1"}, apiKey{RoleService, "tok-c2", "C-2"})
	cat, err := product.Default()
	if err != nil {
		t.Fatal(err)
	}
	e := &lendingEnv{db: db, dec: &stepDecider{stop: map[string]loans.Verdict{}}, now: time.Date(2026, 3, 1, 6, 0, 0, 0, time.UTC)}
	svc := loans.New(db, cat, e.dec, loans.Options{Now: func() time.Time { return e.now }})
	e.h = New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Keys: db})
	e.h.MountLending(svc)
	return e
}

func (e *lendingEnv) call(t *testing.T, method, path, body, key string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, e.h.Handler(), method, path, body, append(bearer(key), hdr...)...)
}

func decodeInto(t *testing.T, rec *httptest.ResponseRecorder, v any) {
	t.Helper()
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("decode %s: %v", rec.Body, err)
	}
}

func TestLendingAPI(t *testing.T) {
	t.Parallel()
	e := newLendingEnv(t)
	rec := e.call(t, "POST", "/v1/loans/applications", `{"customer_id":"C-1","product_id":"personal-loan","amount":"200000.00","tenure_months":12}`, "tok-c1")
	if rec.Code != 201 {
		t.Fatalf("apply: %d %s", rec.Code, rec.Body)
	}
	var app struct {
		Loan struct {
			ID        string `json:"id"`
			Status    string `json:"status"`
			Amount    string `json:"amount"`
			KFSDigest string `json:"kfs_digest"`
		} `json:"loan"`
		KFS map[string]any `json:"kfs"`
	}
	decodeInto(t, rec, &app)
	// The offer is bounded by the decision's limit (₹1,50,000).
	if app.Loan.Status != "offered" || app.Loan.Amount != "150000.00" || app.KFS["apr_percent"] == nil {
		t.Fatalf("application: %s", rec.Body)
	}
	id := app.Loan.ID
	base := "/v1/loans/" + id
	if rec := e.call(t, "GET", base, "", "tok-c2"); rec.Code != 404 {
		t.Fatalf("another customer's token reading the loan: %d, want 404", rec.Code)
	}
	if rec := e.call(t, "GET", base+"/kfs", "", "tok-c1", "Accept", "text/html"); rec.Code != 200 || !strings.Contains(rec.Body.String(), "Key Fact Statement") {
		t.Fatalf("KFS as HTML: %d", rec.Code)
	}
	accept := `{"kfs_digest":"` + app.Loan.KFSDigest + `","agreed":true,"account_hash":"h-1","account_verified":true}`
	if rec := e.call(t, "POST", base+"/accept", accept, "tok-c1"); rec.Code != 200 {
		t.Fatalf("accept: %d %s", rec.Code, rec.Body)
	}
	if rec := e.call(t, "POST", base+"/disburse", `{"account_hash":"h-other"}`, "svc"); rec.Code != 422 {
		t.Fatalf("disburse to another account: %d, want 422", rec.Code)
	}
	if rec := e.call(t, "POST", base+"/disburse", `{"account_hash":"h-1"}`, "svc"); rec.Code != 200 {
		t.Fatalf("disburse: %d %s", rec.Code, rec.Body)
	}
	e.now = e.now.Add(31 * 24 * time.Hour)
	// Payments: idempotent by key.
	pay := func(body, key string) *httptest.ResponseRecorder {
		return e.call(t, "POST", base+"/payments", body, "tok-c1", "Idempotency-Key", key)
	}
	if rec := pay(`{"amount":"10000.00"}`, "p-1"); rec.Code != 201 {
		t.Fatalf("pay: %d %s", rec.Code, rec.Body)
	}
	if rec := pay(`{"amount":"10000.00"}`, "p-1"); rec.Code != 200 || rec.Header().Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replay: %d %v", rec.Code, rec.Header())
	}
	if rec := pay(`{"amount":"10000.01"}`, "p-1"); rec.Code != 409 {
		t.Fatalf("same key, other amount: %d, want 409", rec.Code)
	}
	for _, bad := range []struct{ body, key string }{
		{`{"amount":"-5.00"}`, "p-2"}, {`{"amount":"0"}`, "p-3"}, {`{"amount":"abc"}`, "p-4"},
		{`{"amount":100}`, "p-5"}, {`{"amount":"10.00"}`, ""}, {`{"amount":"10.00","extra":1}`, "p-6"},
	} {
		if rec := pay(bad.body, bad.key); rec.Code != 400 || decodeProblem(t, rec).Detail == "" {
			t.Errorf("payment %s key %q: %d %s, want 400 with a detail", bad.body, bad.key, rec.Code, rec.Body)
		}
	}
	if rec := pay(`{"amount":"10.00","paid_on":"2030-01-01"}`, "p-7"); rec.Code != 422 {
		t.Errorf("payment dated in the future: %d, want 422", rec.Code)
	}
	if rec := e.call(t, "POST", "/v1/loans/ln_missing/payments", `{"amount":"10.00"}`, "svc", "Idempotency-Key", "x"); rec.Code != 404 {
		t.Errorf("payment on an unknown loan: %d, want 404", rec.Code)
	}
	if rec := e.call(t, "POST", base+"/payments", `{"amount":"10.00"}`, "ops", "Idempotency-Key", "x"); rec.Code != 403 {
		t.Errorf("ops paying: %d, want 403", rec.Code)
	}
	var payments struct {
		Items []loans.Payment `json:"items"`
	}
	decodeInto(t, e.call(t, "GET", base+"/payments", "", "ops"), &payments)
	if len(payments.Items) != 1 {
		t.Fatalf("payments after the bad requests: %d, want 1", len(payments.Items))
	}
	// The ledger balances.
	rec = e.call(t, "GET", base+"/ledger", "", "ops")
	var ledger struct {
		Journals []loans.Journal `json:"journals"`
	}
	decodeInto(t, rec, &ledger)
	if rec.Code != 200 || len(ledger.Journals) < 2 {
		t.Fatalf("ledger: %d %s", rec.Code, rec.Body)
	}
	for _, j := range ledger.Journals {
		if !loans.Balanced(j.Lines) {
			t.Fatalf("journal %s does not balance: %+v", j.ID, j.Lines)
		}
	}
	if rec := e.call(t, "GET", base+"/ledger", "", "tok-c1"); rec.Code != 403 {
		t.Errorf("customer token reading the ledger: %d, want 403", rec.Code)
	}
	// Foreclose at the quote.
	rec = e.call(t, "GET", base+"/foreclosure-quote", "", "tok-c1")
	var q struct {
		Total string `json:"total"`
	}
	decodeInto(t, rec, &q)
	if rec.Code != 200 || q.Total == "" {
		t.Fatalf("quote: %d %s", rec.Code, rec.Body)
	}
	if rec := e.call(t, "POST", base+"/foreclose", `{"amount":"`+q.Total+`","idempotency_key":"fc-1"}`, "tok-c1"); rec.Code != 201 {
		t.Fatalf("foreclose with %s: %d %s", q.Total, rec.Code, rec.Body)
	}
	var loan loans.Loan
	decodeInto(t, e.call(t, "GET", base, "", "ops"), &loan)
	if loan.Status != "foreclosed" || loan.Outstanding != 0 {
		t.Fatalf("after foreclosure: %s %s", loan.Status, loan.Outstanding)
	}
	if rec := pay(`{"amount":"10.00"}`, "p-8"); rec.Code != 409 {
		t.Errorf("payment on a foreclosed loan: %d, want 409", rec.Code)
	}
	// Day-end: ops may run it; a service may not.
	if rec := e.call(t, "POST", "/v1/day-end", `{"date":"2026-04-01"}`, "svc"); rec.Code != 403 {
		t.Errorf("service running the day-end: %d, want 403", rec.Code)
	}
	if rec := e.call(t, "POST", "/v1/day-end", `{"date":"2026-04-01"}`, "ops"); rec.Code != 200 {
		t.Errorf("day-end: %d %s", rec.Code, rec.Body)
	}
	if rec := e.call(t, "POST", "/v1/day-end", `{"date":"2027-01-01"}`, "ops"); rec.Code != 422 {
		t.Errorf("day-end in the future: %d, want 422", rec.Code)
	}
	// The journey lists the lending actions.
	items, err := e.h.journey[0](context.Background(), "C-1", time.Time{}, time.Time{}, 100)
	if err != nil || len(items) < 4 || items[0].Type != "application" || items[0].Kind != "lending" {
		t.Fatalf("journey: %v %+v", err, items)
	}
}

func TestLendingDecisionStops(t *testing.T) {
	t.Parallel()
	e := newLendingEnv(t)
	e.dec.stop[loans.StepApplication] = loans.Verdict{DecisionID: "dec_9", Outcome: "decline", Reasons: []string{"LOW_SCORE", "HIGH_FOIR"}}
	rec := e.call(t, "POST", "/v1/loans/applications", `{"customer_id":"C-1","product_id":"personal-loan","amount":"50000","tenure_months":6}`, "svc")
	var p stoppedProblem
	decodeInto(t, rec, &p)
	if rec.Code != 422 || p.Type != ProblemTypeBase+"decision-stopped" || len(p.Reasons) != 2 || p.DecisionID != "dec_9" || p.SubjectID == "" {
		t.Fatalf("declined application: %d %s", rec.Code, rec.Body)
	}
	for _, body := range []string{
		`{"customer_id":"C-1","product_id":"personal-loan","amount":"9000000","tenure_months":6}`,
		`{"customer_id":"C-1","product_id":"personal-loan","amount":"50000","tenure_months":99}`,
	} {
		if rec := e.call(t, "POST", "/v1/loans/applications", body, "svc"); rec.Code != 422 {
			t.Errorf("outside the product %s: %d, want 422", body, rec.Code)
		}
	}
	if rec := e.call(t, "POST", "/v1/loans/applications", `{"customer_id":"C-2","product_id":"personal-loan","amount":"50000","tenure_months":6}`, "tok-c1"); rec.Code != 404 {
		t.Errorf("a customer token applying for another customer: %d, want 404", rec.Code)
	}
}

// TestLendingAttemptKeys: the Idempotency-Key header or the body's
// request_id names the attempt the decision is asked for; they must agree.
func TestLendingAttemptKeys(t *testing.T) {
	t.Parallel()
	e := newLendingEnv(t)
	rec := e.call(t, "POST", "/v1/loans/applications", `{"customer_id":"C-1","product_id":"personal-loan","amount":"50000","tenure_months":6}`, "svc")
	var app struct{ Loan loans.Loan }
	decodeInto(t, rec, &app)
	base := "/v1/loans/" + app.Loan.ID
	consent := func(key string) string {
		return `{"kfs_digest":"` + app.Loan.KFSDigest + `","agreed":true,"account_hash":"h-1","account_verified":true` + key + `}`
	}
	e.dec.stop[loans.StepOfferAccept] = loans.Verdict{DecisionID: "dec_no", Outcome: "decline", Reasons: []string{"REPAYMENT_MANDATE_NOT_ACTIVE"}}
	if rec := e.call(t, "POST", base+"/accept", consent(""), "svc", "Idempotency-Key", "a-1"); rec.Code != 422 {
		t.Fatalf("declined accept: %d %s, want 422", rec.Code, rec.Body)
	}
	if got, want := e.dec.ids[loans.StepOfferAccept], "offer_accept:"+app.Loan.ID+":a-1"; got != want {
		t.Errorf("decision request id from the header: %q, want %q", got, want)
	}
	if rec := e.call(t, "POST", base+"/accept", consent(`,"request_id":"a-2"`), "svc", "Idempotency-Key", "a-3"); rec.Code != 400 {
		t.Errorf("request_id a-2 with Idempotency-Key a-3: %d %s, want 400", rec.Code, rec.Body)
	}
	delete(e.dec.stop, loans.StepOfferAccept)
	if rec := e.call(t, "POST", base+"/accept", consent(`,"request_id":"a-2"`), "svc"); rec.Code != 200 {
		t.Fatalf("new attempt a-2: %d %s, want 200", rec.Code, rec.Body)
	}
	if got, want := e.dec.ids[loans.StepOfferAccept], "offer_accept:"+app.Loan.ID+":a-2"; got != want {
		t.Errorf("decision request id from the body: %q, want %q", got, want)
	}
	if rec := e.call(t, "POST", base+"/accept", consent(""), "svc", "Idempotency-Key", "a-2"); rec.Code != 200 {
		t.Errorf("retry of the accepting attempt a-2: %d %s, want 200", rec.Code, rec.Body)
	}
	if rec := e.call(t, "POST", base+"/disburse", `{"account_hash":"h-1"}`, "svc", "Idempotency-Key", "d-1"); rec.Code != 200 {
		t.Fatalf("disburse: %d %s, want 200", rec.Code, rec.Body)
	}
	if got, want := e.dec.ids[loans.StepDisbursal], "disbursal:"+app.Loan.ID+":d-1"; got != want {
		t.Errorf("disbursal request id: %q, want %q", got, want)
	}
}

func TestCreditLineAPI(t *testing.T) {
	t.Parallel()
	e := newLendingEnv(t)
	rec := e.call(t, "POST", "/v1/loans/applications", `{"customer_id":"C-1","product_id":"credit-line","amount":"100000"}`, "svc")
	var app struct {
		Line loans.CreditLine `json:"credit_line"`
	}
	decodeInto(t, rec, &app)
	if rec.Code != 201 || app.Line.Status != "offered" {
		t.Fatalf("line application: %d %s", rec.Code, rec.Body)
	}
	base := "/v1/credit-lines/" + app.Line.ID
	if rec := e.call(t, "POST", base+"/accept", `{"agreed":true,"account_hash":"h","account_verified":true}`, "svc"); rec.Code != 200 {
		t.Fatalf("accept line: %d %s", rec.Code, rec.Body)
	}
	rec = e.call(t, "GET", base+"/kfs?amount=60000&tenure_months=6", "", "svc")
	var k struct {
		Digest string `json:"kfs_digest"`
	}
	decodeInto(t, rec, &k)
	draw := func(amount, digest string) *httptest.ResponseRecorder {
		return e.call(t, "POST", base+"/draws", `{"amount":"`+amount+`","tenure_months":6,"account_hash":"h","kfs_digest":"`+digest+`","agreed":true}`, "svc")
	}
	if rec := draw("60000", "wrong"); rec.Code != 422 {
		t.Fatalf("draw without the KFS acknowledged: %d, want 422", rec.Code)
	}
	if rec := draw("60000", k.Digest); rec.Code != 201 {
		t.Fatalf("draw: %d %s", rec.Code, rec.Body)
	}
	var line loans.CreditLine
	decodeInto(t, e.call(t, "GET", base, "", "ops"), &line)
	if line.Available != 4000000 || len(line.Draws) != 1 {
		t.Fatalf("available after a 60,000 draw on 1,00,000: %s (%d draws)", line.Available, len(line.Draws))
	}
	decodeInto(t, e.call(t, "GET", base+"/kfs?amount=50000&tenure_months=6", "", "svc"), &k)
	if rec := draw("50000", k.Digest); rec.Code != 422 {
		t.Fatalf("draw beyond the available limit: %d, want 422", rec.Code)
	}
	if rec := e.call(t, "POST", base+"/limit-increase", `{"limit":"150000","consent":false}`, "svc"); rec.Code != 422 {
		t.Fatalf("limit increase without consent: %d, want 422", rec.Code)
	}
	rec = e.call(t, "POST", base+"/limit-increase", `{"limit":"200000","consent":true}`, "svc")
	decodeInto(t, rec, &line)
	if rec.Code != 200 || line.Limit != 15000000 || line.Available != 9000000 {
		t.Fatalf("limit increase (offer 1,50,000): %d limit %s available %s", rec.Code, line.Limit, line.Available)
	}
}
