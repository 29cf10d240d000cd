package decisions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/decisions/decisionstest"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// pgInstance is one decision service instance on a shared PostgreSQL: its
// own pool, decision log and engine.
type pgInstance struct {
	svc *decisions.Service
	log *decisionlog.Log
	db  *store.DB
}

func pgInstances(t *testing.T, n int, claimed bool) []pgInstance {
	t.Helper()
	url := testenv.Postgres(t)
	out := make([]pgInstance, n)
	for i := range out {
		db := testenv.Backend{URL: url}.Migrated(t)
		l := decisionstest.Log(t, db, decisionlog.Options{Linger: 10 * time.Millisecond})
		eng := decisionstest.NewEngine(t, "testdata", map[string]any{"bureau_score": 720, "monthly_income": 40000}, time.Now)
		svc := decisions.New(eng, l, nil)
		if claimed {
			svc.UseClaims(db, slog.New(slog.DiscardHandler))
		}
		out[i] = pgInstance{svc: svc, log: l, db: db}
	}
	return out
}

func decisionID(t *testing.T, res decisions.Result) string {
	t.Helper()
	var d struct {
		DecisionID string `json:"decision_id"`
	}
	if err := json.Unmarshal(res.Response, &d); err != nil || d.DecisionID == "" {
		t.Fatalf("response %s: %v", res.Response, err)
	}
	return d.DecisionID
}

