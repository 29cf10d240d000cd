package api

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

func featureServer(t *testing.T) (*Server, *features.Source) {
	t.Helper()
	var keys []apiKey
	for _, r := range []string{RoleAdmin, RoleAnalyst, RoleOps, RoleService, RoleApprover} {
		keys = append(keys, apiKey{r, r, ""})
	}
	db := testDB(t, append(keys, apiKey{RoleService, "cust7", "C-7"})...)
	cat, err := rules.ParseCatalog("features.yaml", []byte(`features:
  - {name: bureau_score, type: int, max_age: 720h}
  - {name: city, type: string}
  - {name: apps, type: list<string>}
  - {name: kyc_at, type: timestamp}
  - {name: ratio, type: double}
  - {name: logins_1h, type: int, source: aggregate, aggregate: {event: login, fn: count, window: 1h}}
  - {name: emi_to_score, type: double, source: derived, expr: "ratio / bureau_score"}
  - {name: device_rooted, type: bool, entity: device}
`))
	if err != nil {
		t.Fatal(err)
	}
	b, err := features.NewBuilder(cat)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := features.NewLocalStore(ctx, db, cat, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(ctx) })
	src, err := features.NewSource(features.SourceConfig{Builder: b, Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	s := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Keys: db})
	s.MountFeatures(src)
	return s, src
}

