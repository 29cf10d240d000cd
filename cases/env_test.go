package cases_test

import (
	"context"
	"encoding/json"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nirnay/nirnay/cases"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/decisions/decisionstest"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// start is a Thursday 11:00 in India.
var start = time.Date(2026, 11, 26, 5, 30, 0, 0, time.UTC)

// clock is a settable test clock, safe for concurrent use.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(time.Millisecond) // every reading later than the last
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a real decision path over one database: the engine on the
// testdata bundle with one vector for everyone, the decision service,
// the decision log (shipping, with the case opener), and the cases
// service.
type env struct {
	db    *store.DB
	dir   string
	log   *decisionlog.Log
	dec   *decisions.Service
	svc   *cases.Service
	reg   *prometheus.Registry
	clk   *clock
	stop  func()
	ctx   context.Context
	build *decisionstest.Compiled
}

var vector = map[string]any{"bureau_score": 720, "monthly_income": 30000}

func newEnv(t *testing.T, db *store.DB) *env {
	t.Helper()
	e := &env{db: db, dir: t.TempDir(), clk: &clock{t: start}, ctx: context.Background()}
	e.build = decisionstest.Bundle(t, os.DirFS("testdata"), "refer-v1.yaml", "refer-v2.yaml", "kyc-v1.yaml")
	vec, err := e.build.Builder.Build(vector, start)
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Config{Features: features.NewStatic(vec), Clock: e.clk.Now})
	eng.Activate(e.build.Deployments(t))
	qs, err := cases.DefaultQueues()
	if err != nil {
		t.Fatal(err)
	}
	e.reg = prometheus.NewRegistry()
	e.openLog(t)
	e.dec = decisions.New(eng, e.log, nil)
	e.svc = cases.New(db, qs, e.log, e.build.Registry, e.build.Builder, cases.Options{Now: e.clk.Now, Registerer: e.reg, Keys: db})
	e.log.OnShip(e.svc.Opener().Hook)
	e.run()
	t.Cleanup(func() { e.stop(); e.log.Close() })
	return e
}

func (e *env) openLog(t *testing.T) {
	t.Helper()
	l, err := decisionlog.Open(e.dir, e.db, decisionlog.Options{Linger: time.Millisecond, Unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	e.log = l
}

// run ships the log in the background until stop.
func (e *env) run() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); e.log.Run(ctx) }()
	e.stop = func() { cancel(); <-done }
}

// decide makes one decision and returns it.
func (e *env) decide(t *testing.T, customer, requestID, step string, input map[string]any) engine.Decision {
	t.Helper()
	res, err := e.dec.Decide(e.ctx, engine.Request{RequestID: requestID, CustomerID: customer, Step: step, Input: input})
	if err != nil {
		t.Fatalf("decide %s for %s: %v", requestID, customer, err)
	}
	return res.Decision
}

// shipped waits until everything decided so far is in the database.
func (e *env) shipped(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(e.ctx, 20*time.Second)
	defer cancel()
	if err := e.log.WaitShipped(ctx); err != nil {
		t.Fatalf("decision log not shipped: %v", err)
	}
}

// refer makes a referred application (amount above 5 × income) for
// customer and returns its shipped case.
func (e *env) refer(t *testing.T, customer string, amount int64) *cases.Case {
	t.Helper()
	d := e.decide(t, customer, "app-"+customer, "application", map[string]any{"amount": amount, "tenure_months": int64(36)})
	if d.Outcome != "review" {
		t.Fatalf("application of %d for %s: %s, want review", amount, customer, d.Outcome)
	}
	e.shipped(t)
	c, err := e.svc.Get(e.ctx, "case_"+d.DecisionID[len("dec_"):])
	if err != nil {
		t.Fatalf("case of referred decision %s: %v", d.DecisionID, err)
	}
	return c
}

// key creates an API key of role and returns the caller it is.
func (e *env) key(t *testing.T, name, role string) cases.Caller {
	t.Helper()
	k := store.APIKey{ID: "key_" + name, Name: name, Role: role, CreatedAt: start}
	if err := e.db.CreateAPIKey(e.ctx, k, "secret-"+name); err != nil {
		t.Fatal(err)
	}
	return cases.Caller{Actor: cases.Actor{ID: k.ID, Name: name}, Role: role}
}

// count runs a COUNT(*) query.
func (e *env) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.Reader().QueryRowContext(e.ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

func backends(t *testing.T, fn func(t *testing.T, e *env)) {
	testenv.Backends(t, func(t *testing.T, _ testenv.Backend, db *store.DB) { fn(t, newEnv(t, db)) })
}

func testSQLite(t *testing.T) *store.DB { return testenv.SQLite(t) }

func refOf(id string, version int) rules.PolicyRef { return rules.PolicyRef{ID: id, Version: version} }

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
