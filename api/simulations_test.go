package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions/decisionstest"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/simulator/jobs"
	"github.com/nirnay/nirnay/simulator/live"
	"github.com/nirnay/nirnay/store"
)

const simCap = 5000

// simFixture is a server with the simulation routes over a real SQLite
// store, the governance registry seeded from the shipped bundle, a real
// decision log and a job manager; API keys for each role (secret = id).
func simFixture(t *testing.T) http.Handler {
	t.Helper()
	ctx := context.Background()
	db := testenv.SQLite(t)
	for _, k := range []struct{ id, role string }{{"ana", RoleAnalyst}, {"ops", RoleOps}, {"svc", RoleService}, {"root", RoleAdmin}} {
		if err := db.CreateAPIKey(ctx, store.APIKey{ID: k.id, Name: k.id, Role: k.role, CreatedAt: time.Now()}, k.id); err != nil {
			t.Fatal(err)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	gov, err := governance.Open(ctx, db, policies.FS, governance.Options{Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	dl := decisionstest.Log(t, db, decisionlog.Options{Logger: quiet})
	sims, err := jobs.New(jobs.Options{Dir: t.TempDir(), Builder: gov.Builder(), Resolve: jobs.RegistryResolver(gov.Registry()),
		Log: dl, MaxCustomers: simCap, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sims.Close)
	s := New(Options{Logger: quiet, Keys: db, RateLimit: -1})
	s.MountSimulations(sims, live.Comparer(live.FromLog(dl), db))
	return s.Handler()
}

type simCall struct {
	h      http.Handler
	t      *testing.T
	key    string
	accept string
}

func (c simCall) do(method, path, body string) (int, string, http.Header) {
	c.t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	rec := httptest.NewRecorder()
	c.h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String(), rec.Header()
}

// must calls and checks the status, decoding a JSON answer into out.
func (c simCall) must(status int, method, path, body string, out any) string {
	c.t.Helper()
	code, got, _ := c.do(method, path, body)
	if code != status {
		c.t.Fatalf("%s %s as %q: got %d %s, want %d", method, path, c.key, code, got, status)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(got), out); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, got)
		}
	}
	return got
}

// wait polls a simulation until it has finished, with a deadline.
func (c simCall) wait(id string) jobs.Job {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var j jobs.Job
		c.must(200, "GET", "/v1/simulations/"+id, "", &j)
		if j.Status == jobs.Done || j.Status == jobs.Failed || j.Status == jobs.Cancelled {
			return j
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("simulation %s still %s after 60s (progress %+v)", id, j.Status, j.Progress)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestSimulationEndToEnd(t *testing.T) {
	t.Parallel()
	h := simFixture(t)
	ana := simCall{h: h, t: t, key: "ana"}
	const n = 2000
	var started jobs.Job
	code, body, hdr := ana.do("POST", "/v1/simulations",
		`{"baseline": "credit-underwriting@1", "candidate": "credit-underwriting@2", "dataset": {"generate": {"customers": 2000, "seed": 7}}}`)
	if code != http.StatusAccepted {
		t.Fatalf("start: got %d %s, want 202", code, body)
	}
	if err := json.Unmarshal([]byte(body), &started); err != nil || started.ID == "" || started.Status != jobs.Queued {
		t.Fatalf("start answered %s; want an id and status queued", body)
	}
	if hdr.Get("Location") != "/v1/simulations/"+started.ID {
		t.Errorf("Location = %q", hdr.Get("Location"))
	}
	j := ana.wait(started.ID)
	if j.Status != jobs.Done || j.Progress.Done != n || j.Progress.Total == nil || *j.Progress.Total != n || j.Summary == nil || j.Summary.Records != n {
		t.Fatalf("finished job = %+v; want done with %d of %d replayed", j, n, n)
	}

	var rep struct {
		Records     int64                       `json:"records"`
		Transitions map[string]map[string]int64 `json:"transitions"`
		Baseline    struct{ ID string }         `json:"baseline"`
	}
	ana.must(200, "GET", "/v1/simulations/"+j.ID+"/report", "", &rep)
	var sum int64
	for _, row := range rep.Transitions {
		for _, k := range row {
			sum += k
		}
	}
	if rep.Records != n || sum != n || rep.Baseline.ID != "credit-underwriting" {
		t.Errorf("report: records %d, transition matrix sums to %d, baseline %q; want %d, %d, credit-underwriting", rep.Records, sum, rep.Baseline.ID, n, n)
	}
	for _, c := range []simCall{{h: h, t: t, key: "ana", accept: "text/html"}, ana} {
		path := "/v1/simulations/" + j.ID + "/report"
		if c.accept == "" {
			path += "?format=html"
		}
		code, page, hdr := c.do("GET", path, "")
		if code != 200 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") || !strings.Contains(page, "<svg") {
			t.Errorf("GET %s (Accept %q): %d %s, %d bytes; want the HTML report", path, c.accept, code, hdr.Get("Content-Type"), len(page))
		}
	}
	var tim struct {
		Records int64 `json:"records"`
	}
	ana.must(200, "GET", "/v1/simulations/"+j.ID+"/report?format=timing", "", &tim)
	if tim.Records != n {
		t.Errorf("timing records = %d, want %d", tim.Records, n)
	}
	var list struct{ Items []jobs.Job }
	ana.must(200, "GET", "/v1/simulations", "", &list)
	if len(list.Items) != 1 || list.Items[0].ID != j.ID {
		t.Errorf("list = %+v; want the one simulation", list.Items)
	}
	ana.must(409, "POST", "/v1/simulations/"+j.ID+"/cancel", "", nil)

	// A decision-log dataset (an empty range here) runs too.
	var lj jobs.Job
	ana.must(202, "POST", "/v1/simulations", `{"baseline": "credit-underwriting@1", "candidate": "credit-underwriting@2",
		"dataset": {"decision_log": {"from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}}}`, &lj)
	if lj.Spec.Dataset.DecisionLog.Step != "application" {
		t.Errorf("decision_log step defaulted to %q, want application", lj.Spec.Dataset.DecisionLog.Step)
	}
	if got := ana.wait(lj.ID); got.Status != jobs.Done || got.Summary.Records != 0 {
		t.Errorf("decision-log job = %+v; want done with 0 records", got)
	}
}

func TestSimulationBadInputAndRoles(t *testing.T) {
	t.Parallel()
	h := simFixture(t)
	ana := simCall{h: h, t: t, key: "ana"}
	start := func(base, cand, dataset string) string {
		return `{"baseline": "` + base + `", "candidate": "` + cand + `", "dataset": ` + dataset + `}`
	}
	gen := `{"generate": {"customers": 100, "seed": 1}}`
	for _, tc := range []struct {
		name, body string
		status     int
		mention    string
	}{
		{"unknown policy", start("credit-underwriting@99", "credit-underwriting@2", gen), 404, "credit-underwriting@99"},
		{"unknown candidate", start("credit-underwriting@1", "nope@1", gen), 404, "nope@1"},
		{"not a reference", start("credit-underwriting", "credit-underwriting@2", gen), 400, "id@version"},
		{"over the cap", start("credit-underwriting@1", "credit-underwriting@2", `{"generate": {"customers": 5001, "seed": 1}}`), 400, "5000"},
		{"no customers", start("credit-underwriting@1", "credit-underwriting@2", `{"generate": {"customers": 0}}`), 400, "customers"},
		{"two datasets", start("credit-underwriting@1", "credit-underwriting@2", `{"generate": {"customers": 5}, "decision_log": {}}`), 400, "exactly one"},
		{"no dataset", start("credit-underwriting@1", "credit-underwriting@2", `{}`), 400, "exactly one"},
		{"steps differ", start("credit-underwriting@1", "signup-fraud@1", gen), 422, "same step"},
		{"unknown field", `{"baseline": "a@1", "candidate": "b@1", "dataset": {}, "extra": 1}`, 400, "extra"},
		{"bad range", start("credit-underwriting@1", "credit-underwriting@2", `{"decision_log": {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}}`), 400, "after"},
		{"unknown step", start("credit-underwriting@1", "credit-underwriting@2", `{"decision_log": {"step": "warp", "from": "2026-01-01T00:00:00Z", "to": "2026-01-02T00:00:00Z"}}`), 400, "warp"},
	} {
		code, body, _ := ana.do("POST", "/v1/simulations", tc.body)
		if code != tc.status || !strings.Contains(body, tc.mention) || !strings.Contains(body, "problem") && code >= 400 {
			t.Errorf("%s: got %d %s; want %d mentioning %q", tc.name, code, body, tc.status, tc.mention)
		}
	}
	ana.must(404, "GET", "/v1/simulations/sim_nope", "", nil)
	ana.must(404, "GET", "/v1/simulations/sim_nope/report", "", nil)
	ana.must(404, "POST", "/v1/simulations/sim_nope/cancel", "", nil)

	body := start("credit-underwriting@1", "credit-underwriting@2", gen)
	for key, want := range map[string]int{"ops": 403, "svc": 403, "": 401, "root": 202} {
		c := simCall{h: h, t: t, key: key}
		if code, got, _ := c.do("POST", "/v1/simulations", body); code != want {
			t.Errorf("POST /v1/simulations as %q: got %d %s, want %d", key, code, got, want)
		}
		if code, got, _ := c.do("GET", "/v1/simulations", ""); (want == 202 && code != 200) || (want != 202 && code != want) {
			t.Errorf("GET /v1/simulations as %q: got %d %s", key, code, got)
		}
	}
}

func TestSimulationCancelAndReportBeforeDone(t *testing.T) {
	t.Parallel()
	h := simFixture(t)
	ana := simCall{h: h, t: t, key: "ana"}
	body := `{"baseline": "credit-underwriting@1", "candidate": "credit-underwriting@2", "dataset": {"generate": {"customers": 5000, "seed": 3}}}`
	var a, b jobs.Job
	ana.must(202, "POST", "/v1/simulations", body, &a)
	ana.must(202, "POST", "/v1/simulations", body, &b) // waits behind a: one job runs at a time
	var cancelled jobs.Job
	ana.must(200, "POST", "/v1/simulations/"+b.ID+"/cancel", "", &cancelled)
	if got := ana.wait(b.ID); got.Status != jobs.Cancelled {
		t.Fatalf("cancelled job ended %s (%s), want cancelled", got.Status, got.Error)
	}
	code, got, _ := ana.do("GET", "/v1/simulations/"+b.ID+"/report", "")
	if code != 409 || !strings.Contains(got, "cancelled") {
		t.Errorf("report of a cancelled simulation: %d %s; want 409", code, got)
	}
	if got := ana.wait(a.ID); got.Status != jobs.Done {
		t.Errorf("first job ended %s (%s), want done", got.Status, got.Error)
	}
}

func TestChampionChallengerRoute(t *testing.T) {
	t.Parallel()
	h := simFixture(t)
	ana := simCall{h: h, t: t, key: "ana"}
	var out live.Comparison
	ana.must(200, "GET", "/v1/simulations/champion-challenger?step=application&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&bad_dpd=60", "", &out)
	if out.Step != "application" || out.Decisions != 0 || out.BadDPD != 60 || out.MatureDays != live.DefaultMatureDays || len(out.Censoring) == 0 {
		t.Errorf("empty range: %+v; want no decisions, bad_dpd 60 and the censoring notes", out)
	}
	for q, field := range map[string]string{
		"from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z":                            "step",
		"step=warp&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z":                  "step",
		"step=application&to=2026-02-01T00:00:00Z":                                     "from",
		"step=application&from=yesterday&to=2026-02-01T00:00:00Z":                      "from",
		"step=application&from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z":           "to",
		"step=application&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z&bad_dpd=0": "bad_dpd",
	} {
		code, got, _ := ana.do("GET", "/v1/simulations/champion-challenger?"+q, "")
		if code != 400 || !strings.Contains(got, `"field":"`+field+`"`) {
			t.Errorf("?%s: got %d %s; want 400 naming %s", q, code, got, field)
		}
	}
	simCall{h: h, t: t, key: "ops"}.must(403, "GET", "/v1/simulations/champion-challenger?step=application&from=2026-01-01T00:00:00Z&to=2026-02-01T00:00:00Z", "", nil)
}
