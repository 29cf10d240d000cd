package loans_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/store"
)

// fakeDecider approves everything unless told otherwise per step, and
// records what it was asked. Like the decision service it is idempotent by
// request id: a repeated id answers the first verdict again.
type fakeDecider struct {
	mu      sync.Mutex
	stop    map[string]loans.Verdict // step → verdict to answer
	offer   map[string]any
	calls   []string
	counter int
	decided map[string]loans.Verdict  // request id → the verdict answered
	ids     []string                  // request ids asked, in order
	inputs  map[string]map[string]any // step → the last input asked
}

func (f *fakeDecider) Decide(_ context.Context, step, customerID, requestID string, input map[string]any) (loans.Verdict, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counter++
	f.calls = append(f.calls, step)
	f.ids = append(f.ids, requestID)
	if f.inputs == nil {
		f.inputs, f.decided = map[string]map[string]any{}, map[string]loans.Verdict{}
	}
	f.inputs[step] = input
	if v, ok := f.decided[requestID]; ok && requestID != "" {
		return v, nil
	}
	v, ok := f.stop[step]
	if !ok {
		v = loans.Verdict{DecisionID: "dec_" + step + "_" + requestID, DecidedAt: decidedAt.Add(time.Duration(f.counter) * time.Nanosecond), Outcome: "approve"}
		if step == loans.StepApplication || step == loans.StepLimitIncrease {
			v.Offer = f.offer
		}
	}
	f.decided[requestID] = v
	return v, nil
}

// decidedAt dates the fake decisions (plus a nanosecond per decision).
var decidedAt = time.Date(2026, 1, 10, 6, 30, 0, 123456789, time.UTC)

// lastID is the request id of the latest decision asked.
func (f *fakeDecider) lastID() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.ids[len(f.ids)-1]
}

// input is the latest input asked at step.
func (f *fakeDecider) input(step string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.inputs[step]
}

func day(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", s, time.FixedZone("IST", 19800))
	if err != nil {
		panic(err)
	}
	return t.Add(12 * time.Hour)
}

type env struct {
	db  *store.DB
	svc *loans.Service
	dec *fakeDecider
	clk *testenv.Clock
}

func newEnv(t testing.TB, db *store.DB) *env {
	t.Helper()
	cat, err := product.Default()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{db: db, dec: &fakeDecider{stop: map[string]loans.Verdict{}}, clk: testenv.NewClock(day("2026-01-10"), 0)}
	e.svc = loans.New(db, cat, e.dec, loans.Options{Now: e.clk.Now})
	return e
}

// backends runs fn on a fresh SQLite and a fresh PostgreSQL schema, in
// parallel with the package's other tests.
func backends(t *testing.T, fn func(t *testing.T, e *env)) {
	testenv.ParallelBackends(t, func(t *testing.T, _ testenv.Backend, db *store.DB) { fn(t, newEnv(t, db)) })
}