func TestFeatureWriteAndRead(t *testing.T) {
	t.Parallel()
	s, src := featureServer(t)
	h := s.Handler()
	body := `{"features": {"bureau_score": 742, "city": "Pune", "apps": ["upi", "bank"], "kyc_at": "2026-11-01T10:00:00Z", "ratio": 0.5}}`
	rec := do(t, h, "PUT", "/v1/features/customer/C-1", body, bearer(RoleService)...)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"written":["apps","bureau_score","city","kyc_at","ratio"]`) {
		t.Fatalf("PUT as service: %d %s, want 200 listing the written features", rec.Code, rec.Body)
	}
	for _, role := range []string{RoleAnalyst, RoleOps, RoleService, RoleAdmin} {
		rec := do(t, h, "GET", "/v1/features/customer/C-1", "", bearer(role)...)
		var v featureView
		if err := json.Unmarshal(rec.Body.Bytes(), &v); rec.Code != 200 || err != nil {
			t.Fatalf("GET as %s: %d %s", role, rec.Code, rec.Body)
		}
		want := map[string]any{"bureau_score": 742.0, "city": "Pune", "apps": []any{"upi", "bank"}, "kyc_at": "2026-11-01T10:00:00Z", "ratio": 0.5, "logins_1h": 0.0}
		if got := fmt.Sprint(v.Features); got != fmt.Sprint(want) || v.Entity != "customer" || v.ID != "C-1" {
			t.Errorf("GET as %s: features %v, want %v", role, got, want)
		}
		if _, err := time.Parse(time.RFC3339, v.AsOf["bureau_score"]); err != nil || len(v.AsOf) != len(want) {
			t.Errorf("GET as %s: as_of %v, want an RFC 3339 time per feature", role, v.AsOf)
		}
	}
	// Roles.
	for _, c := range []struct {
		method, path, body, key string
		want                    int
	}{
		{"PUT", "/v1/features/customer/C-1", `{"features": {"city": "Goa"}}`, RoleAnalyst, 403},
		{"PUT", "/v1/features/customer/C-1", `{"features": {"city": "Goa"}}`, RoleOps, 403},
		{"GET", "/v1/features/customer/C-1", "", RoleApprover, 403},
		{"POST", "/v1/features:batch", `{"items": [{"entity": "customer", "id": "C-1", "features": {"city": "Goa"}}]}`, RoleAnalyst, 403},
		{"GET", "/v1/features/customer/C-1", "", "", 401},
	} {
		hdr := bearer(c.key)
		if c.key == "" {
			hdr = nil
		}
		if rec := do(t, h, c.method, c.path, c.body, hdr...); rec.Code != c.want {
			t.Errorf("%s %s as %q: %d, want %d", c.method, c.path, c.key, rec.Code, c.want)
		}
	}
	// The write reached decisions at once (L1 was invalidated).
	v, err := src.Vector(context.Background(), features.Request{CustomerID: "C-1", Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	f, _ := v.Catalog().Lookup("bureau_score")
	if val, ok := v.Lookup(f.Slot, time.Now().UnixNano()); !ok || val.Value() != int64(742) {
		t.Errorf("decision vector bureau_score = %v, want 742", val)
	}
	do(t, h, "PUT", "/v1/features/customer/C-1", `{"features": {"bureau_score": 610}}`, bearer(RoleService)...)
	v, _ = src.Vector(context.Background(), features.Request{CustomerID: "C-1", Now: time.Now()})
	if val, _ := v.Lookup(f.Slot, time.Now().UnixNano()); val == nil || val.Value() != int64(610) {
		t.Errorf("after a second PUT the decision vector bureau_score = %v, want 610", val)
	}
}

func TestFeatureWritesAreValidated(t *testing.T) {
	t.Parallel()
	s, _ := featureServer(t)
	h := s.Handler()
	cases := []struct {
		method, path, body string
		status             int
		field              string
	}{
		{"PUT", "/v1/features/customer/C-1", `{"features": {"nope": 1}}`, 400, "features.nope"},
		{"PUT", "/v1/features/customer/C-1", `{"features": {"bureau_score": "high"}}`, 400, "features.bureau_score"},
		{"PUT", "/v1/features/customer/C-1", `{"features": {"bureau_score": 7.5}}`, 400, "features.bureau_score"},
		{"PUT", "/v1/features/customer/C-1", `{"features": {"apps": [1, 2]}}`, 400, "features.apps"},
		{"PUT", "/v1/features/customer/C-1", `{"features": {"logins_1h": 3}}`, 400, "features.logins_1h"},
		{"PUT", "/v1/features/customer/C-1", `{"features": {"emi_to_score": 3}}`, 400, "features.emi_to_score"},
		{"PUT", "/v1/features/customer/C-1", `{"features": {"device_rooted": true}}`, 400, "features.device_rooted"},
		{"PUT", "/v1/features/customer/C-1", `{"features": {"city": "Pune, Aadhaar 2345 6789 0124"}}`, 400, "features.city"},
		{"PUT", "/v1/features/customer/C-1", `{"features": {"apps": ["a", "234567890124"]}}`, 400, "features.apps"},
		{"PUT", "/v1/features/customer/C-1", `{"features": {}}`, 400, "features"},
		{"PUT", "/v1/features/customer/C-1", `{"features": {"city": "x"}, "as_of": "2999-01-01T00:00:00Z"}`, 400, "as_of"},
		{"PUT", "/v1/features/customer/C-1", `{"feature": {"city": "x"}}`, 400, ""},
		{"PUT", "/v1/features/planet/P-1", `{"features": {"city": "x"}}`, 404, ""},
		{"GET", "/v1/features/planet/P-1", ``, 404, ""},
		{"POST", "/v1/features:batch", `{"items": []}`, 400, "items"},
		{"POST", "/v1/features:batch", `{"items": [{"entity": "customer", "id": "C-2", "features": {"city": "Goa"}}, {"entity": "device", "id": "d-1", "features": {"device_rooted": "yes"}}]}`, 400, "items[1].features.device_rooted"},
	}
	for _, c := range cases {
		rec := do(t, h, c.method, c.path, c.body, bearer(RoleService)...)
		if rec.Code != c.status {
			t.Errorf("%s %s %s: %d %s, want %d", c.method, c.path, c.body, rec.Code, rec.Body, c.status)
			continue
		}
		if p := decodeProblem(t, rec); p.Field != c.field {
			t.Errorf("%s %s: problem field %q, want %q (%s)", c.method, c.body, p.Field, c.field, p.Detail)
		}
	}
	// The rejected batch wrote nothing, not even its valid first item.
	if rec := do(t, h, "GET", "/v1/features/customer/C-2", "", bearer(RoleOps)...); !strings.Contains(rec.Body.String(), `"features":{"logins_1h":0}`) {
		t.Errorf("C-2 after a rejected batch: %s, want no stored values", rec.Body)
	}
	// A batch over the limit is refused.
	var b strings.Builder
	b.WriteString(`{"items": [`)
	for i := range MaxFeatureBatch + 1 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"entity": "customer", "id": "C-%d", "features": {"city": "x"}}`, i)
	}
	b.WriteString(`]}`)
	if rec := do(t, h, "POST", "/v1/features:batch", b.String(), bearer(RoleService)...); rec.Code != 400 || decodeProblem(t, rec).Field != "items" {
		t.Errorf("batch of %d items: %d %s, want 400 on items", MaxFeatureBatch+1, rec.Code, rec.Body)
	}
}

