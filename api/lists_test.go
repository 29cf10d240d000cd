package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/lists"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/store"
)

// listFixture is a server with the list and audit routes on db, a body
// limit of 4 KiB, and a key per role (secret = id).
type listFixture struct {
	govFixture
	svc *lists.Service
}

const listTestMaxBody = 4 << 10

func newListFixture(t *testing.T, db *store.DB, url string) listFixture {
	t.Helper()
	ctx := context.Background()
	for _, k := range []struct{ id, role string }{
		{"asha", RoleAnalyst}, {"meera", RoleApprover}, {"olga", RoleOps}, {"svc", RoleService}, {"root", RoleAdmin},
	} {
		if err := db.CreateAPIKey(ctx, store.APIKey{ID: k.id, Name: k.id + " (" + k.role + ")", Role: k.role, CreatedAt: time.Now()}, k.id); err != nil {
			t.Fatal(err)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	gov, err := governance.Open(ctx, db, policies.FS, governance.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	svc, err := lists.Open(ctx, db, lists.Options{Logger: quiet, DatabaseURL: url})
	if err != nil {
		t.Fatal(err)
	}
	s := New(Options{Logger: quiet, Keys: db, RateLimit: -1, MaxBodyBytes: listTestMaxBody})
	s.MountPolicies(gov)
	s.MountLists(svc)
	return listFixture{govFixture: govFixture{h: s.Handler()}, svc: svc}
}

// problemField is the field a problem+json body names.
func problemField(t *testing.T, body string) string {
	t.Helper()
	var p Problem
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		t.Fatalf("not a problem body: %q", body)
	}
	return p.Field
}

func TestListsAPI(t *testing.T) {
	govBackends(t, func(t *testing.T, db *store.DB) {
		url := ""
		if db.Dialect == store.Postgres {
			url = "postgres" // Listen is not started here; the URL is not used
		}
		f := newListFixture(t, db, url)
		const js = "application/json"
		code, body := f.call(t, "asha", "PUT", "/v1/lists/blocked_pincodes", js, `{"description": "Pincodes we do not serve"}`, nil)
		if code != http.StatusCreated || !strings.Contains(body, `"name":"blocked_pincodes"`) {
			t.Fatalf("create: %d %s; want 201 with the list", code, body)
		}
		f.want(t, http.StatusOK, "olga", "PUT", "/v1/lists/blocked_pincodes", js, `{"description": "Unserviceable pincodes"}`, nil)

		var added lists.AddResult
		f.call(t, "asha", "POST", "/v1/lists/blocked_pincodes/entries", js,
			`{"entries": [{"value": "560001", "reason": "flood", "expires_at": null}, {"value": "110001", "expires_at": "2100-01-01T00:00:00Z"}]}`, &added)
		if added != (lists.AddResult{Added: 2}) {
			t.Errorf("add: got %+v, want 2 added", added)
		}
		f.call(t, "olga", "POST", "/v1/lists/blocked_pincodes/entries", js, `{"entries": [{"value": "560001", "reason": "flood"}]}`, &added)
		if added != (lists.AddResult{Unchanged: 1}) {
			t.Errorf("add again: got %+v, want 1 unchanged", added)
		}
		if ok, _ := f.svc.Cache().Contains("blocked_pincodes", "560001", time.Now()); !ok {
			t.Errorf("after the add answered, the cache does not hold 560001")
		}

		var page struct {
			Items      []lists.Entry `json:"items"`
			NextCursor *string       `json:"next_cursor"`
		}
		f.call(t, "meera", "GET", "/v1/lists/blocked_pincodes/entries?limit=1", "", "", &page)
		if len(page.Items) != 1 || page.Items[0].Value != "110001" || page.NextCursor == nil || page.Items[0].ExpiresAt == nil {
			t.Fatalf("first page of one: %+v; want 110001 (with its expiry) and a next cursor", page)
		}
		f.call(t, "meera", "GET", "/v1/lists/blocked_pincodes/entries?limit=1&cursor="+*page.NextCursor, "", "", &page)
		if len(page.Items) != 1 || page.Items[0].Value != "560001" || page.NextCursor != nil || page.Items[0].Reason != "flood" {
			t.Fatalf("second page: %+v; want 560001 and next_cursor null", page)
		}
		var all struct {
			Items      []lists.List `json:"items"`
			NextCursor *string      `json:"next_cursor"`
		}
		f.call(t, "meera", "GET", "/v1/lists", "", "", &all)
		if len(all.Items) != 1 || all.Items[0].Entries != 2 || all.Items[0].Description != "Unserviceable pincodes" || all.NextCursor != nil {
			t.Errorf("lists: %+v; want blocked_pincodes with 2 entries", all)
		}

		f.want(t, http.StatusNoContent, "asha", "DELETE", "/v1/lists/blocked_pincodes/entries/110001", "", "", nil)
		f.want(t, http.StatusNotFound, "asha", "DELETE", "/v1/lists/blocked_pincodes/entries/110001", "", "", nil)

		var dry lists.ImportResult
		csv := "value,reason\n400001,fraud ring\n560001,flood\n"
		f.call(t, "asha", "POST", "/v1/lists/blocked_pincodes/import?mode=replace&dry_run=true", "text/csv", csv, &dry)
		if dry.Added != 1 || dry.Unchanged != 1 || dry.Removed != 0 || !dry.DryRun || dry.Sample == nil || len(dry.Sample.Add) != 1 {
			t.Errorf("dry run: %+v; want 1 added, 1 unchanged and a sample", dry)
		}
		if ok, _ := f.svc.Cache().Contains("blocked_pincodes", "400001", time.Now()); ok {
			t.Errorf("a dry run put 400001 on the list")
		}
		var imp lists.ImportResult
		f.call(t, "asha", "POST", "/v1/lists/blocked_pincodes/import?mode=replace", "text/csv", "400001\n", &imp)
		if imp.Added != 1 || imp.Removed != 1 || imp.DryRun || imp.Sample != nil {
			t.Errorf("replace: %+v; want 1 added, 1 removed", imp)
		}

		var audit struct {
			Items []governance.AuditEntry `json:"items"`
		}
		f.call(t, "meera", "GET", "/v1/audit?subject=list/blocked_pincodes", "", "", &audit)
		var acts []string
		for _, e := range audit.Items {
			acts = append(acts, e.Action+":"+e.Actor.ID)
		}
		if got, want := strings.Join(acts, " "), "list.create:asha list.update:olga list.add:asha list.remove:asha list.import:asha"; got != want {
			t.Errorf("audit of list/blocked_pincodes: got %q, want %q", got, want)
		}
	})
}

// TestListsAPIBadInput: every bad request is a 4xx naming what is wrong,
// and nothing is applied.
func TestListsAPIBadInput(t *testing.T) {
	t.Parallel()
	f := newListFixture(t, testenv.SQLite(t), "")
	const js = "application/json"
	f.want(t, http.StatusCreated, "asha", "PUT", "/v1/lists/l", js, `{"description": "test"}`, nil)
	f.want(t, http.StatusOK, "asha", "POST", "/v1/lists/l/entries", js, `{"entries": [{"value": "keep"}]}`, nil)
	long := strings.Repeat("9", 257)
	big := strings.Repeat("x", listTestMaxBody)
	for _, c := range []struct {
		name, method, path, ctype, body string
		status                          int
		field                           string
	}{
		{"unknown list", "GET", "/v1/lists/nope", "", "", 404, ""},
		{"entries of an unknown list", "GET", "/v1/lists/nope/entries", "", "", 404, ""},
		{"add to an unknown list", "POST", "/v1/lists/nope/entries", js, `{"entries": [{"value": "1"}]}`, 404, ""},
		{"remove from an unknown list", "DELETE", "/v1/lists/nope/entries/1", "", "", 404, ""},
		{"import to an unknown list", "POST", "/v1/lists/nope/import", "text/csv", "1\n", 404, ""},
		{"bad name", "PUT", "/v1/lists/Blocked-Pincodes", js, `{"description": ""}`, 400, "name"},
		{"bad name read", "GET", "/v1/lists/BAD", "", "", 400, "name"},
		{"name too long", "PUT", "/v1/lists/" + strings.Repeat("a", 65), js, `{}`, 400, "name"},
		{"value too long", "POST", "/v1/lists/l/entries", js, `{"entries": [{"value": "` + long + `"}]}`, 400, "entries[0].value"},
		{"empty value", "POST", "/v1/lists/l/entries", js, `{"entries": [{"value": "ok"}, {"value": ""}]}`, 400, "entries[1].value"},
		{"no entries", "POST", "/v1/lists/l/entries", js, `{"entries": []}`, 400, "entries"},
		{"expiry in the past", "POST", "/v1/lists/l/entries", js, `{"entries": [{"value": "x", "expires_at": "2001-01-01T00:00:00Z"}]}`, 400, "entries[0].expires_at"},
		{"bad expiry", "POST", "/v1/lists/l/entries", js, `{"entries": [{"value": "x", "expires_at": "tomorrow"}]}`, 400, ""},
		{"unknown field", "POST", "/v1/lists/l/entries", js, `{"entries": [{"value": "x", "note": "y"}]}`, 400, ""},
		{"not JSON", "PUT", "/v1/lists/l", js, `{`, 400, ""},
		{"remove a long value", "DELETE", "/v1/lists/l/entries/" + long, "", "", 400, "value"},
		{"remove an empty value", "DELETE", "/v1/lists/l/entries/", "", "", 400, "value"},
		{"csv with a bad row", "POST", "/v1/lists/l/import", "text/csv", "a\nb\n" + long + "\nc\n", 400, "line 3"},
		{"csv with a bad expiry", "POST", "/v1/lists/l/import", "text/csv", "value,expires_at\na,soon\n", 400, "line 2"},
		{"csv expiry in the past", "POST", "/v1/lists/l/import", "text/csv", "a,,2001-01-01T00:00:00Z\n", 400, "line 1"},
		{"csv malformed", "POST", "/v1/lists/l/import", "text/csv", "a\nb\"c\n", 400, "line 2"},
		{"empty csv", "POST", "/v1/lists/l/import", "text/csv", "", 400, "body"},
		{"bad mode", "POST", "/v1/lists/l/import?mode=merge", "text/csv", "a\n", 400, "mode"},
		{"bad dry_run", "POST", "/v1/lists/l/import?dry_run=maybe", "text/csv", "a\n", 400, "dry_run"},
		{"import as JSON", "POST", "/v1/lists/l/import", js, "a\n", 400, ""},
		{"bad cursor", "GET", "/v1/lists/l/entries?cursor=!!", "", "", 400, "cursor"},
		{"bad limit", "GET", "/v1/lists?limit=0", "", "", 400, "limit"},
		{"limit too large", "GET", "/v1/lists/l/entries?limit=5000", "", "", 400, "limit"},
		{"body over the limit", "POST", "/v1/lists/l/entries", js, `{"entries": [{"value": "` + big + `"}]}`, 413, ""},
	} {
		code, body := f.call(t, "asha", c.method, c.path, c.ctype, c.body, nil)
		if code != c.status {
			t.Errorf("%s: %s %s: %d %s; want %d", c.name, c.method, c.path, code, body, c.status)
			continue
		}
		if c.field != "" {
			if got := problemField(t, body); got != c.field {
				t.Errorf("%s: problem field %q, want %q (%s)", c.name, got, c.field, body)
			}
		}
	}
	var page struct {
		Items []lists.Entry `json:"items"`
	}
	f.call(t, "asha", "GET", "/v1/lists/l/entries", "", "", &page)
	if len(page.Items) != 1 || page.Items[0].Value != "keep" {
		t.Errorf("after the refused requests the list holds %+v; want only keep", page.Items)
	}

	// An import may be larger than the server's body limit.
	var rows strings.Builder
	for i := range 2000 {
		rows.WriteString("v" + strconv.Itoa(100000+i) + ",bulk\n")
	}
	var imp lists.ImportResult
	code, body := f.call(t, "asha", "POST", "/v1/lists/l/import", "text/csv", rows.String(), nil)
	if code != http.StatusOK || json.Unmarshal([]byte(body), &imp) != nil || imp.Added == 0 {
		t.Errorf("import of %d bytes (server limit %d): %d %s; want 200 with entries added", rows.Len(), listTestMaxBody, code, body)
	}
}

func TestListsAPIRoles(t *testing.T) {
	t.Parallel()
	f := newListFixture(t, testenv.SQLite(t), "")
	const js = "application/json"
	f.want(t, http.StatusCreated, "root", "PUT", "/v1/lists/l", js, `{}`, nil)
	for _, c := range []struct {
		key, method, path, ctype, body string
		status                         int
	}{
		{"svc", "GET", "/v1/lists", "", "", 403},
		{"svc", "GET", "/v1/lists/l/entries", "", "", 403},
		{"meera", "GET", "/v1/lists/l", "", "", 200},
		{"meera", "POST", "/v1/lists/l/entries", js, `{"entries": [{"value": "a"}]}`, 403},
		{"meera", "PUT", "/v1/lists/l", js, `{}`, 403},
		{"meera", "POST", "/v1/lists/l/import", "text/csv", "a\n", 403},
		{"meera", "DELETE", "/v1/lists/l/entries/a", "", "", 403},
		{"svc", "POST", "/v1/lists/l/entries", js, `{"entries": [{"value": "a"}]}`, 403},
		{"olga", "POST", "/v1/lists/l/entries", js, `{"entries": [{"value": "a"}]}`, 200},
		{"olga", "GET", "/v1/lists/l/entries", "", "", 200},
		{"asha", "POST", "/v1/lists/l/import", "text/csv", "b\n", 200},
		{"root", "DELETE", "/v1/lists/l/entries/a", "", "", 204},
		{"", "GET", "/v1/lists", "", "", 401},
	} {
		if code, body := f.call(t, c.key, c.method, c.path, c.ctype, c.body, nil); code != c.status {
			t.Errorf("%s as %q: %d %s; want %d", c.method+" "+c.path, c.key, code, body, c.status)
		}
	}
}
