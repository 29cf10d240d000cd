package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// govBackends runs fn against a fresh, migrated SQLite and PostgreSQL, in
// parallel with the package's other tests.
var govBackends = testenv.ParallelDBs

// govFixture is a server with the governance routes, its engine, and API
// keys for every role (the secret is the key id).
type govFixture struct {
	h   http.Handler
	eng *engine.Engine
}

func newGovFixture(t *testing.T, db *store.DB) govFixture {
	t.Helper()
	ctx := context.Background()
	for _, k := range []struct{ id, role string }{
		{"asha", RoleAnalyst}, {"ravi", RoleAnalyst}, {"meera", RoleApprover}, {"olga", RoleOps}, {"svc", RoleService}, {"root", RoleAdmin},
	} {
		if err := db.CreateAPIKey(ctx, store.APIKey{ID: k.id, Name: k.id + " (" + k.role + ")", Role: k.role, CreatedAt: time.Now()}, k.id); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	clock := func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Second)
		return now
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	gov, err := governance.Open(ctx, db, policies.FS, governance.Options{Clock: clock, Logger: quiet})
	if err != nil {
		t.Fatalf("governance.Open: %v", err)
	}
	c, _ := gov.Registry().Get(rules.PolicyRef{ID: "credit-underwriting", Version: 1})
	vec, err := gov.Builder().Build(c.Policy.Tests[0].Features, now)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Config{Features: features.NewStatic(vec), Clock: clock})
	if err := gov.Attach(ctx, eng); err != nil {
		t.Fatalf("Attach: %v", err)
	}
	s := New(Options{Logger: quiet, Keys: db, RateLimit: -1})
	s.MountPolicies(gov)
	return govFixture{h: s.Handler(), eng: eng}
}

// call sends a request as key and decodes a JSON answer into out (when
// non-nil). It returns the status and the raw body.
func (f govFixture) call(t *testing.T, key, method, path, contentType, body string, out any) (int, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if out != nil {
		if err := json.Unmarshal(rec.Body.Bytes(), out); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, rec.Body, err)
		}
	}
	return rec.Code, rec.Body.String()
}

func (f govFixture) want(t *testing.T, status int, key, method, path, contentType, body string, out any) string {
	t.Helper()
	code, got := f.call(t, key, method, path, contentType, body, nil)
	if code != status {
		t.Fatalf("%s %s as %s: got %d %s, want %d", method, path, key, code, got, status)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(got), out); err != nil {
			t.Fatalf("%s %s: body %q: %v", method, path, got, err)
		}
	}
	return got
}

type issueProblem struct {
	Status int                `json:"status"`
	Detail string             `json:"detail"`
	Errors []governance.Issue `json:"errors"`
	Tests  *struct {
		Summary string `json:"summary"`
	} `json:"tests"`
}

