package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// apiKey is a key a test seeds: its role, its secret and, for a
// customer's token, the customer.
type apiKey struct{ role, secret, customer string }

// staffKeys are a service key "svc", "ops", "ana" (analyst) and the
// service token "cust-1" of customer C-1.
var staffKeys = []apiKey{{RoleService, "svc", ""}, {RoleOps, "ops", ""}, {RoleAnalyst, "ana", ""}, {RoleService, "cust-1", "C-1"}}

// testDB is a fresh embedded database holding keys.
func testDB(t *testing.T, keys ...apiKey) *store.DB {
	t.Helper()
	db := testenv.SQLite(t)
	for _, k := range keys {
		seedKey(t, db, k.role, k.secret, k.customer)
	}
	return db
}

func seedKey(t *testing.T, db *store.DB, role, secret, customer string) {
	t.Helper()
	if err := db.CreateAPIKey(context.Background(), store.APIKey{ID: "key_" + secret, Name: role, Role: role, CustomerID: customer, CreatedAt: time.Now()}, secret); err != nil {
		t.Fatal(err)
	}
}

func bearer(k string) []string { return []string{"Authorization", "Bearer " + k} }

func TestAuthenticationAndRoles(t *testing.T) {
	t.Parallel()
	db := testDB(t, apiKey{RoleAdmin, "adm", ""}, apiKey{RoleOps, "ops", ""}, apiKey{RoleService, "svc", ""})
	s := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Keys: db})
	s.MountKeys(db)
	s.V1().GET("/ops-only", allow(RoleOps), func(c *gin.Context) { c.Status(204) })
	h := s.Handler()

	if rec := do(t, h, "GET", "/v1/ops-only", ""); rec.Code != 401 || rec.Header().Get("WWW-Authenticate") == "" {
		t.Fatalf("no key: %d, want 401 with WWW-Authenticate", rec.Code)
	}
	if rec := do(t, h, "GET", "/v1/ops-only", "", bearer("nope")...); rec.Code != 401 {
		t.Fatalf("unknown key: %d, want 401", rec.Code)
	}
	if rec := do(t, h, "GET", "/v1/ops-only", "", bearer("svc")...); rec.Code != 403 || decodeProblem(t, rec).Status != 403 {
		t.Fatalf("service on an ops endpoint: %d, want 403", rec.Code)
	}
	for _, k := range []string{"ops", "adm"} {
		if rec := do(t, h, "GET", "/v1/ops-only", "", bearer(k)...); rec.Code != 204 {
			t.Fatalf("%s on an ops endpoint: %d, want 204", k, rec.Code)
		}
	}

	// Admin creates a key; the secret is shown once and works; revoking it stops it.
	rec := do(t, h, "POST", "/v1/keys", `{"name":"risk team","role":"analyst"}`, bearer("adm")...)
	var created keyView
	if err := json.Unmarshal(rec.Body.Bytes(), &created); rec.Code != 201 || err != nil || created.Key == "" || created.Role != RoleAnalyst {
		t.Fatalf("create key: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, h, "GET", "/v1/keys", "", bearer(created.Key)...); rec.Code != 403 {
		t.Fatalf("analyst listing keys: %d, want 403", rec.Code)
	}
	list := do(t, h, "GET", "/v1/keys", "", bearer("adm")...)
	if list.Code != 200 || json.Valid(list.Body.Bytes()) == false || strings.Contains(list.Body.String(), created.Key) {
		t.Fatalf("list keys: %d, leaks secret: %v", list.Code, strings.Contains(list.Body.String(), created.Key))
	}
	if rec := do(t, h, "DELETE", "/v1/keys/"+created.ID, "", bearer("adm")...); rec.Code != 204 {
		t.Fatalf("revoke: %d", rec.Code)
	}
	if rec := do(t, h, "GET", "/v1/keys", "", bearer(created.Key)...); rec.Code != 401 {
		t.Fatalf("revoked key: %d, want 401", rec.Code)
	}
	// Bad input is a 400 naming the problem, not a 500.
	for _, body := range []string{`{"role":"root"}`, `{"role":`, `{"role":"ops","extra":1}`, ``} {
		if rec := do(t, h, "POST", "/v1/keys", body, bearer("adm")...); rec.Code != 400 {
			t.Fatalf("create key with %q: %d %s, want 400", body, rec.Code, rec.Body)
		}
	}
	// A service may mint a customer-scoped token, nothing else.
	if rec := do(t, h, "POST", "/v1/keys", `{"role":"admin"}`, bearer("svc")...); rec.Code != 403 {
		t.Fatalf("service minting admin: %d, want 403", rec.Code)
	}
	rec = do(t, h, "POST", "/v1/keys", `{"customer_id":"C-7"}`, bearer("svc")...)
	if err := json.Unmarshal(rec.Body.Bytes(), &created); rec.Code != 201 || err != nil || created.CustomerID != "C-7" || created.Role != RoleService {
		t.Fatalf("customer token: %d %s", rec.Code, rec.Body)
	}
}

func TestRateLimitPerKey(t *testing.T) {
	db := testDB(t, apiKey{RoleOps, "a", ""}, apiKey{RoleOps, "b", ""})
	s := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Keys: db, RateLimit: 1, RateBurst: 3})
	s.V1().GET("/x", func(c *gin.Context) { c.Status(204) })
	codes := []int{}
	for range 5 {
		codes = append(codes, do(t, s.Handler(), "GET", "/v1/x", "", bearer("a")...).Code)
	}
	if codes[0] != 204 || codes[2] != 204 || codes[3] != 429 || codes[4] != 429 {
		t.Fatalf("codes for key a: %v; want three 204 then 429", codes)
	}
	if rec := do(t, s.Handler(), "GET", "/v1/x", "", bearer("b")...); rec.Code != 204 {
		t.Fatalf("key b limited by key a's use: %d", rec.Code)
	}
	rec := do(t, s.Handler(), "GET", "/v1/x", "", bearer("a")...)
	if rec.Header().Get("Retry-After") == "" || decodeProblem(t, rec).Status != 429 {
		t.Fatalf("429 without Retry-After or problem body")
	}
}
