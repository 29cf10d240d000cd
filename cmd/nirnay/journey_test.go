package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/simulator"
	"github.com/nirnay/nirnay/store"
)

// demoServer is the service `serve --demo` runs: demo keys, the shipped
// policies and products, the demo customers' features, on a fresh
// embedded store, with its background work running.
type demoServer struct {
	url  string
	t    *testing.T
	svc  *service
	stop func() // stops the service; the test's end stops it too
}

// startDemo starts a demo service of the test's own. Its embedded store
// starts as a copy of demoDatabase, as seeded.
func startDemo(t *testing.T) *demoServer {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the whole demo service")
	}
	file, err := demoDatabase()
	if err != nil {
		t.Fatalf("seed the demo database: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, store.SQLiteFile), file, 0o644); err != nil {
		t.Fatal(err)
	}
	return startOn(t, testenv.SQLiteAt(t, dir), config{DataDir: dir})
}

// startOn builds the service on an open, migrated db with cfg's data dir
// and database URL. The service stops when the test ends (or at stop,
// whichever is first).
func startOn(t *testing.T, db *store.DB, cfg config) *demoServer {
	t.Helper()
	ctx := context.Background()
	svc, err := buildService(ctx, demoConfig(cfg), slog.New(slog.NewTextHandler(io.Discard, nil)), db, nil, nil)
	if err != nil {
		t.Fatalf("build service: %v", err)
	}
	run := svc.run(ctx)
	ts := httptest.NewServer(svc.api.Handler())
	var once sync.Once
	d := &demoServer{url: ts.URL, t: t, svc: svc}
	d.stop = func() { once.Do(func() { ts.Close(); run(); svc.close() }) }
	t.Cleanup(d.stop)
	return d
}

// demoConfig is cfg (its data dir and database URL) as a demo service
// under test runs it.
func demoConfig(cfg config) config {
	cfg.HTTPAddr, cfg.MaxBodyBytes, cfg.DecisionHotAge, cfg.ShutdownTimeout = "127.0.0.1:0", 1<<20, 720*time.Hour, 5*time.Second
	return cfg
}

// demoDatabase is the embedded database file as `serve --demo` seeds it
// (demo keys, the shipped policies and products, the demo customers'
// features, the demo lists), seeded once for the test binary: seeding a
// thousand customers took seconds under the race detector. Feature times
// are relative to when it was seeded, as they are for a service that has
// run for a while.
var demoDatabase = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "nirnay-demo-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if err := seedDemoDatabase(dir); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, store.SQLiteFile)
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, errors.New("closing left a write-ahead log beside " + path)
	}
	return os.ReadFile(path)
})

// seedDemoDatabase seeds the demo into a new embedded database in dir and
// closes it.
func seedDemoDatabase(dir string) error {
	ctx := context.Background()
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx, nil); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if err := seedDemo(ctx, db, io.Discard, time.Now().UTC()); err != nil {
		return fmt.Errorf("demo keys: %w", err)
	}
	svc, err := buildService(ctx, demoConfig(config{DataDir: dir}), slog.New(slog.NewTextHandler(io.Discard, nil)), db, nil, nil)
	if err != nil {
		return fmt.Errorf("build service: %w", err)
	}
	defer svc.close()
	if err := svc.seedDemoCustomers(ctx, io.Discard); err != nil {
		return fmt.Errorf("seed demo customers: %w", err)
	}
	if err := svc.seedDemoLists(ctx, io.Discard); err != nil {
		return fmt.Errorf("seed demo lists: %w", err)
	}
	return nil
}

// call sends body (JSON) with the demo key of role and an optional
// Idempotency-Key; it returns the status and the decoded answer.
func (d *demoServer) call(method, path, role, idemKey string, body any) (int, map[string]any) {
	d.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			d.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, d.url+path, rd)
	if err != nil {
		d.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer demo-"+role+"-key")
	req.Header.Set("Content-Type", "application/json")
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		d.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 && json.Unmarshal(raw, &out) != nil {
		d.t.Fatalf("%s %s: answer is not a JSON object: %s", method, path, raw)
	}
	return resp.StatusCode, out
}

// must is call that fails the test unless the status is want.
func (d *demoServer) must(want int, method, path, role, idemKey string, body any) map[string]any {
	d.t.Helper()
	got, out := d.call(method, path, role, idemKey, body)
	if got != want {
		d.t.Fatalf("%s %s: status %d, want %d; answer %v", method, path, got, want, out)
	}
	return out
}