func shippedAs(t *testing.T, version int) string {
	t.Helper()
	data, err := fs.ReadFile(policies.FS, "credit-underwriting-v1.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out := strings.Replace(string(data), "\nversion: 1\n", fmt.Sprintf("\nversion: %d\n", version), 1)
	if out == string(data) {
		t.Fatal("credit-underwriting-v1.yaml has no \"version: 1\" line")
	}
	return out
}

const (
	yamlType = "application/yaml"
	badRule  = "id: quick-signup\nversion: 1\nstep: signup\nrules:\n  - id: broken\n    when: f.emulator &&\n    outcome: decline\n"
	// failingTests has a test that expects the wrong outcome (line 9).
	failingTests = `id: quick-signup
version: 1
step: signup
rules:
  - id: emulator
    when: f.emulator
    outcome: decline
tests:
  - name: an emulator is approved
    features: {emulator: true}
    expect: {outcome: approve}
`
)

// customerInBucket finds a customer whose stable bucket for the step is
// below percent, so a challenger with that percent decides for them.
func customerInBucket(t *testing.T, step string, percent uint64) string {
	t.Helper()
	for i := 0; i < 10000; i++ {
		if id := fmt.Sprintf("C-%d", i); engine.Bucket(id, step) < percent {
			return id
		}
	}
	t.Fatal("no customer found in the bucket")
	return ""
}

func (f govFixture) decide(t *testing.T, customer string) engine.PolicyRef {
	t.Helper()
	d, err := f.eng.Decide(context.Background(), engine.Request{CustomerID: customer, Step: "application", Input: map[string]any{}})
	if err != nil {
		t.Fatalf("decide: %v", err)
	}
	return d.Policy
}

func TestPolicyGovernanceOverHTTP(t *testing.T) {
	govBackends(t, func(t *testing.T, db *store.DB) {
		f := newGovFixture(t, db)
		const v3 = "/v1/policies/credit-underwriting/versions/3"

		// Roles: the service key reads no policies; ops cannot upload.
		f.want(t, 403, "svc", "GET", "/v1/policies", "", "", nil)
		f.want(t, 403, "olga", "POST", "/v1/policies", yamlType, shippedAs(t, 3), nil)

		// A bad rule is a 422 with its line.
		var prob issueProblem
		f.want(t, 422, "asha", "POST", "/v1/policies", yamlType, badRule, &prob)
		if len(prob.Errors) == 0 || prob.Errors[0].Line != 6 || prob.Errors[0].Field != "rules[broken].when" {
			t.Fatalf("bad rule: errors %+v, want the first at line 6, field rules[broken].when", prob.Errors)
		}
		f.want(t, 400, "asha", "POST", "/v1/policies", "text/plain", shippedAs(t, 3), nil)

		// Upload (YAML), replace by the author (JSON), not by another analyst.
		var v governance.Version
		f.want(t, 201, "asha", "POST", "/v1/policies", yamlType, shippedAs(t, 3), &v)
		if v.Status != governance.StatusDraft || v.Author.ID != "asha" || v.Version != 3 {
			t.Fatalf("upload: got %+v, want a draft v3 by asha", v)
		}
		jsonBody, _ := json.Marshal(map[string]string{"source": shippedAs(t, 3) + "# reworded\n"})
		f.want(t, 200, "asha", "POST", "/v1/policies", "application/json", string(jsonBody), &v)
		f.want(t, 403, "ravi", "POST", "/v1/policies", yamlType, shippedAs(t, 3), nil)

		// Tests run on demand.
		var report governance.TestReport
		f.want(t, 200, "asha", "POST", v3+"/test", "", "", &report)
		if report.Failed != 0 || report.Passed == 0 || report.Summary != fmt.Sprintf("%d passed, 0 failed", report.Passed) {
			t.Fatalf("test report: %+v, want all passing", report)
		}

		// Submit: only the author, and only with passing tests.
		f.want(t, 403, "ravi", "POST", v3+"/submit", "", "", nil)
		f.want(t, 201, "ravi", "POST", "/v1/policies", yamlType, failingTests, nil)
		prob = issueProblem{}
		f.want(t, 422, "ravi", "POST", "/v1/policies/quick-signup/versions/1/submit", "", "", &prob)
		if len(prob.Errors) != 1 || prob.Errors[0].Line != 9 || prob.Tests == nil || prob.Tests.Summary != "0 passed, 1 failed" {
			t.Fatalf("submit with a failing test: %+v, want one error at line 9 and summary 0 passed, 1 failed", prob)
		}
		f.want(t, 200, "asha", "POST", v3+"/submit", "", "", &v)
		if v.Status != governance.StatusSubmitted || v.SubmittedAt == nil {
			t.Fatalf("submit: got %+v, want submitted", v)
		}

		// Approve: never by an analyst, never by the author.
		f.want(t, 403, "asha", "POST", v3+"/approve", "", "", nil)
		f.want(t, 201, "root", "POST", "/v1/policies", yamlType, shippedAs(t, 4), nil)
		f.want(t, 200, "root", "POST", "/v1/policies/credit-underwriting/versions/4/submit", "", "", nil)
		body := f.want(t, 403, "root", "POST", "/v1/policies/credit-underwriting/versions/4/approve", "", "", nil)
		if !strings.Contains(body, "cannot also approve") {
			t.Errorf("self-approval problem %s: want a maker-checker message", body)
		}
		f.want(t, 400, "meera", "POST", "/v1/policies/credit-underwriting/versions/4/reject", "application/json", `{"reason": " "}`, nil)
		f.want(t, 200, "meera", "POST", "/v1/policies/credit-underwriting/versions/4/reject", "application/json", `{"reason": "duplicate of v3"}`, &v)
		if v.Status != governance.StatusRejected || v.RejectReason != "duplicate of v3" {
			t.Fatalf("reject: got %+v", v)
		}
		f.want(t, 200, "meera", "POST", v3+"/approve", "", "", &v)
		if v.Status != governance.StatusApproved || v.Reviewer == nil || v.Reviewer.ID != "meera" {
			t.Fatalf("approve: got %+v, want approved by meera", v)
		}

		// Immutable once approved.
		f.want(t, 409, "asha", "POST", "/v1/policies", yamlType, shippedAs(t, 3), nil)
		f.want(t, 409, "meera", "POST", v3+"/approve", "", "", nil)

		// Read back the version with its source, as JSON and as YAML.
		f.want(t, 200, "olga", "GET", v3, "", "", &v)
		if !strings.Contains(v.Source, "# reworded") || v.Author.Name != "asha (analyst)" || v.Reviewer.Name != "meera (approver)" {
			t.Fatalf("GET version: author %+v reviewer %+v, source with the replaced text: %v", v.Author, v.Reviewer, strings.Contains(v.Source, "# reworded"))
		}
		req := httptest.NewRequest("GET", v3, nil)
		req.Header.Set("Authorization", "Bearer olga")
		req.Header.Set("Accept", "application/yaml")
		rec := httptest.NewRecorder()
		f.h.ServeHTTP(rec, req)
		if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "application/yaml") || !strings.Contains(rec.Body.String(), "version: 3") {
			t.Fatalf("GET version as YAML: %d %q", rec.Code, rec.Header().Get("Content-Type"))
		}
		f.want(t, 404, "olga", "GET", "/v1/policies/credit-underwriting/versions/99", "", "", nil)

		// What changed against the champion (v1) and against v2.
		var diff rules.PolicyDiff
		f.want(t, 200, "meera", "GET", v3+"/diff", "", "", &diff)
		if diff.From != "credit-underwriting@1" || diff.To != "credit-underwriting@3" || len(diff.RulesChanged)+len(diff.RulesAdded) != 0 {
			t.Fatalf("diff against the champion: %+v, want v1 -> v3 with no rule changes", diff)
		}
		f.want(t, 200, "meera", "GET", v3+"/diff?against=2", "", "", &diff)
		if diff.From != "credit-underwriting@2" || len(diff.RulesRemoved)+len(diff.RulesChanged) == 0 {
			t.Fatalf("diff against v2: %+v, want v2's changes undone", diff)
		}

		// Deploy v3 as a 10% challenger.
		inBucket := customerInBucket(t, "application", 10)
		f.want(t, 403, "asha", "PUT", "/v1/deployments/application", "application/json", `{"champion": "credit-underwriting@3"}`, nil)
		f.want(t, 422, "meera", "PUT", "/v1/deployments/application", "application/json",
			`{"champion": "credit-underwriting@1", "challengers": [{"policy": "credit-underwriting@4", "percent": 10}]}`, nil)
		f.want(t, 400, "meera", "PUT", "/v1/deployments/application", "application/json",
			`{"champion": "credit-underwriting@1", "challengers": [{"policy": "credit-underwriting@3", "percent": 101}]}`, nil)
		f.want(t, 404, "meera", "PUT", "/v1/deployments/checkout", "application/json", `{"champion": "credit-underwriting@1"}`, nil)
		var dep governance.Deployment
		f.want(t, 200, "meera", "PUT", "/v1/deployments/application", "application/json",
			`{"champion": "credit-underwriting@1", "challengers": [{"policy": "credit-underwriting@3", "percent": 10}], "shadows": ["credit-underwriting@2"]}`, &dep)
		if dep.Champion != "credit-underwriting@1" || len(dep.Challengers) != 1 || dep.UpdatedBy.ID != "meera" {
			t.Fatalf("deploy: got %+v", dep)
		}
		if p := f.decide(t, inBucket); p.Version != 3 || p.Role != nirnay.RoleChallenger {
			t.Fatalf("customer %s (bucket %d): decided by %+v, want credit-underwriting@3 challenger", inBucket, engine.Bucket(inBucket, "application"), p)
		}
		var deps struct{ Items []governance.Deployment }
		f.want(t, 200, "olga", "GET", "/v1/deployments", "", "", &deps)
		if len(deps.Items) != len(rules.Steps) || deps.Items[3].Step != "application" || deps.Items[3].Challengers[0].Percent != 10 {
			t.Fatalf("GET deployments: %+v", deps.Items)
		}

		// Promote, then roll back.
		f.want(t, 200, "meera", "PUT", "/v1/deployments/application", "application/json", `{"champion": "credit-underwriting@3"}`, nil)
		if p := f.decide(t, "C-anyone"); p.Version != 3 || p.Role != nirnay.RoleChampion {
			t.Fatalf("after promotion: decided by %+v, want credit-underwriting@3 champion", p)
		}
		f.want(t, 403, "asha", "POST", "/v1/deployments/application/rollback", "application/json", `{"to": "credit-underwriting@1"}`, nil)
		f.want(t, 422, "meera", "POST", "/v1/deployments/application/rollback", "application/json", `{"to": "credit-underwriting@4"}`, nil)
		f.want(t, 200, "meera", "POST", "/v1/deployments/application/rollback", "application/json", `{"to": "credit-underwriting@1"}`, &dep)
		if p := f.decide(t, "C-anyone"); p.Version != 1 || p.Role != nirnay.RoleChampion {
			t.Fatalf("after rollback: decided by %+v, want credit-underwriting@1 champion", p)
		}

		// Listing shows statuses and roles.
		var list struct{ Items []governance.PolicySummary }
		f.want(t, 200, "olga", "GET", "/v1/policies", "", "", &list)
		statuses := map[string]string{}
		for _, p := range list.Items {
			for _, v := range p.Versions {
				statuses[fmt.Sprintf("%s@%d", p.ID, v.Version)] = string(v.Status) + " " + strings.Join(v.Deployed, ",")
			}
		}
		for ref, want := range map[string]string{
			"credit-underwriting@1": "approved champion", "credit-underwriting@3": "approved ",
			"credit-underwriting@4": "rejected ", "quick-signup@1": "draft ",
		} {
			if statuses[ref] != want {
				t.Errorf("list: %s is %q, want %q", ref, statuses[ref], want)
			}
		}

		checkAudit(t, f)
	})
}

