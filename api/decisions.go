package api

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strconv"
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

// JourneyItem is one entry of a customer's journey: a decision, an ingested
// event, or a lending action, at the time it happened.
type JourneyItem struct {
	At      time.Time      `json:"at"`
	Kind    string         `json:"kind"` // decision | event | lending
	Type    string         `json:"type"` // the step, the event type, or the lending action
	ID      string         `json:"id"`
	Summary map[string]any `json:"summary"`
}

// JourneySource lists one kind of a customer's journey items in [from, to).
type JourneySource func(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error)

type decisionRequest struct {
	RequestID  string         `json:"request_id"`
	CustomerID string         `json:"customer_id"`
	Step       string         `json:"step"`
	Input      map[string]any `json:"input"`
	Trace      bool           `json:"trace"`
}

// MountDecisions adds the decision routes (DESIGN §6):
//
//	POST /v1/decisions                   service, admin
//	GET  /v1/decisions/{id}              ops, analyst, admin; service for its own customer
//	GET  /v1/decisions?…                 ops, analyst, admin
//	GET  /v1/customers/{id}/journey      ops, analyst, admin; service for its own customer
func (s *Server) MountDecisions(svc DecisionService) {
	s.journey = append(s.journey, decisionJourney(svc))
	s.v1.POST("/decisions", allow(RoleService), func(c *gin.Context) {
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
		res, err := svc.Decide(c.Request.Context(), engine.Request{RequestID: req.RequestID, CustomerID: req.CustomerID,
			Step: req.Step, Input: normaliseNumbers(req.Input), Trace: req.Trace})
		if err != nil {
			abort(c, err)
			return
		}
		if res.Replayed {
			c.Header("Idempotent-Replayed", "true")
		}
		c.Data(http.StatusOK, "application/json", res.Response)
	})
	s.v1.GET("/decisions/:id", allow(RoleOps, RoleAnalyst, RoleService), func(c *gin.Context) {
		p := principal(c)
		if p.Role == RoleService && p.CustomerID == "" {
			abort(c, nirnay.Errorf(nirnay.KindForbidden, "a service key reads decisions only through a customer-scoped token"))
			return
		}
		rec, err := svc.Get(c.Request.Context(), c.Param("id"))
		if err == nil {
			err = checkCustomer(c, rec.CustomerID)
		}
		if err != nil {
			abort(c, err)
			return
		}
		c.JSON(http.StatusOK, decisionView(rec, true))
	})
	s.v1.GET("/decisions", allow(RoleOps, RoleAnalyst), func(c *gin.Context) {
		f, err := decisionFilter(c)
		if err != nil {
			abort(c, err)
			return
		}
		recs, next, err := svc.List(c.Request.Context(), f)
		if err != nil {
			abort(c, err)
			return
		}
		items := make([]map[string]any, 0, len(recs))
		for _, r := range recs {
			items = append(items, decisionView(r, false))
		}
		var nc any
		if next != "" {
			nc = next
		}
		c.JSON(http.StatusOK, gin.H{"items": items, "next_cursor": nc})
	})
	s.v1.GET("/customers/:id/journey", allow(RoleOps, RoleAnalyst, RoleService), s.customerJourney)
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

// normaliseNumbers turns the json.Number values strict decoding produces into
// int64 where they are whole and float64 otherwise, as the engine expects.
func normaliseNumbers(m map[string]any) map[string]any {
	for k, v := range m {
		m[k] = normaliseValue(v)
	}
	return m
}

func normaliseValue(v any) any {
	switch x := v.(type) {
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		return normaliseNumbers(x)
	case []any:
		for i := range x {
			x[i] = normaliseValue(x[i])
		}
	}
	return v
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
		return f, nirnay.FieldError("role", "must be champion, challenger or shadow")
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

func intParam(v, name string) (int, error) {
	if v == "" {
		return 0, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, nirnay.FieldError(name, "must be a non-negative integer")
	}
	return n, nil
}

func timeParam(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, nirnay.FieldError(name, "must be an RFC 3339 time such as 2026-11-26T10:00:00Z")
	}
	return t, nil
}

// AddJourneySource adds a kind of journey item (events, lending actions).
func (s *Server) AddJourneySource(src JourneySource) { s.journey = append(s.journey, src) }

func decisionJourney(svc DecisionService) JourneySource {
	return func(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error) {
		recs, _, err := svc.List(ctx, decisionlog.Filter{CustomerID: customerID, From: from, To: to, Limit: limit})
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

// customerJourney answers everything that happened to a customer, in time
// order (oldest first): decisions, events and lending actions.
func (s *Server) customerJourney(c *gin.Context) {
	id := c.Param("id")
	p := principal(c)
	if p.Role == RoleService && p.CustomerID == "" {
		abort(c, nirnay.Errorf(nirnay.KindForbidden, "a service key reads a journey only through a customer-scoped token"))
		return
	}
	if err := checkCustomer(c, id); err != nil {
		abort(c, err)
		return
	}
	q := c.Request.URL.Query()
	from, err := timeParam(q.Get("from"), "from")
	if err != nil {
		abort(c, err)
		return
	}
	to, err := timeParam(q.Get("to"), "to")
	if err != nil {
		abort(c, err)
		return
	}
	limit, err := intParam(q.Get("limit"), "limit")
	if err != nil {
		abort(c, err)
		return
	}
	if limit == 0 || limit > 500 {
		limit = 500
	}
	items := []JourneyItem{}
	for _, src := range s.journey {
		got, err := src(c.Request.Context(), id, from, to, limit)
		if err != nil {
			abort(c, err)
			return
		}
		items = append(items, got...)
	}
	sort.SliceStable(items, func(i, j int) bool {
		if !items[i].At.Equal(items[j].At) {
			return items[i].At.Before(items[j].At)
		}
		return items[i].ID < items[j].ID
	})
	if len(items) > limit {
		items = items[len(items)-limit:] // the most recent ones
	}
	c.JSON(http.StatusOK, gin.H{"customer_id": id, "items": items})
}