// approvedApplicant is a demo customer the shipped champion approves at
// application, with the loan offered to them.
type approvedApplicant struct {
	rec  simulator.Record
	loan map[string]any
}

// applyPersonalLoan applies for rec's customer (request id "app-" and the
// customer id) for a personal loan of amount rupees over tenure months,
// with the decision input the lending API takes: rec's loan purpose and
// its entities (but the bank account).
func (d *demoServer) applyPersonalLoan(rec simulator.Record, amount, tenure int64) (int, map[string]any) {
	input := map[string]any{"loan_purpose": rec.Input["loan_purpose"]}
	for ent, key := range features.EntityInputKeys {
		if id := rec.Entities[ent]; id != "" && ent != "bank_account" {
			input[key] = id
		}
	}
	return d.call("POST", "/v1/loans/applications", "service", "", map[string]any{
		"request_id": "app-" + rec.CustomerID, "customer_id": rec.CustomerID, "product_id": "personal-loan",
		"amount": fmt.Sprintf("%d.00", amount), "tenure_months": tenure, "input": input})
}

// applyUntilApproved applies for a personal loan for demo customers in id
// order, from the skip-th, until the application step approves one.
func applyUntilApproved(d *demoServer, skip int) approvedApplicant {
	d.t.Helper()
	i := 0
	for rec := range simulator.Customers(demoCustomers, demoSeed) {
		amount, tenure := rec.Input["amount"].(int64), rec.Input["tenure_months"].(int64)
		if amount < 10000 || amount > 500000 || tenure < 3 || tenure > 36 {
			continue // outside the personal-loan product
		}
		if i++; i <= skip {
			continue
		}
		status, out := d.applyPersonalLoan(rec, amount, tenure)
		switch status {
		case http.StatusCreated:
			return approvedApplicant{rec: rec, loan: out["loan"].(map[string]any)}
		case http.StatusUnprocessableEntity:
			continue // declined or referred at application
		default:
			d.t.Fatalf("apply for %s: status %d: %v", rec.CustomerID, status, out)
		}
	}
	d.t.Fatalf("no demo customer after the first %d is approved at application", skip)
	return approvedApplicant{}
}

func paise(t *testing.T, v any) money.Paise {
	t.Helper()
	s, _ := v.(string)
	p, err := money.ParseRupees(s)
	if err != nil {
		t.Fatalf("%v is not a rupee amount: %v", v, err)
	}
	return p
}

// TestDemoCreditLineApplication: a customer the shipped champion approves
// for a personal loan applies for a credit line, which has no tenure of its
// own; the application is decided on the line's terms (approved with an
// offer), not referred because a tenure feature was missing.
func TestDemoCreditLineApplication(t *testing.T) {
	t.Parallel() // a demo service of its own
	d := startDemo(t)
	a := applyUntilApproved(d, 0)
	amount := min(paise(t, a.loan["amount"]), money.Paise(10000000))
	status, out := d.call("POST", "/v1/loans/applications", "service", "", map[string]any{
		"request_id": "line-" + a.rec.CustomerID, "customer_id": a.rec.CustomerID, "product_id": "credit-line",
		"amount": amount.String(), "input": map[string]any{"device_id": a.rec.Entities["device"]}})
	if status != http.StatusCreated {
		t.Fatalf("credit-line application for %s: status %d: %v", a.rec.CustomerID, status, out)
	}
	line, _ := out["credit_line"].(map[string]any)
	offer, _ := line["offer"].(map[string]any)
	if line["status"] != "offered" || offer["limit"] == nil || paise(t, line["limit"]) != amount {
		t.Fatalf("credit-line application answered %v, want an offered line of %s", out, amount)
	}

	// A limit increase right after opening is declined on the line's record
	// (too little history on book), which the lending core sends with the
	// decision: no rule on behaviour on book errs (the decision lists the
	// rules that fired or erred).
	id, account := line["id"].(string), a.rec.Entities["bank_account"]
	d.must(http.StatusOK, "POST", "/v1/credit-lines/"+id+"/accept", "service", "line-accept-1",
		map[string]any{"agreed": true, "account_hash": account, "account_verified": true})
	status, out = d.call("POST", "/v1/credit-lines/"+id+"/limit-increase", "service", "line-li-1",
		map[string]any{"limit": (amount + money.Paise(2000000)).String(), "consent": true})
	if status != http.StatusUnprocessableEntity || out["outcome"] != "decline" || !strings.Contains(fmt.Sprint(out["reasons"]), "INSUFFICIENT_HISTORY_ON_BOOK") {
		t.Fatalf("limit increase on a new line: status %d %v; want declined for history on book", status, out)
	}
	dec := d.must(http.StatusOK, "GET", "/v1/decisions/"+out["decision_id"].(string), "ops", "", nil)
	onBook := map[string]bool{"insufficient_history_on_book": true, "delinquency_on_book": true,
		"payment_history_below_min": true, "limit_not_utilised": true, "recent_limit_change": true}
	for _, r := range dec["rules"].([]any) {
		if r := r.(map[string]any); onBook[r["id"].(string)] && r["error"] != nil {
			t.Errorf("rule %s on behaviour on book: %v", r["id"], r["error"])
		}
	}
}