type auditItem struct {
	ID      string           `json:"id"`
	Actor   governance.Actor `json:"actor"`
	Action  string           `json:"action"`
	Subject string           `json:"subject"`
	Before  map[string]any   `json:"before"`
	After   map[string]any   `json:"after"`
}

type auditPage struct {
	Items      []auditItem `json:"items"`
	NextCursor *string     `json:"next_cursor"`
}

// wantAudit reads the audit of subject with key and checks its entries,
// each written by line, against want.
func wantAudit(t *testing.T, f govFixture, key, subject string, line func(auditItem) string, want ...string) {
	t.Helper()
	var page auditPage
	f.want(t, 200, key, "GET", "/v1/audit?subject="+subject, "", "", &page)
	var got []string
	for _, e := range page.Items {
		got = append(got, line(e))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit of %s:\n got %q\nwant %q", subject, got, want)
	}
}

func checkAudit(t *testing.T, f govFixture) {
	t.Helper()
	f.want(t, 403, "svc", "GET", "/v1/audit", "", "", nil)
	wantAudit(t, f, "olga", "policy/credit-underwriting@3", func(e auditItem) string {
		return fmt.Sprintf("%s by %s: %v -> %v", e.Action, e.Actor.ID, e.Before["status"], e.After["status"])
	},
		"upload by asha: <nil> -> draft",
		"upload by asha: draft -> draft",
		"submit by asha: draft -> submitted",
		"approve by meera: submitted -> approved")
	wantAudit(t, f, "meera", "deployment/application", func(e auditItem) string {
		return fmt.Sprintf("%s: %v -> %v", e.Action, e.Before["champion"], e.After["champion"])
	},
		"seed: <nil> -> credit-underwriting@1",
		"deploy: credit-underwriting@1 -> credit-underwriting@1",
		"deploy: credit-underwriting@1 -> credit-underwriting@3",
		"rollback: credit-underwriting@3 -> credit-underwriting@1")

	// Cursor pagination visits every entry once, in order.
	var all auditPage
	f.want(t, 200, "asha", "GET", "/v1/audit?limit=1000", "", "", &all)
	var ids []string
	cursor := ""
	for pages := 0; pages < 100; pages++ {
		var p auditPage
		f.want(t, 200, "asha", "GET", "/v1/audit?limit=7&cursor="+cursor, "", "", &p)
		for _, e := range p.Items {
			ids = append(ids, e.ID)
		}
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	if len(ids) != len(all.Items) {
		t.Fatalf("paged audit: %d entries, want %d", len(ids), len(all.Items))
	}
	for i := range ids {
		if ids[i] != all.Items[i].ID || (i > 0 && ids[i] <= ids[i-1]) {
			t.Fatalf("paged audit entry %d: %s, want %s in ascending order", i, ids[i], all.Items[i].ID)
		}
	}
	f.want(t, 400, "asha", "GET", "/v1/audit?cursor=bogus", "", "", nil)
}
