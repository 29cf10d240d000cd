package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/nirnay/nirnay/events/consume"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/money"
)

// TestDemoApplicationVelocity: a burst of applications by one customer
// through the lending API on the embedded demo service; each application
// decision reads the ones before it (loan_applications_7d), so the fifth
// is referred by the shipped application_velocity rule; after the outbox
// relay and the features consumer have processed the same applications the
// count is still exactly five. Payments likewise.
func TestDemoApplicationVelocity(t *testing.T) {
	t.Parallel() // a demo service of its own
	d := startDemo(t)
	velocityJourney(t, []*demoServer{d})
}

// TestApplicationVelocityTwoInstancesRedis is the same on two instances
// of the production shape (one PostgreSQL, one Redis), the applications
// alternating between them.
func TestApplicationVelocityTwoInstancesRedis(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the whole service twice")
	}
	pgURL := testenv.Postgres(t)
	redisURL, prefix := testenv.Redis(t)
	ctx := context.Background()
	var servers []*demoServer
	for i := range 2 {
		db := testenv.Backend{URL: pgURL}.Open(t)
		if i == 0 {
			db = testenv.Backend{URL: pgURL}.Migrated(t)
			if err := seedDemo(ctx, db, io.Discard, time.Now().UTC()); err != nil {
				t.Fatalf("demo keys: %v", err)
			}
		}
		opts, err := redis.ParseURL(redisURL)
		if err != nil {
			t.Fatal(err)
		}
		rdb := redis.NewClient(opts)
		t.Cleanup(func() { rdb.Close() })
		cfg := config{DatabaseURL: pgURL, RedisURL: redisURL, DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", MaxBodyBytes: 1 << 20,
			DecisionHotAge: 720 * time.Hour, ShutdownTimeout: 5 * time.Second, redisPrefix: prefix}
		svc, err := buildService(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), db, rdb, nil)
		if err != nil {
			t.Fatalf("build service %d: %v", i, err)
		}
		t.Cleanup(svc.close)
		if i == 0 {
			if err := svc.seedDemoCustomers(ctx, io.Discard); err != nil {
				t.Fatalf("seed demo customers: %v", err)
			}
		}
		stop := svc.run(ctx)
		t.Cleanup(stop)
		ts := httptest.NewServer(svc.api.Handler())
		t.Cleanup(ts.Close)
		servers = append(servers, &demoServer{url: ts.URL, t: t, svc: svc})
	}
	t.Cleanup(func() { testenv.DeleteKeys(servers[0].svc.rdb, prefix) }) // the test's keys, before the clients close
	time.Sleep(100 * time.Millisecond)                                   // both instances' L1 subscriptions established
	velocityJourney(t, servers)
}