// TestRequestIDsAcrossInstances sends each of 200 request ids to three
// instances on one PostgreSQL at once: every id gets one decision, answered
// alike by all three, and the database holds it once.
func TestRequestIDsAcrossInstances(t *testing.T) {
	inst := pgInstances(t, 3, true)
	ctx, cancel := context.WithCancel(context.Background())
	var runs sync.WaitGroup
	for _, in := range inst {
		runs.Add(1)
		go func() { defer runs.Done(); in.log.Run(ctx) }()
	}
	defer func() { cancel(); runs.Wait() }()

	const ids = 200
	got := make([][3]string, ids)
	var wg sync.WaitGroup
	errs := make(chan error, ids*3)
	for i := range ids {
		for j, in := range inst {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res, err := in.svc.Decide(ctx, engine.Request{RequestID: fmt.Sprintf("r-%d", i), CustomerID: fmt.Sprintf("C-%d", i%20),
					Step: "application", Input: map[string]any{"amount": int64(50000)}})
				if err != nil {
					errs <- fmt.Errorf("request r-%d on instance %d: %w", i, j, err)
					return
				}
				got[i][j] = decisionID(t, res)
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	distinct := map[string]bool{}
	for i, ds := range got {
		if ds[0] != ds[1] || ds[1] != ds[2] {
			t.Errorf("request r-%d: instances answered %v, want one decision", i, ds)
		}
		distinct[ds[0]] = true
	}
	// Wait for every log to ship, then count the stored decisions.
	deadline := time.Now().Add(10 * time.Second)
	for _, in := range inst {
		for in.log.Stats().Pending > 0 && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
	}
	var rows, perID int
	if err := inst[0].db.Reader().QueryRow(`SELECT count(*), count(DISTINCT customer_id || '/' || request_id) FROM decisions WHERE role <> 'shadow'`).Scan(&rows, &perID); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d request ids × 3 instances at once: %d distinct decisions answered, %d stored for %d request ids", ids, len(distinct), rows, perID)
	if len(distinct) != ids || rows != ids || perID != ids {
		t.Errorf("%d distinct answers, %d stored decisions for %d request ids; want %d of each", len(distinct), rows, perID, ids)
	}
}

func TestRequestIDScopeAndConflicts(t *testing.T) {
	inst := pgInstances(t, 2, true)
	ctx := context.Background()
	req := engine.Request{RequestID: "C-1-application-1", CustomerID: "C-1", Step: "application", Input: map[string]any{"amount": int64(50000)}}
	first, err := inst[0].svc.Decide(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	// The same id for another customer is another request.
	other := req
	other.CustomerID = "C-2"
	res, err := inst[1].svc.Decide(ctx, other)
	if err != nil || res.Replayed || decisionID(t, res) == decisionID(t, first) {
		t.Fatalf("the same request id for another customer: %s replayed %v err %v; want a new decision", res.Response, res.Replayed, err)
	}
	// The same id and body on another instance replays; another body is 409
	// naming only this customer's decision.
	again, err := inst[1].svc.Decide(ctx, req)
	if err != nil || !again.Replayed || string(again.Response) != string(first.Response) {
		t.Errorf("retry on another instance: %s replayed %v err %v; want the first decision", again.Response, again.Replayed, err)
	}
	changed := req
	changed.Input = map[string]any{"amount": int64(90000)}
	_, err = inst[1].svc.Decide(ctx, changed)
	if !nirnay.IsKind(err, nirnay.KindConflict) {
		t.Fatalf("same id, different body: %v; want 409", err)
	}
	var ne *nirnay.Error
	if errors.As(err, &ne); ne == nil || !strings.Contains(ne.Message, decisionID(t, first)) || strings.Contains(ne.Message, decisionID(t, res)) {
		t.Errorf("conflict message %q: want this customer's decision %s, never the other customer's", err, decisionID(t, first))
	}
}

// TestClaimLatency measures what claiming a request id in PostgreSQL adds
// to a fresh decision (p50 and p99 over 500, alternated with unclaimed
// decisions on the same database).
func TestClaimLatency(t *testing.T) {
	if testing.Short() {
		t.Skip("measurement")
	}
	with, without := pgInstances(t, 1, true)[0], pgInstances(t, 1, false)[0]
	ctx := context.Background()
	var a, b []time.Duration
	for i := range 500 {
		for k, in := range []pgInstance{with, without} {
			req := engine.Request{RequestID: fmt.Sprintf("lat-%d-%d", k, i), CustomerID: "C-9", Step: "application", Input: map[string]any{"amount": int64(1000)}}
			t0 := time.Now()
			if _, err := in.svc.Decide(ctx, req); err != nil {
				t.Fatal(err)
			}
			if k == 0 {
				a = append(a, time.Since(t0))
			} else {
				b = append(b, time.Since(t0))
			}
		}
	}
	slices.Sort(a)
	slices.Sort(b)
	t.Logf("fresh decision with a claim: p50 %v p99 %v; without: p50 %v p99 %v; the claim adds p50 %v p99 %v",
		a[len(a)/2], a[len(a)*99/100], b[len(b)/2], b[len(b)*99/100], a[len(a)/2]-b[len(b)/2], a[len(a)*99/100]-b[len(b)*99/100])
	if a[len(a)/2] > b[len(b)/2]+20*time.Millisecond {
		t.Errorf("a claim adds over 20 ms at p50")
	}
}

// TestClaimedDecisionLoggedAtItsClaim: a decision under a claimed request
// id is logged at the time in its id (the claim's millisecond), it and its
// shadow, so a claim taken over and decided again under the same id ships
// as the same (id, decided_at) and is stored once.
func TestClaimedDecisionLoggedAtItsClaim(t *testing.T) {
	in := pgInstances(t, 1, true)[0]
	ctx := context.Background()
	res, err := in.svc.Decide(ctx, engine.Request{RequestID: "at-1", CustomerID: "C-1", Step: "application", Input: map[string]any{"amount": int64(50000)}})
	if err != nil {
		t.Fatal(err)
	}
	id := decisionID(t, res)
	claimed, err := ids.Time(id)
	if err != nil {
		t.Fatal(err)
	}
	for _, rid := range []string{id, id + ".s1"} {
		rec, err := in.log.Get(ctx, rid)
		if err != nil {
			t.Fatal(err)
		}
		if !rec.DecidedAt.Equal(claimed) || rec.DecidedAt.After(res.Decision.EvaluatedAt) {
			t.Errorf("%s logged at %v; want the claim's %v (evaluated at %v)", rid, rec.DecidedAt, claimed, res.Decision.EvaluatedAt)
		}
	}
}
