package decisions_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/decisions/decisionstest"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/internal/testenv"
)

var now = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

func newService(t *testing.T, feats map[string]any) (*decisions.Service, *decisionlog.Log) {
	t.Helper()
	db := testenv.SQLite(t)
	l := decisionstest.Log(t, db, decisionlog.Options{})
	eng := decisionstest.NewEngine(t, "testdata", feats, func() time.Time { return now })
	return decisions.New(eng, l, nil), l
}

func TestDecideLogsDecisionAndShadow(t *testing.T) {
	t.Parallel()
	svc, l := newService(t, map[string]any{"bureau_score": 650, "monthly_income": 40000})
	ctx := context.Background()
	res, err := svc.Decide(ctx, engine.Request{RequestID: "r1", CustomerID: "C-1", Step: "application",
		Input: map[string]any{"amount": int64(50000), "pan": "ABCDE1234F"}})
	if err != nil {
		t.Fatal(err)
	}
	var d engine.Decision
	if err := json.Unmarshal(res.Response, &d); err != nil {
		t.Fatal(err)
	}
	if d.Outcome != "approve" || d.Offer["limit"] != int64(120000) || len(d.Shadow) != 1 || d.Shadow[0].Outcome != "decline" {
		t.Fatalf("decision %s; want approve with limit 120000 and a declining shadow", res.Response)
	}
	rec, err := l.Get(ctx, d.DecisionID)
	if err != nil {
		t.Fatal(err)
	}
	var body decisions.Body
	if err := json.Unmarshal(rec.Body, &body); err != nil {
		t.Fatal(err)
	}
	if string(body.Response) != string(res.Response) {
		t.Fatalf("logged response differs from the one answered:\n%s\n%s", body.Response, res.Response)
	}
	if body.Input["pan"] != "XXXXXX234F" {
		t.Fatalf("PAN logged as %v, want it masked", body.Input["pan"])
	}
	found := map[string]decisions.FeatureUsed{}
	for _, f := range body.Features {
		found[f.Name] = f
	}
	if found["bureau_score"].Value != float64(650) || found["bureau_score"].State != "present" {
		t.Fatalf("features used: %+v; want bureau_score 650 present", body.Features)
	}
	shadow, err := l.Get(ctx, d.DecisionID+".s1")
	if err != nil || shadow.Role != "shadow" || shadow.Outcome != "decline" || shadow.ParentID != d.DecisionID {
		t.Fatalf("shadow record: %+v, %v", shadow, err)
	}
}

func TestIdempotentRequestID(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, map[string]any{"bureau_score": 720, "monthly_income": 40000})
	ctx := context.Background()
	req := engine.Request{RequestID: "same", CustomerID: "C-2", Step: "application", Input: map[string]any{"amount": int64(1000)}}
	// Concurrent duplicates: exactly one decision, all answers identical.
	var wg sync.WaitGroup
	answers := make([]string, 8)
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res, err := svc.Decide(ctx, req)
			if err != nil {
				t.Error(err)
				return
			}
			answers[i] = string(res.Response)
		}()
	}
	wg.Wait()
	for _, a := range answers[1:] {
		if a != answers[0] {
			t.Fatalf("duplicate request answered differently:\n%s\n%s", answers[0], a)
		}
	}
	res, err := svc.Decide(ctx, req)
	if err != nil || !res.Replayed || string(res.Response) != answers[0] {
		t.Fatalf("retry: replayed=%v err=%v", res.Replayed, err)
	}
	req.Input = map[string]any{"amount": int64(2000)}
	if _, err := svc.Decide(ctx, req); !nirnay.IsKind(err, nirnay.KindConflict) || !strings.Contains(err.Error(), "different request") {
		t.Fatalf("same id, different body: %v; want a conflict", err)
	}
}

func TestDecideErrors(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, map[string]any{"bureau_score": 720})
	ctx := context.Background()
	if _, err := svc.Decide(ctx, engine.Request{CustomerID: "C", Step: "warp"}); !nirnay.IsKind(err, nirnay.KindInvalid) {
		t.Fatalf("unknown step: %v, want invalid", err)
	}
	if _, err := svc.Decide(ctx, engine.Request{CustomerID: "C", Step: "login"}); !nirnay.IsKind(err, nirnay.KindUnprocessable) {
		t.Fatalf("step with no policy: %v, want unprocessable", err)
	}
}

// TestResultIsTyped: the service hands Go callers the decision as a typed
// value, first time and on a replay, with integer offer fields as int64
// (the lending core used to parse the JSON and guess number types).
func TestResultIsTyped(t *testing.T) {
	t.Parallel()
	svc, _ := newService(t, map[string]any{"bureau_score": 650, "monthly_income": 40000})
	ctx := context.Background()
	req := engine.Request{RequestID: "typed-1", CustomerID: "C-3", Step: "application", Input: map[string]any{"amount": int64(50000)}}
	for i, wantReplay := range []bool{false, true} {
		res, err := svc.Decide(ctx, req)
		if err != nil {
			t.Fatal(err)
		}
		d := res.Decision
		if res.Replayed != wantReplay || d.DecisionID == "" || d.Outcome != "approve" || d.EvaluatedAt.IsZero() {
			t.Fatalf("call %d: replayed %v, decision %+v", i, res.Replayed, d)
		}
		if lim, ok := d.Offer["limit"].(int64); !ok || lim != 120000 {
			t.Errorf("call %d: offer limit %T %v, want int64 120000", i, d.Offer["limit"], d.Offer["limit"])
		}
	}
}
