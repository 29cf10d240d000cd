package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/cases"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/decisions/decisionstest"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/store"
)

// caseFixture is a server with the decision and case routes over the real
// decision path (the cases package's test bundle: an application above
// 5 × the monthly income of 30,000 is referred; the offer is 6 × income),
// keys per role and customer-scoped tokens for C-1 and C-2.
type caseFixture struct {
	govFixture
	log *decisionlog.Log
}

func newCaseFixture(t *testing.T, db *store.DB) caseFixture {
	t.Helper()
	ctx := context.Background()
	for _, k := range []struct{ id, role, customer string }{
		{"asha", RoleOps, ""}, {"ravi", RoleOps, ""}, {"meera", RoleApprover, ""}, {"svc", RoleService, ""},
		{"tok1", RoleService, "C-1"}, {"tok2", RoleService, "C-2"},
	} {
		if err := db.CreateAPIKey(ctx, store.APIKey{ID: k.id, Name: k.id, Role: k.role, CustomerID: k.customer, CreatedAt: time.Now()}, k.id); err != nil {
			t.Fatal(err)
		}
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	b := decisionstest.Bundle(t, os.DirFS("../cases/testdata"), "refer-v1.yaml", "refer-v2.yaml", "kyc-v1.yaml")
	vec, err := b.Builder.Build(map[string]any{"bureau_score": 720, "monthly_income": 30000}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	eng := engine.New(engine.Config{Features: features.NewStatic(vec)})
	eng.Activate(b.Deployments(t))
	l, err := decisionlog.Open(t.TempDir(), db, decisionlog.Options{Linger: time.Millisecond, Unpaced: true})
	if err != nil {
		t.Fatal(err)
	}
	qs, err := cases.DefaultQueues()
	if err != nil {
		t.Fatal(err)
	}
	svc := cases.New(db, qs, l, b.Registry, b.Builder, cases.Options{Logger: quiet, Keys: db})
	l.OnShip(svc.Opener().Hook)
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); l.Run(runCtx) }()
	t.Cleanup(func() { cancel(); <-done; l.Close() })
	s := New(Options{Logger: quiet, Keys: db, RateLimit: -1})
	s.MountDecisions(decisions.New(eng, l, nil))
	s.MountCases(svc)
	return caseFixture{govFixture: govFixture{h: s.Handler()}, log: l}
}