// velocityJourney: the applications, then the payments, of one demo
// customer, request i on servers[i % len(servers)].
func velocityJourney(t *testing.T, servers []*demoServer) {
	on := func(i int) *demoServer { return servers[i%len(servers)] }
	first := applyUntilApproved(servers[0], 0) // application 1 of this customer
	cust := first.rec.CustomerID
	input := map[string]any{"loan_purpose": first.rec.Input["loan_purpose"]}
	for _, ent := range []string{"device", "pan", "phone"} {
		if id := first.rec.Entities[ent]; id != "" {
			input[map[string]string{"device": "device_id", "pan": "pan_hash", "phone": "phone_hash"}[ent]] = id
		}
	}
	apply := func(d *demoServer, n int) (int, map[string]any) {
		return d.call("POST", "/v1/loans/applications", "service", "", map[string]any{
			"request_id": fmt.Sprintf("vel-%d-%s", n, cust), "customer_id": cust, "product_id": "personal-loan",
			"amount": first.loan["amount"], "tenure_months": first.loan["tenure_months"], "input": input})
	}
	for n := 2; n <= 4; n++ {
		if status, out := apply(on(n-1), n); status != http.StatusCreated {
			t.Fatalf("application %d of %s: status %d %v; want 201 (fewer than 4 before it)", n, cust, status, out)
		}
	}
	status, out := apply(on(4), 5)
	reasons, _ := out["reasons"].([]any)
	if status != http.StatusUnprocessableEntity || out["outcome"] != "review" || !slices.Contains(reasons, any("APPLICATION_VELOCITY")) {
		t.Fatalf("application 5 of %s within seconds: status %d %v; want 422 review with APPLICATION_VELOCITY", cust, status, out)
	}
	// A retry of application 4 (its request id) is the same decision and
	// counts nothing again.
	if status, _ := apply(on(3), 4); status != http.StatusCreated {
		t.Fatalf("retry of application 4: status %d, want 201 (the first answer)", status)
	}

	// What each application decision read, from its logged features.
	ids := applicationDecisions(t, servers[0], cust, 5)
	for i, id := range ids {
		dec := on(i).must(http.StatusOK, "GET", "/v1/decisions/"+id, "ops", "", nil)
		got, ok := loggedFeature(dec, "loan_applications_7d")
		if !ok || got != float64(i) {
			t.Errorf("application %d (%s) read loan_applications_7d = %v, want %d", i+1, id, got, i)
		}
		if i == 3 {
			t.Logf("%d instance(s): the fourth application decision read loan_applications_7d = %v", len(servers), got)
		}
	}

	// Two payments on the first loan: the second's repayment decision reads
	// the first.
	loanID, account := first.loan["id"].(string), first.rec.Entities["bank_account"]
	on(0).must(http.StatusOK, "POST", "/v1/loans/"+loanID+"/accept", "service", "vel-accept",
		map[string]any{"kfs_digest": first.loan["kfs_digest"], "agreed": true, "account_hash": account, "account_verified": true})
	on(1).must(http.StatusOK, "POST", "/v1/loans/"+loanID+"/disburse", "service", "vel-disburse", map[string]any{"account_hash": account})
	var payDecisions []string
	for k := range 2 {
		p := on(k).must(http.StatusCreated, "POST", "/v1/loans/"+loanID+"/payments", "service", fmt.Sprintf("vel-pay-%d", k),
			map[string]any{"amount": money.Paise(100000).String(), "payment_mode": "upi"})
		payDecisions = append(payDecisions, p["decision_id"].(string))
	}
	for k, id := range payDecisions {
		dec := on(k).must(http.StatusOK, "GET", "/v1/decisions/"+id, "ops", "", nil)
		if got, ok := loggedFeature(dec, "payments_7d"); !ok || got != float64(k) {
			t.Errorf("repayment decision %d (%s) read payments_7d = %v, want %d", k+1, id, got, k)
		}
	}

	// The asynchronous path: the outbox relays the applications and
	// payments to the stream and the features consumer applies them again,
	// under the same event ids: nothing counts twice.
	waitConsumed(t, servers)
	f := on(0).must(http.StatusOK, "GET", "/v1/features/customer/"+cust, "ops", "", nil)
	feats, _ := f["features"].(map[string]any)
	if feats["loan_applications_7d"] != float64(5) || feats["payments_7d"] != float64(2) {
		t.Errorf("after the consumer processed the same events: loan_applications_7d %v, payments_7d %v; want exactly 5 and 2",
			feats["loan_applications_7d"], feats["payments_7d"])
	}
}

// applicationDecisions lists the customer's application decisions, oldest
// first, once want of them have reached the database.
func applicationDecisions(t *testing.T, d *demoServer, customer string, want int) []string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out := d.must(http.StatusOK, "GET", "/v1/decisions?customer_id="+customer+"&step=application&role=champion", "ops", "", nil)
		items, _ := out["items"].([]any)
		if len(items) >= want {
			var ids []string
			for _, it := range items {
				ids = append(ids, it.(map[string]any)["decision_id"].(string))
			}
			slices.Reverse(ids) // the list is newest first
			if len(ids) != want {
				t.Fatalf("customer %s has %d application decisions %v, want %d", customer, len(ids), ids, want)
			}
			return ids
		}
		if time.Now().After(deadline) {
			t.Fatalf("customer %s: %d application decisions listed after 15 s, want %d", customer, len(items), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// loggedFeature is the value of a feature a logged decision used.
func loggedFeature(dec map[string]any, name string) (float64, bool) {
	fs, _ := dec["features"].([]any)
	for _, f := range fs {
		m, _ := f.(map[string]any)
		if m["name"] == name {
			v, ok := m["value"].(float64)
			return v, ok
		}
	}
	return 0, false
}

// waitConsumed waits until every outbox row is published and the features
// consumer group has processed and acknowledged every message.
func waitConsumed(t *testing.T, servers []*demoServer) {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(20 * time.Second)
	for {
		done := true
		var unpublished int
		if err := servers[0].svc.db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE published_at IS NULL`).Scan(&unpublished); err != nil {
			t.Fatal(err)
		}
		done = unpublished == 0
		var why string
		for _, s := range servers {
			p, ok := s.svc.consume.Log.(interface {
				Pending(ctx context.Context, group string) (pending, lag int64, err error)
			})
			if !ok {
				t.Fatalf("stream %T does not report pending messages", s.svc.consume.Log)
			}
			pending, lag, err := p.Pending(ctx, consume.GroupFeatures)
			if err != nil && !strings.Contains(err.Error(), "does not exist") {
				t.Fatal(err)
			}
			if pending != 0 || lag != 0 || err != nil {
				done, why = false, fmt.Sprintf("features group: %d pending, lag %d (%v)", pending, lag, err)
			}
		}
		if done {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 20 s: %d outbox rows unpublished; %s", unpublished, why)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
