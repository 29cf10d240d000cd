package api

import (
	"net/http"
	"strings"
	"testing"
)

func TestUnknownQueryParametersAreRefused(t *testing.T) {
	t.Parallel()
	s, _ := oaServer(t)
	for _, tt := range []struct {
		path, field, detail string
	}{
		{"/v1/decisions?customer=C00000004", "customer", "this endpoint takes cursor, customer_id, from, limit, outcome, policy, role, rule, step, to, version"},
		{"/v1/decisions?customer_id=C1&stpe=login", "stpe", "customer_id"},
		{"/v1/decisions/dec_1?trace=true", "trace", "this endpoint takes none"},
		{"/v1/customers/C1/journey?limit=5&since=2026-01-01", "since", "from, limit, to"},
	} {
		rec := do(t, s.Handler(), "GET", tt.path, "", "Authorization", "Bearer oa-admin")
		if rec.Code != http.StatusBadRequest {
			t.Errorf("GET %s: %d, want 400", tt.path, rec.Code)
			continue
		}
		if p := decodeProblem(t, rec); p.Field != tt.field || !strings.Contains(p.Detail, tt.detail) {
			t.Errorf("GET %s: field %q detail %q; want field %q and a detail naming %q", tt.path, p.Field, p.Detail, tt.field, tt.detail)
		}
	}
}
