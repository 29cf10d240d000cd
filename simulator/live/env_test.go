package live_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/decisions/decisionstest"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/simulator"
	"github.com/nirnay/nirnay/simulator/live"
	"github.com/nirnay/nirnay/store"
)

// perCustomer serves each customer's own feature values, observed at a
// per-customer time (so a value can be made stale).
type perCustomer struct {
	b    *features.Builder
	vals map[string]map[string]any
	asOf map[string]time.Time
}

func (p *perCustomer) Vector(_ context.Context, req features.Request) (*features.Vector, error) {
	at, ok := p.asOf[req.CustomerID]
	if !ok {
		at = req.Now.Add(-time.Hour)
	}
	v, err := p.b.Build(p.vals[req.CustomerID], at)
	if err != nil {
		return nil, err
	}
	return v.WithInput(req.Input, req.Now)
}

// world is a real decision service (testdata policies: credit@1 champion,
// credit@2 challenger for 50% of customers, credit@3 shadow) logging to a
// real decision log, and a real loan book deciding applications through it.
type world struct {
	db     *store.DB
	log    *decisionlog.Log
	svc    *decisions.Service
	book   *loans.Service
	feats  *perCustomer
	loanAt *testenv.Clock // the loan book's clock
	env    *rules.Env
	build  *features.Builder
	reg    *engine.Registry
}

func newWorld(t *testing.T, decisionsStart time.Time) *world {
	t.Helper()
	db := testenv.SQLite(t)
	l := decisionstest.Log(t, db, decisionlog.Options{})
	c := decisionstest.Bundle(t, os.DirFS("testdata"), "credit-v1.yaml", "credit-v2.yaml", "credit-v3.yaml")
	env, b, reg, set := c.Env, c.Builder, c.Registry, c.Deployments(t)
	w := &world{db: db, log: l, env: env, build: b, reg: reg,
		feats: &perCustomer{b: b, vals: map[string]map[string]any{}, asOf: map[string]time.Time{}}}
	clk := testenv.NewClock(decisionsStart, time.Minute) // a minute a reading
	eng := engine.New(engine.Config{Features: w.feats, Clock: clk.Now})
	eng.Activate(set)
	w.svc = decisions.New(eng, l, nil)
	products, err := product.Default()
	if err != nil {
		t.Fatal(err)
	}
	w.loanAt = testenv.NewClock(decisionsStart.Add(3*time.Hour), 0)
	w.book = loans.New(db, products, applicationDecider{w.svc}, loans.Options{Now: w.loanAt.Now})
	return w
}

// ship waits until every logged decision is in the database.
func (w *world) ship(t *testing.T) { t.Helper(); ship(t, w.log) }

// replay runs the acted-on decisions of r in l through base and cand.
func replay(t *testing.T, l *decisionlog.Log, r live.Range, o live.SourceOptions, base, cand *rules.Compiled, b *features.Builder) *simulator.Report {
	t.Helper()
	ctx := context.Background()
	src, err := live.NewSource(ctx, live.FromLog(l), r, o)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	rep, _, err := simulator.Run(ctx, simulator.Config{Baseline: base, Candidate: cand, Builder: b, Workers: 2}, src)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// ship runs l's shipper until every appended decision is in the database.
func ship(t *testing.T, l *decisionlog.Log) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	run, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { l.Run(run); close(done) }()
	err := l.WaitShipped(ctx)
	stop()
	<-done
	if err != nil {
		t.Fatalf("decision log did not ship: %v", err)
	}
}

// applicationDecider asks the decision service at the application step
// and approves every other step (their policies are not under test).
type applicationDecider struct{ svc *decisions.Service }

func (d applicationDecider) Decide(ctx context.Context, step, customerID, requestID string, input map[string]any) (loans.Verdict, error) {
	if step != loans.StepApplication {
		return loans.Verdict{DecisionID: "dec_" + step + "_" + requestID, Outcome: "approve"}, nil
	}
	res, err := d.svc.Decide(ctx, engine.Request{RequestID: requestID, CustomerID: customerID, Step: step, Input: input})
	if err != nil {
		return loans.Verdict{}, err
	}
	v := res.Decision
	return loans.Verdict{DecisionID: v.DecisionID, DecidedAt: v.EvaluatedAt, Outcome: v.Outcome, Reasons: v.Reasons, Offer: v.Offer}, nil
}