func TestFeatureBatchAndCustomerScope(t *testing.T) {
	t.Parallel()
	s, _ := featureServer(t)
	h := s.Handler()
	body := `{"items": [
	  {"entity": "customer", "id": "C-7", "features": {"city": "Goa"}, "as_of": "2026-11-01T00:00:00Z"},
	  {"entity": "device", "id": "d-9", "features": {"device_rooted": true}}]}`
	if rec := do(t, h, "POST", "/v1/features:batch", body, bearer(RoleService)...); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"written":2`) {
		t.Fatalf("batch: %d %s, want 200 written 2", rec.Code, rec.Body)
	}
	rec := do(t, h, "GET", "/v1/features/customer/C-7", "", bearer(RoleOps)...)
	if !strings.Contains(rec.Body.String(), `"city":"2026-11-01T00:00:00Z"`) || !strings.Contains(rec.Body.String(), `"city":"Goa"`) {
		t.Errorf("C-7: %s, want city Goa as of 2026-11-01", rec.Body)
	}
	if rec := do(t, h, "GET", "/v1/features/device/d-9", "", bearer(RoleAnalyst)...); !strings.Contains(rec.Body.String(), `"device_rooted":true`) {
		t.Errorf("d-9: %s, want device_rooted true", rec.Body)
	}
	// A customer-scoped token sees its own customer only.
	if rec := do(t, h, "GET", "/v1/features/customer/C-7", "", bearer("cust7")...); rec.Code != 200 {
		t.Errorf("scoped token on its customer: %d, want 200", rec.Code)
	}
	for _, p := range []string{"/v1/features/customer/C-1", "/v1/features/device/d-9"} {
		if rec := do(t, h, "GET", p, "", bearer("cust7")...); rec.Code != 404 {
			t.Errorf("scoped token on %s: %d, want 404", p, rec.Code)
		}
	}
}

// TestFeatureWritesByRoleAndWriter: a customer-scoped token cannot write
// its own credit data (it could approve itself); features that are not
// online cannot be written by anyone; every write is attributed in the
// history.
func TestFeatureWritesByRoleAndWriter(t *testing.T) {
	t.Parallel()
	s, _ := featureServer(t)
	h := s.Handler()
	for _, tt := range []struct {
		method, path, body string
	}{
		{"PUT", "/v1/features/customer/C-7", `{"features": {"bureau_score": 900}}`},
		{"POST", "/v1/features:batch", `{"items": [{"entity": "customer", "id": "C-7", "features": {"bureau_score": 900}}]}`},
	} {
		rec := do(t, h, tt.method, tt.path, tt.body, bearer("cust7")...)
		if rec.Code != 403 || decodeProblem(t, rec).Type != ProblemTypeBase+"forbidden" {
			t.Errorf("%s %s with a customer-scoped token: %d %s, want 403", tt.method, tt.path, rec.Code, rec.Body)
		}
	}
	if rec := do(t, h, "GET", "/v1/features/customer/C-7", "", bearer(RoleOps)...); strings.Contains(rec.Body.String(), "900") {
		t.Fatalf("a refused write was stored: %s", rec.Body)
	}
	for _, name := range []string{"logins_1h", "emi_to_score"} {
		rec := do(t, h, "PUT", "/v1/features/customer/C-7", `{"features": {"`+name+`": 1}}`, bearer(RoleService)...)
		if p := decodeProblem(t, rec); rec.Code != 400 || p.Field != "features."+name {
			t.Errorf("writing %s: %d %+v, want 400 naming it", name, rec.Code, p)
		}
	}
	if rec := do(t, h, "PUT", "/v1/features/customer/C-7", `{"features": {"bureau_score": 720}}`, bearer(RoleService)...); rec.Code != 200 {
		t.Fatalf("service write: %d %s", rec.Code, rec.Body)
	}
	var by string
	if err := s.keys.(interface {
		Reader() *sql.DB
	}).Reader().QueryRow(`SELECT written_by FROM feature_history WHERE entity_id = 'C-7' AND name = 'bureau_score'`).Scan(&by); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(by, "key:") || len(by) < 5 {
		t.Errorf("history written_by %q, want key:<the service key's id>", by)
	}
}
