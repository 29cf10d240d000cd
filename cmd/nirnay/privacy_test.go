package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/kyc/okyc"
	"github.com/nirnay/nirnay/simulator"
)

// The personal data the privacy test plants: a Verhoeff-valid Aadhaar
// number, a PAN, a mobile number and an e-mail address, made up for it.
const (
	plantedAadhaar = "491827365013"
	plantedPAN     = "BKZPM4821Q"
	plantedMobile  = "9148263750"
	plantedEmail   = "priya.nair@example.com"
)

// plantedForms are the ways the planted data may be written out whole.
var plantedForms = []string{plantedAadhaar, "4918 2736 5013", "4918-2736-5013", plantedPAN, strings.ToLower(plantedPAN),
	plantedMobile, "91482 63750", "priya.nair@"}

// TestDemoPrivacy plants personal data wherever a client can put it — a
// decision input (odd keys, a nested array, free text), a loan
// application's input, events (an app_event's properties and element, an
// SMS body), a malformed event that is dead-lettered, a request id, a
// feature write — runs the demo service until the decision log has
// shipped and every consumer has caught up, stops it, and then reads every
// file under the data directory (the SQLite database and its WAL, the
// decision-log segments, the event archive, gzip members unpacked) and the
// service's log: none holds the planted data whole. The API shows it
// masked.
func TestDemoPrivacy(t *testing.T) {
	t.Parallel() // a demo service of its own
	if testing.Short() {
		t.Skip("builds the whole demo service")
	}
	ctx := context.Background()
	dir := t.TempDir()
	db := testenv.SQLiteAt(t, dir)
	if err := seedDemo(ctx, db, io.Discard, time.Now().UTC()); err != nil {
		t.Fatalf("demo keys: %v", err)
	}
	var logs syncBuffer
	cfg := config{DataDir: dir, HTTPAddr: "127.0.0.1:0", MaxBodyBytes: 1 << 20, DecisionHotAge: 720 * time.Hour,
		ShutdownTimeout: 5 * time.Second, LogLevel: "debug", LogFormat: "json"}
	svc, err := buildService(ctx, cfg, cfg.newLogger(&logs), db, nil, nil)
	if err != nil {
		t.Fatalf("build service: %v", err)
	}
	if err := svc.seedDemoCustomers(ctx, io.Discard); err != nil {
		t.Fatalf("seed demo customers: %v", err)
	}
	stop := svc.run(ctx)
	ts := httptest.NewServer(svc.api.Handler())
	var once sync.Once
	shutdown := func() { once.Do(func() { ts.Close(); stop(); svc.close(); db.Close() }) }
	t.Cleanup(shutdown)
	d := &demoServer{url: ts.URL, t: t}

	var cust simulator.Record
	for rec := range simulator.Customers(demoCustomers, demoSeed) {
		if a, n := rec.Input["amount"].(int64), rec.Input["tenure_months"].(int64); a >= 10000 && a <= 500000 && n >= 3 && n <= 36 {
			cust = rec
			break
		}
	}
	c := cust.CustomerID

	// A decision whose input holds the data under odd keys, in a nested
	// array and in free text; read back with a request id that holds it.
	dec := d.must(http.StatusOK, "POST", "/v1/decisions", "service", "", map[string]any{"customer_id": c, "step": "application",
		"input": map[string]any{"amount": 50000, "tenure_months": 12, "loan_purpose": "medical",
			"aadhar_no": "4918 2736 5013", "PAN-No": plantedPAN, "mobile_no": "+91-" + plantedMobile, "email_id": plantedEmail,
			"references": []any{map[string]any{"relation": "friend", "contact": plantedMobile, "id_proof": plantedAadhaar}},
			"documents":  []any{"4918-2736-5013", "pan " + plantedPAN},
			"remarks": "read out Aadhaar " + plantedAadhaar + " and PAN " + strings.ToLower(plantedPAN) + ", call 0" + plantedMobile +
				" or mail " + plantedEmail}})
	decisionID := dec["decision_id"].(string)
	// A traced decision shows the request features its rules read: one
	// holds an Aadhaar number (payment_mode, read at repayment).
	traced := d.must(http.StatusOK, "POST", "/v1/decisions", "service", "", map[string]any{"customer_id": c, "step": "repayment",
		"trace": true, "input": map[string]any{"amount": 5000, "payment_mode": "upi 4918 2736 5013"}})
	if b, _ := json.Marshal(traced); !strings.Contains(string(b), "upi XXXXXXXX5013") {
		t.Errorf("traced repayment decision does not show payment_mode with the Aadhaar number redacted: %s", b)
	}

	// A loan application whose input holds it too (approved or not, its
	// decision is logged).
	if status, out := d.call("POST", "/v1/loans/applications", "service", "", map[string]any{
		"request_id": "app-privacy", "customer_id": c, "product_id": "personal-loan",
		"amount": "50000.00", "tenure_months": 12, "input": map[string]any{"loan_purpose": cust.Input["loan_purpose"],
			"applicant": map[string]any{"aadhaar_number": plantedAadhaar, "pan": plantedPAN}, "alt_phone": "91482 63750",
			"note": "KYC: " + plantedPAN + " / " + "4918 2736 5013"}}); status != http.StatusCreated && status != http.StatusUnprocessableEntity {
		t.Fatalf("loan application: status %d: %v", status, out)
	}

	// Events: an app_event and an SMS holding it, a bank SMS, and a
	// malformed app_event (no name) that is dead-lettered.
	at := time.Now().UTC().Add(-time.Minute).Format(time.RFC3339Nano)
	rc := d.must(http.StatusAccepted, "POST", "/v1/events", "service", "", map[string]any{"events": []any{
		map[string]any{"id": "ev-priv-1", "type": "app_event", "customer_id": c, "device_id": "D-priv", "at": at,
			"data": map[string]any{"name": "kyc_submit", "screen": "kyc", "element": "aadhaar " + plantedAadhaar, "props": map[string]any{
				"aadhaar_number": "4918 2736 5013", "pan_card": plantedPAN, "phone": "+91 91482 63750", "items": []any{map[string]any{"uid": plantedAadhaar}},
				"note": "PAN " + plantedPAN + " mobile " + plantedMobile + " mail " + plantedEmail}}},
		map[string]any{"id": "ev-priv-2", "type": "sms", "customer_id": c, "at": at, "data": map[string]any{"sender": "AX-UIDAI",
			"body": "Your Aadhaar 4918 2736 5013 is linked to mobile " + plantedMobile + " and PAN " + plantedPAN + ". Mail " + plantedEmail}},
		map[string]any{"id": "ev-priv-3", "type": "sms", "customer_id": c, "at": at, "data": map[string]any{"sender": "VM-HDFCBK",
			"body": "Rs.5000.00 credited to A/c XX1234 on 04-12-26 by NEFT. Avl Bal Rs 20000.00"}},
		map[string]any{"id": "ev-priv-4", "type": "app_event", "customer_id": c, "at": at, "data": map[string]any{"screen": "kyc",
			"props": map[string]any{"aadhaar": plantedAadhaar, "pan": plantedPAN, "mobile": plantedMobile, "text": "4918-2736-5013"}}},
	}})
	if acc, _ := rc["accepted"].([]any); len(acc) != 3 {
		t.Fatalf("events: %v; want 3 accepted and ev-priv-4 dead-lettered", rc)
	}

	// KYC: a PAN check of the planted PAN under a name holding the Aadhaar
	// number, and an offline e-KYC file carrying the mobile and e-mail.
	kycBase := "/v1/customers/" + c + "/kyc/"
	d.must(http.StatusCreated, "POST", kycBase+"pan", "service", "", map[string]any{"pan": plantedPAN, "name": "Priya 4918 2736 5013 Nair",
		"dob": "1991-02-03", "consent_ref": "consent " + plantedAadhaar})
	var zip bytes.Buffer
	if err := okyc.WriteSandbox(&zip, okyc.SandboxParams{Name: "Priya Nair", DOB: "1991-02-03", ShareCode: "7351", Last4: "5013",
		Mobile: plantedMobile, Email: plantedEmail}); err != nil {
		t.Fatal(err)
	}
	if status, out := d.upload(kycBase+"aadhaar-offline", zip.Bytes(), "7351"); status != http.StatusCreated || out["status"] != "verified" {
		t.Fatalf("offline e-KYC: %d %v, want verified", status, out)
	}
	d.must(http.StatusCreated, "POST", kycBase+"bank-account", "service", "", map[string]any{"account_number": "5013" + plantedMobile,
		"ifsc": "HDFC0001234", "name": "Priya Nair"})

	// A feature value holding an Aadhaar number is refused, naming it.
	if status, out := d.call("PUT", "/v1/features/customer/"+c, "service", "", map[string]any{
		"features": map[string]any{"employment_type": "salaried " + plantedAadhaar}}); status != http.StatusBadRequest || out["field"] != "features.employment_type" {
		t.Fatalf("feature write holding an Aadhaar number: %d %v; want 400 naming features.employment_type", status, out)
	}

	// The log ships; every consumer catches up (acknowledged messages
	// leave the stream; relayed outbox rows are published).
	if err := svc.declog.WaitShipped(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the consumers to acknowledge every event", func() bool {
		// A failed count (the file busy on a loaded machine) is not a zero.
		var left, unpublished int
		if db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM event_stream`).Scan(&left) != nil ||
			db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE published_at IS NULL`).Scan(&unpublished) != nil {
			return false
		}
		return left == 0 && unpublished == 0
	})

	// The API shows the data masked.
	views := map[string]string{}
	for _, path := range []string{"/v1/decisions/" + decisionID, "/v1/events/dead-letters", "/v1/customers/" + c + "/journey", "/v1/customers/" + c + "/kyc"} {
		status, body := rawCall(t, ts.URL, "GET", path, "ops", "kyc-"+plantedAadhaar+"-"+plantedPAN+"-"+plantedMobile)
		if status != http.StatusOK {
			t.Fatalf("GET %s: %d %s", path, status, body)
		}
		views[path] = body
		assertNoPlanted(t, "GET "+path, body)
	}
	for path, want := range map[string][]string{
		"/v1/decisions/" + decisionID:     {"XXXXXXXX5013", "XXXXXX821Q", "XXXXXX3750", "XXXX@example.com"},
		"/v1/events/dead-letters":         {"ev-priv-4", "XXXXXXXX5013", "XXXXXX821Q", "XXXXXX3750"},
		"/v1/customers/" + c + "/journey": {"ev-priv-1", "aadhaar XXXXXXXX5013"},
	} {
		for _, w := range want {
			if !strings.Contains(views[path], w) {
				t.Errorf("GET %s lacks %q: %s", path, w, views[path])
			}
		}
	}

	// Nothing it stored holds the data whole: read while it runs (the
	// SQLite WAL is there then) and once it has stopped.
	scanDataDir(t, dir, "running")
	shutdown()
	scanDataDir(t, dir, "stopped")
	out := logs.String()
	if !strings.Contains(out, `"route":"/v1/decisions/:id"`) {
		t.Fatalf("the service log does not hold the access log lines: %.2000s", out)
	}
	assertNoPlanted(t, "the service log", out)
	if !strings.Contains(out, "kyc-XXXXXXXX5013-XXXXXX821Q-XXXXXX3750") {
		t.Errorf("the service log does not show the planted request id masked: %.2000s", out)
	}
}

