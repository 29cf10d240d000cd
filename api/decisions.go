package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/pii"
	"github.com/nirnay/nirnay/rules"
)

// DecisionService is what the decision endpoints need; *decisions.Service
// satisfies it.
type DecisionService interface {
	Decide(ctx context.Context, req engine.Request) (decisions.Result, error)
	Get(ctx context.Context, id string) (*decisionlog.Record, error)
	List(ctx context.Context, f decisionlog.Filter) ([]*decisionlog.Record, string, error)
}

type decisionRequest struct {
	RequestID  string         `json:"request_id"`
	CustomerID string         `json:"customer_id"`
	Step       string         `json:"step"`
	Input      map[string]any `json:"input"`
	Trace      bool           `json:"trace"`
}

type decisionHandlers struct{ svc DecisionService }

// MountDecisions adds the decision routes (DESIGN §6) and the decisions
// journey source:
//
//	POST /v1/decisions                   service, admin
//	GET  /v1/decisions/{id}              ops, analyst, admin; service for its own customer
//	GET  /v1/decisions?…                 ops, analyst, admin
//	GET  /v1/customers/{id}/journey      ops, analyst, admin; service for its own customer
func (s *Server) MountDecisions(svc DecisionService) {
	h := &decisionHandlers{svc: svc}
	s.AddJourneySource(h.journey)
	g := s.v1
	g.POST("/decisions", allow(RoleService), h.decide)
	g.GET("/decisions/:id", allow(RoleOps, RoleAnalyst, RoleService), h.get)
	g.GET("/decisions", allow(RoleOps, RoleAnalyst), h.list)
	g.GET("/customers/:id/journey", allow(RoleOps, RoleAnalyst, RoleService), s.customerJourney)
}

func (h *decisionHandlers) decide(c *gin.Context) {
	var req decisionRequest
	if err := bindJSON(c, &req); err != nil {
		abort(c, err)
		return
	}
	if err := validateDecisionRequest(&req); err != nil {
		abort(c, err)
		return
	}
	if err := checkCustomer(c, req.CustomerID); err != nil {
		abort(c, err)
		return
	}
	res, err := h.svc.Decide(c.Request.Context(), engine.Request{RequestID: req.RequestID, CustomerID: req.CustomerID,
		Step: req.Step, Input: engine.PlainNumbers(req.Input), Trace: req.Trace})
	if err != nil {
		abort(c, err)
		return
	}
	if res.Replayed {
		c.Header("Idempotent-Replayed", "true")
	}
	c.Data(http.StatusOK, "application/json", res.Response)
}

func (h *decisionHandlers) get(c *gin.Context) {
	if err := checkCustomerToken(c, "decisions"); err != nil {
		abort(c, err)
		return
	}
	rec, ok := customerObject(c, h.svc.Get, func(r *decisionlog.Record) string { return r.CustomerID })
	if ok {
		c.JSON(http.StatusOK, decisionView(rec, true))
	}
}

func (h *decisionHandlers) list(c *gin.Context) {
	f, err := decisionFilter(c)
	if err != nil {
		abort(c, err)
		return
	}
	recs, next, err := h.svc.List(c.Request.Context(), f)
	if err != nil {
		abort(c, err)
		return
	}
	items := make([]map[string]any, 0, len(recs))
	for _, r := range recs {
		items = append(items, decisionView(r, false))
	}
	writePage(c, items, next)
}

func validateDecisionRequest(req *decisionRequest) error {
	switch {
	case req.CustomerID == "":
		return nirnay.FieldError("customer_id", "is required")
	case len(req.CustomerID) > 128:
		return nirnay.FieldError("customer_id", "is longer than 128 characters")
	case len(req.RequestID) > 128:
		return nirnay.FieldError("request_id", "is longer than 128 characters")
	case req.Step == "":
		return nirnay.FieldError("step", "is required")
	case !slices.Contains(rules.Steps, req.Step):
		return nirnay.FieldError("step", "unknown step %q; one of %v", req.Step, rules.Steps)
	}
	if req.Input == nil {
		req.Input = map[string]any{}
	}
	return nil
}