// refer makes a referred application of amount for customer through the
// API and returns its case id once shipped.
func (f caseFixture) refer(t *testing.T, customer string, amount int) string {
	t.Helper()
	var d struct {
		DecisionID string         `json:"decision_id"`
		Outcome    nirnay.Outcome `json:"outcome"`
	}
	f.want(t, http.StatusOK, "svc", "POST", "/v1/decisions", "application/json",
		`{"request_id": "r-`+customer+`", "customer_id": "`+customer+`", "step": "application", "input": {"amount": `+itoa(amount)+`}}`, &d)
	if d.Outcome != nirnay.Review {
		t.Fatalf("application of %d: %s, want review", amount, d.Outcome)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.log.WaitShipped(ctx); err != nil {
		t.Fatal(err)
	}
	return nirnay.CaseIDOf(d.DecisionID)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// TestCasesAPIBadInput: each refusal of issue 18 through the API.
func TestCasesAPIBadInput(t *testing.T) {
	govBackends(t, func(t *testing.T, db *store.DB) {
		f := newCaseFixture(t, db)
		const js = "application/json"
		id := f.refer(t, "C-1", 180000)
		other := f.refer(t, "C-2", 180000)
		approve := `{"outcome": "approve", "reasons": ["INCOME_VERIFIED"], "note": "ok"}`

		// Deciding a case that is not yours: not claimed, then claimed by another.
		f.want(t, http.StatusConflict, "asha", "POST", "/v1/cases/"+id+"/decide", js, approve, nil)
		f.want(t, http.StatusOK, "ravi", "POST", "/v1/cases/"+id+"/claim", js, "", nil)
		f.want(t, http.StatusConflict, "asha", "POST", "/v1/cases/"+id+"/claim", js, "", nil)
		f.want(t, http.StatusConflict, "asha", "POST", "/v1/cases/"+id+"/decide", js, approve, nil)
		f.want(t, http.StatusOK, "meera", "POST", "/v1/cases/"+id+"/reassign", js, `{"assignee": "asha"}`, nil)

		// A bad verdict, a role that may not decide, an unknown field.
		f.want(t, http.StatusBadRequest, "asha", "POST", "/v1/cases/"+id+"/decide", js, `{"outcome": "maybe"}`, nil)
		f.want(t, http.StatusBadRequest, "asha", "POST", "/v1/cases/"+id+"/decide", js, `{"outcome": "approve", "limit": 5}`, nil)
		f.want(t, http.StatusForbidden, "svc", "POST", "/v1/cases/"+id+"/decide", js, approve, nil)

		// Raising the limit above the policy's offer (6 × 30,000).
		f.want(t, http.StatusUnprocessableEntity, "asha", "POST", "/v1/cases/"+id+"/decide", js,
			`{"outcome": "approve", "reasons": ["OK"], "offer": {"limit": 180001}}`, nil)

		var decided cases.Case
		f.want(t, http.StatusOK, "asha", "POST", "/v1/cases/"+id+"/decide", js,
			`{"outcome": "approve", "reasons": ["INCOME_VERIFIED"], "note": "ok", "offer": {"limit": 150000}}`, &decided)
		if decided.Status != cases.StatusDecided || decided.Resolution == nil || decided.Resolution.Offer["limit"] != int64(150000) {
			t.Fatalf("decided case %+v", decided)
		}
		// Deciding twice: the same verdict is answered again, another is 409.
		f.want(t, http.StatusOK, "asha", "POST", "/v1/cases/"+id+"/decide", js, approve, nil)
		f.want(t, http.StatusConflict, "asha", "POST", "/v1/cases/"+id+"/decide", js, `{"outcome": "decline", "reasons": ["FRAUD"]}`, nil)

		// An unknown queue.
		f.want(t, http.StatusNotFound, "asha", "POST", "/v1/cases/next?queue=nowhere", js, "", nil)
		f.want(t, http.StatusNotFound, "asha", "GET", "/v1/cases?queue=nowhere", "", "", nil)
		f.want(t, http.StatusBadRequest, "asha", "POST", "/v1/cases/next", js, "", nil)
		f.want(t, http.StatusBadRequest, "asha", "GET", "/v1/cases?colour=red", "", "", nil)

		// Another customer's case through a customer-scoped token; a service
		// key without one.
		f.want(t, http.StatusNotFound, "tok1", "GET", "/v1/cases/"+other, "", "", nil)
		f.want(t, http.StatusOK, "tok2", "GET", "/v1/cases/"+other, "", "", nil)
		f.want(t, http.StatusForbidden, "svc", "GET", "/v1/cases/"+other, "", "", nil)
		var page struct {
			Items []cases.Case `json:"items"`
		}
		f.want(t, http.StatusOK, "tok1", "GET", "/v1/cases?customer_id=C-2", "", "", &page)
		if len(page.Items) != 0 {
			t.Errorf("C-1's token listing C-2's cases: %d items, want none", len(page.Items))
		}
		f.want(t, http.StatusOK, "tok1", "GET", "/v1/cases", "", "", &page)
		if len(page.Items) != 1 || page.Items[0].ID != id {
			t.Errorf("C-1's token listing: %+v, want only %s", page.Items, id)
		}
		f.want(t, http.StatusNotFound, "asha", "GET", "/v1/cases/case_NOPE", "", "", nil)
	})
}

// TestCaseDetailAndJourney: GET /v1/cases/{id} carries the decision with
// its features, the events and the journey; the verdict is a decision of
// role manual whose parent is the referred one, in the journey after the
// case's events.
func TestCaseDetailAndJourney(t *testing.T) {
	govBackends(t, func(t *testing.T, db *store.DB) {
		f := newCaseFixture(t, db)
		const js = "application/json"
		id := f.refer(t, "C-1", 180000)
		f.want(t, http.StatusOK, "asha", "POST", "/v1/cases/next?queue=application", js, "", nil)
		var c cases.Case
		f.want(t, http.StatusOK, "asha", "POST", "/v1/cases/"+id+"/decide", js, `{"outcome": "approve", "reasons": ["OK"]}`, &c)
		var detail struct {
			Case     cases.Case     `json:"case"`
			Decision map[string]any `json:"decision"`
			Events   []cases.Event  `json:"events"`
			Journey  []JourneyItem  `json:"journey"`
		}
		f.want(t, http.StatusOK, "tok1", "GET", "/v1/cases/"+id, "", "", &detail)
		if detail.Decision["decision_id"] != detail.Case.DecisionID || detail.Decision["features"] == nil || len(detail.Events) != 3 {
			t.Errorf("detail: decision %v, %d events", detail.Decision, len(detail.Events))
		}
		var kinds []string
		for _, it := range detail.Journey {
			kinds = append(kinds, it.Kind+":"+it.Type)
		}
		if got := strings.Join(kinds, " "); got != "decision:application case:opened case:claimed case:decided decision:application" {
			t.Errorf("journey %s", got)
		}
		var verdict map[string]any
		f.want(t, http.StatusOK, "tok1", "GET", "/v1/decisions/"+c.Resolution.DecisionID, "", "", &verdict)
		pol, _ := verdict["policy"].(map[string]any)
		if pol["role"] != "manual" || verdict["parent_id"] != c.DecisionID || verdict["outcome"] != "approve" {
			t.Errorf("verdict decision %v", verdict)
		}
		var offer map[string]any
		_ = json.Unmarshal(mustMarshal(verdict["offer"]), &offer)
		if offer["limit"] != float64(180000) {
			t.Errorf("verdict offer %v; want the policy's limit 180000", offer)
		}
	})
}

func mustMarshal(v any) []byte { b, _ := json.Marshal(v); return b }