// scanDataDir reads every file under dir, unpacking gzip files, and fails
// the test where one holds planted data whole.
func scanDataDir(t *testing.T, dir, when string) {
	t.Helper()
	files, archived := 0, false
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		name, _ := filepath.Rel(dir, path)
		name = when + ": " + name
		assertNoPlanted(t, name, string(b))
		if strings.HasSuffix(path, ".gz") {
			zr, err := gzip.NewReader(bytes.NewReader(b))
			if err != nil {
				t.Errorf("%s: %v", name, err)
				return nil
			}
			plain, err := io.ReadAll(zr) // every member
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			assertNoPlanted(t, name+" (unpacked)", string(plain))
			archived = archived || strings.Contains(string(plain), `"id":"ev-priv-2"`) && strings.Contains(string(plain), "XXXXXXXX5013")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 3 || !archived {
		t.Fatalf("%s: read %d files under %s, archive holding the redacted SMS: %v; want the database, the decision log and the archive", when, files, dir, archived)
	}
}

// assertNoPlanted fails the test when text holds any planted datum whole.
func assertNoPlanted(t *testing.T, where, text string) {
	t.Helper()
	for _, p := range plantedForms {
		if i := strings.Index(text, p); i >= 0 {
			t.Errorf("%s holds %q: …%s…", where, p, text[max(0, i-120):min(len(text), i+len(p)+120)])
		}
	}
}

// rawCall sends a request with the demo key of role and an X-Request-Id;
// it returns the status and the body as text.
func rawCall(t *testing.T, base, method, path, role, requestID string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer demo-"+role+"-key")
	req.Header.Set("X-Request-Id", requestID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if !json.Valid(b) {
		t.Fatalf("%s %s: answer is not JSON: %s", method, path, b)
	}
	return resp.StatusCode, string(b)
}

// waitFor polls cond for up to 20 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}