// decisionView is a logged decision as ops see it: the decision exactly as
// it was answered, plus (with detail) the masked input and the feature
// values it used with their ages. Shadow evaluations show their result.
// The input and string feature values are masked again (package pii) on
// the way out, so decisions logged before a masking rule existed show
// masked too; masking is idempotent.
func decisionView(r *decisionlog.Record, detail bool) map[string]any {
	out := map[string]any{}
	if r.Role == nirnay.RoleShadow {
		var sb decisions.ShadowBody
		_ = json.Unmarshal(r.Body, &sb)
		out = map[string]any{"decision_id": r.ID, "parent_decision_id": r.ParentID, "request_id": r.RequestID,
			"customer_id": r.CustomerID, "step": r.Step, "outcome": sb.Outcome, "reasons": sb.Reasons, "score": sb.Score,
			"offer": sb.Offer, "policy": engine.PolicyRef{ID: r.PolicyID, Version: r.PolicyVersion, Role: nirnay.RoleShadow},
			"rules": sb.Rules, "evaluated_at": r.DecidedAt}
		return out
	}
	var b decisions.Body
	if err := json.Unmarshal(r.Body, &b); err == nil {
		_ = json.Unmarshal(b.Response, &out)
	}
	if detail {
		out["input"] = pii.Map(b.Input)
		for i := range b.Features {
			if f := &b.Features[i]; f.Value != nil {
				f.Value = pii.Any(f.Value)
			}
		}
		out["features"] = b.Features
		out["timings"] = gin.H{"fetch_us": b.FetchUS, "eval_us": b.EvalUS}
	}
	return out
}

func decisionFilter(c *gin.Context) (decisionlog.Filter, error) {
	q := c.Request.URL.Query()
	f := decisionlog.Filter{CustomerID: q.Get("customer_id"), Step: q.Get("step"), Outcome: nirnay.Outcome(q.Get("outcome")),
		Rule: q.Get("rule"), PolicyID: q.Get("policy"), Role: nirnay.PolicyRole(q.Get("role")), Cursor: q.Get("cursor")}
	if f.Step != "" && !slices.Contains(rules.Steps, f.Step) {
		return f, nirnay.FieldError("step", "unknown step %q", f.Step)
	}
	if f.Outcome != "" && !f.Outcome.Valid() {
		return f, nirnay.FieldError("outcome", "unknown outcome %q", f.Outcome)
	}
	if f.Role != "" && !f.Role.Valid() {
		return f, nirnay.FieldError("role", "must be champion, challenger, shadow or manual")
	}
	var err error
	if f.PolicyVersion, err = intParam(q.Get("version"), "version"); err != nil {
		return f, err
	}
	if f.Limit, err = intParam(q.Get("limit"), "limit"); err != nil {
		return f, err
	}
	if f.From, err = timeParam(q.Get("from"), "from"); err != nil {
		return f, err
	}
	if f.To, err = timeParam(q.Get("to"), "to"); err != nil {
		return f, err
	}
	return f, nil
}

// journey lists a customer's decisions (not shadow evaluations) as journey
// items.
func (h *decisionHandlers) journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error) {
	recs, _, err := h.svc.List(ctx, decisionlog.Filter{CustomerID: customerID, From: from, To: to, Limit: limit})
	if err != nil {
		return nil, err
	}
	items := make([]JourneyItem, 0, len(recs))
	for _, r := range recs {
		if r.Role == nirnay.RoleShadow {
			continue
		}
		v := decisionView(r, false)
		items = append(items, JourneyItem{At: r.DecidedAt, Kind: "decision", Type: r.Step, ID: r.ID, Summary: map[string]any{
			"outcome": r.Outcome, "reasons": v["reasons"], "score": r.Score, "offer": v["offer"],
			"policy": engine.PolicyRef{ID: r.PolicyID, Version: r.PolicyVersion, Role: r.Role}, "rules": firedRules(v["rules"])}})
	}
	return items, nil
}

// firedRules lists the ids of the fired and errored rules of a decision view.
func firedRules(rules any) []string {
	list, _ := rules.([]any)
	ids := make([]string, 0, len(list))
	for _, r := range list {
		m, _ := r.(map[string]any)
		if fired, _ := m["fired"].(bool); fired || m["error"] != nil {
			if id, ok := m["id"].(string); ok {
				ids = append(ids, id)
			}
		}
	}
	return ids
}