// TestDemoLoanJourney walks a demo customer through the whole loan journey
// on the shipped policies: application, KFS, acceptance, disbursal, a
// repayment, then reads the loan, its ledger and the customer's journey.
func TestDemoLoanJourney(t *testing.T) {
	t.Parallel() // a demo service of its own
	d := startDemo(t)
	a := applyUntilApproved(d, 0)
	id, cust, account := a.loan["id"].(string), a.rec.CustomerID, a.rec.Entities["bank_account"]
	if a.loan["status"] != "offered" {
		t.Fatalf("application answered loan status %v, want offered", a.loan["status"])
	}

	kfs := d.must(http.StatusOK, "GET", "/v1/loans/"+id+"/kfs", "service", "", nil)
	digest, _ := kfs["kfs_digest"].(string)
	if digest == "" || digest != a.loan["kfs_digest"] {
		t.Fatalf("KFS digest %q, want the offer's %v", digest, a.loan["kfs_digest"])
	}

	consent := map[string]any{"kfs_digest": digest, "agreed": true, "account_hash": account, "account_verified": true}
	l := d.must(http.StatusOK, "POST", "/v1/loans/"+id+"/accept", "service", "accept-1", consent)
	if l["status"] != "accepted" {
		t.Fatalf("accept: loan status %v, want accepted", l["status"])
	}
	// a retry of the same attempt answers the accepted loan again
	if l = d.must(http.StatusOK, "POST", "/v1/loans/"+id+"/accept", "service", "accept-1", consent); l["status"] != "accepted" {
		t.Fatalf("accept retried: loan status %v, want accepted", l["status"])
	}

	l = d.must(http.StatusOK, "POST", "/v1/loans/"+id+"/disburse", "service", "disburse-1", map[string]any{"account_hash": account})
	if l["status"] != "active" || l["disbursed_on"] == "" {
		t.Fatalf("disburse: status %v disbursed_on %v, want active with a date", l["status"], l["disbursed_on"])
	}
	amount := paise(t, a.loan["amount"])
	before := paise(t, l["principal_outstanding"])
	if before != amount {
		t.Fatalf("principal outstanding after disbursal %s, want the loan amount %s", before, amount)
	}

	// Paid on the day of disbursal nothing is due yet: the product prepays
	// principal with it, so all of it is allocated to principal.
	pay := money.Paise(500000)
	p := d.must(http.StatusCreated, "POST", "/v1/loans/"+id+"/payments", "service", "pay-1",
		map[string]any{"amount": pay.String(), "payment_mode": "upi"})
	if p["status"] != "applied" || p["decision_id"] == "" {
		t.Fatalf("payment: %v, want applied with its repayment decision", p)
	}

	l = d.must(http.StatusOK, "GET", "/v1/loans/"+id, "ops", "", nil)
	if got := paise(t, l["principal_outstanding"]); got != before-pay {
		t.Errorf("principal outstanding after paying %s: %s, want %s", pay, got, before-pay)
	}
	if got := paise(t, l["outstanding"]); got != before-pay {
		t.Errorf("outstanding after paying %s on the disbursal day: %s, want %s", pay, got, before-pay)
	}

	ledger := d.must(http.StatusOK, "GET", "/v1/loans/"+id+"/ledger", "ops", "", nil)
	bal, _ := ledger["balances"].(map[string]any)
	if got := paise(t, bal["principal_receivable"]); got != before-pay {
		t.Errorf("ledger principal_receivable %s, want %s", got, before-pay)
	}
	var kinds []string
	for _, j := range ledger["journals"].([]any) {
		kinds = append(kinds, j.(map[string]any)["kind"].(string))
	}
	if !slices.Equal(kinds, []string{"disbursal", "payment"}) {
		t.Errorf("ledger journal kinds %v, want [disbursal payment]", kinds)
	}

	// The decisions reach the journey once the decision log has shipped.
	want := []string{"decision application", "lending application", "decision offer_accept", "lending accepted",
		"decision disbursal", "lending disbursed", "decision repayment", "lending payment"}
	var got []string
	deadline := time.Now().Add(15 * time.Second)
	for {
		got = journeyOf(d, cust)
		if containsInOrder(got, want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !containsInOrder(got, want) {
		t.Fatalf("journey of %s: %v; want these in order: %v", cust, got, want)
	}
}

// journeyOf lists a customer's journey as "kind type" in the order given,
// checking it is in time order.
func journeyOf(d *demoServer, customer string) []string {
	d.t.Helper()
	j := d.must(http.StatusOK, "GET", "/v1/customers/"+customer+"/journey", "ops", "", nil)
	var (
		out  []string
		last time.Time
	)
	for _, it := range j["items"].([]any) {
		m := it.(map[string]any)
		at, err := time.Parse(time.RFC3339Nano, m["at"].(string))
		if err != nil || at.Before(last) {
			d.t.Fatalf("journey item %v is out of time order (previous at %s)", m, last)
		}
		last = at
		out = append(out, fmt.Sprintf("%s %s", m["kind"], m["type"]))
	}
	return out
}

// containsInOrder reports whether want is a subsequence of got.
func containsInOrder(got, want []string) bool {
	i := 0
	for _, g := range got {
		if i < len(want) && g == want[i] {
			i++
		}
	}
	return i == len(want)
}

// TestDemoDeclinedAcceptanceRetried: an offer acceptance declined because
// the repayment mandate is pending stays declined for retries of that
// attempt, and a new attempt once the mandate is active is approved.
func TestDemoDeclinedAcceptanceRetried(t *testing.T) {
	t.Parallel() // a demo service of its own
	d := startDemo(t)
	a := applyUntilApproved(d, 0)
	id, cust := a.loan["id"].(string), a.rec.CustomerID
	consent := map[string]any{"kfs_digest": a.loan["kfs_digest"], "agreed": true,
		"account_hash": a.rec.Entities["bank_account"], "account_verified": true}

	d.must(http.StatusOK, "PUT", "/v1/features/customer/"+cust, "service", "", map[string]any{"features": map[string]any{"mandate_status": "pending"}})
	stopped := func(key string) string {
		t.Helper()
		out := d.must(http.StatusUnprocessableEntity, "POST", "/v1/loans/"+id+"/accept", "service", key, consent)
		reasons, _ := out["reasons"].([]any)
		if out["outcome"] != "decline" || !slices.Contains(reasons, any("REPAYMENT_MANDATE_NOT_ACTIVE")) {
			t.Fatalf("accept (%s) with a pending mandate: %v; want decline with REPAYMENT_MANDATE_NOT_ACTIVE", key, out)
		}
		return out["decision_id"].(string)
	}
	first := stopped("accept-1")
	if again := stopped("accept-1"); again != first {
		t.Errorf("retry of attempt accept-1 made decision %s, want the replay of %s", again, first)
	}

	d.must(http.StatusOK, "PUT", "/v1/features/customer/"+cust, "service", "", map[string]any{"features": map[string]any{"mandate_status": "active"}})
	if again := stopped("accept-1"); again != first {
		t.Errorf("attempt accept-1 after the fix made decision %s, want the replay of %s", again, first)
	}
	l := d.must(http.StatusOK, "POST", "/v1/loans/"+id+"/accept", "service", "accept-2", consent)
	if l["status"] != "accepted" {
		t.Fatalf("new attempt accept-2 after the mandate is active: loan status %v, want accepted", l["status"])
	}
	var rec struct {
		DecisionID string `json:"decision_id"`
		RequestID  string `json:"request_id"`
	}
	raw, _ := json.Marshal(l["consent"])
	if err := json.Unmarshal(raw, &rec); err != nil || rec.DecisionID == "" || rec.DecisionID == first || rec.RequestID != "accept-2" {
		t.Errorf("recorded consent %s: want a new decision (not %s) and request_id accept-2", raw, first)
	}
	// the declined attempt cannot accept an already accepted loan again
	if status, out := d.call("POST", "/v1/loans/"+id+"/accept", "service", "accept-1", consent); status != http.StatusConflict {
		t.Errorf("attempt accept-1 after accept-2 accepted the loan: status %d %v, want 409", status, out)
	}
}
