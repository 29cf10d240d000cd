package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/cases"
	"github.com/nirnay/nirnay/decisionlog"
)

// CaseService works the manual review queues; *cases.Service satisfies it.
type CaseService interface {
	List(ctx context.Context, f cases.Filter) ([]*cases.Case, string, error)
	Get(ctx context.Context, id string) (*cases.Case, error)
	Events(ctx context.Context, id string) ([]cases.Event, error)
	Reviewed(ctx context.Context, c *cases.Case) (*decisionlog.Record, error)
	Claim(ctx context.Context, who cases.Caller, id string) (*cases.Case, error)
	Next(ctx context.Context, who cases.Caller, queue string) (*cases.Case, error)
	Release(ctx context.Context, who cases.Caller, id string) (*cases.Case, error)
	Reassign(ctx context.Context, who cases.Caller, id, toKeyID string) (*cases.Case, error)
	Decide(ctx context.Context, who cases.Caller, id string, v cases.Verdict) (*cases.Case, error)
	Journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]cases.Event, error)
}

type caseHandlers struct {
	svc CaseService
	srv *Server
}

// recentJourneyItems is how much of the customer's journey a case shows.
const recentJourneyItems = 20

// MountCases adds the manual review routes (DESIGN §15; docs/cases.md)
// and the cases journey source. Which roles may claim, take and decide a
// queue's cases, and reassign them, is the queue's setting
// (policies/queues.yaml); the routes admit:
//
//	GET  /v1/cases?status=&queue=&customer_id=&assignee=&cursor=&limit=   ops, approver, analyst, admin; service for its own customer
//	GET  /v1/cases/{id}              the case with the decision (features used, input), its events and the recent journey; same roles
//	POST /v1/cases/next?queue=Q      claims the oldest waiting case of Q (404 when none); ops, approver, admin
//	POST /v1/cases/{id}/claim        ops, approver, admin
//	POST /v1/cases/{id}/release      ops, approver, admin
//	POST /v1/cases/{id}/reassign     {"assignee": "key_…" | null}; the queue's leads, admin
//	POST /v1/cases/{id}/decide       {"outcome", "reasons", "note", "offer": {"limit", "tenure_months"}}; ops, approver, admin
//
// Every change is audited (GET /v1/audit?subject=case/{id}).
func (s *Server) MountCases(svc CaseService) {
	h := &caseHandlers{svc: svc, srv: s}
	s.AddJourneySource(h.journey)
	readers := allow(RoleOps, RoleApprover, RoleAnalyst, RoleService)
	reviewers := allow(RoleOps, RoleApprover)
	g := s.v1
	g.GET("/cases", readers, h.list)
	g.POST("/cases/next", reviewers, h.next)
	g.GET("/cases/:id", readers, h.get)
	g.POST("/cases/:id/claim", reviewers, h.claim)
	g.POST("/cases/:id/release", reviewers, h.release)
	g.POST("/cases/:id/reassign", reviewers, h.reassign)
	g.POST("/cases/:id/decide", reviewers, h.decide)
}

// caller is the request's principal as the cases service sees it.
func caller(c *gin.Context) cases.Caller {
	p := principal(c)
	return cases.Caller{Actor: actorOf(c), Role: p.Role}
}

// caseFor loads the path's case under the caller's customer scope; a
// service key reads cases only through a customer-scoped token.
func (h *caseHandlers) caseFor(c *gin.Context) (*cases.Case, bool) {
	if err := checkCustomerToken(c, "cases"); err != nil {
		abort(c, err)
		return nil, false
	}
	return customerObject(c, h.svc.Get, func(k *cases.Case) string { return k.CustomerID })
}

func (h *caseHandlers) list(c *gin.Context) {
	if err := checkCustomerToken(c, "cases"); err != nil {
		abort(c, err)
		return
	}
	replyPage(c, func(ctx context.Context, cursor string, limit int) ([]*cases.Case, string, error) {
		q := c.Request.URL.Query()
		f := cases.Filter{Status: cases.Status(q.Get("status")), Queue: q.Get("queue"), CustomerID: q.Get("customer_id"),
			Assignee: q.Get("assignee"), Cursor: cursor, Limit: limit}
		if own := principal(c).CustomerID; own != "" {
			if f.CustomerID != "" && f.CustomerID != own {
				return []*cases.Case{}, "", nil // another customer's cases are not there for this token
			}
			f.CustomerID = own
		}
		items, next, err := h.svc.List(ctx, f)
		return orEmpty(items), next, err
	})
}

// get answers the case with what a reviewer needs beside it: the
// reviewed decision as logged (its input and the features it used, masked
// as in GET /v1/decisions/{id}), the case's events and the customer's most
// recent journey items.
func (h *caseHandlers) get(c *gin.Context) {
	k, ok := h.caseFor(c)
	if !ok {
		return
	}
	ctx := c.Request.Context()
	out := gin.H{"case": k}
	if rec, err := h.svc.Reviewed(ctx, k); err == nil {
		out["decision"] = decisionView(rec, true)
	} else if nirnay.IsKind(err, nirnay.KindNotFound) {
		out["decision"] = nil // archived beyond the cold tier's reach
	} else {
		abort(c, err)
		return
	}
	evs, err := h.svc.Events(ctx, k.ID)
	if err != nil {
		abort(c, err)
		return
	}
	out["events"] = evs
	journey, err := h.srv.journeyOf(ctx, k.CustomerID, time.Time{}, time.Time{}, recentJourneyItems)
	if err != nil {
		abort(c, err)
		return
	}
	out["journey"] = journey
	c.JSON(http.StatusOK, out)
}

func (h *caseHandlers) next(c *gin.Context) {
	queue := c.Query("queue")
	if queue == "" {
		abort(c, nirnay.FieldError("queue", "is required"))
		return
	}
	k, err := h.svc.Next(c.Request.Context(), caller(c), queue)
	reply(c, http.StatusOK, k, err)
}

func (h *caseHandlers) claim(c *gin.Context) {
	k, err := h.svc.Claim(c.Request.Context(), caller(c), c.Param("id"))
	reply(c, http.StatusOK, k, err)
}

func (h *caseHandlers) release(c *gin.Context) {
	k, err := h.svc.Release(c.Request.Context(), caller(c), c.Param("id"))
	reply(c, http.StatusOK, k, err)
}

type reassignBody struct {
	Assignee *string `json:"assignee"`
}

func (h *caseHandlers) reassign(c *gin.Context) {
	bindReply(c, http.StatusOK, func(b reassignBody) (any, error) {
		to := ""
		if b.Assignee != nil {
			if to = *b.Assignee; to == "" {
				return nil, nirnay.FieldError("assignee", "is an API key id, or null to give the case back to its queue")
			}
		}
		return h.svc.Reassign(c.Request.Context(), caller(c), c.Param("id"), to)
	})
}

type decideBody struct {
	Outcome nirnay.Outcome `json:"outcome"`
	Reasons []string       `json:"reasons"`
	Note    string         `json:"note"`
	Offer   *offerChange   `json:"offer"`
}

// offerChange is how a reviewer lowers an approval's offer.
type offerChange struct {
	Limit        *int64 `json:"limit"`
	TenureMonths *int64 `json:"tenure_months"`
}

func (h *caseHandlers) decide(c *gin.Context) {
	bindReply(c, http.StatusOK, func(b decideBody) (any, error) {
		v := cases.Verdict{Outcome: b.Outcome, Reasons: b.Reasons, Note: b.Note}
		if b.Offer != nil {
			v.Limit, v.TenureMonths = b.Offer.Limit, b.Offer.TenureMonths
		}
		return h.svc.Decide(c.Request.Context(), caller(c), c.Param("id"), v)
	})
}

// journey lists a customer's case events as journey items of kind case.
func (h *caseHandlers) journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error) {
	evs, err := h.svc.Journey(ctx, customerID, from, to, limit)
	return journeyItems(evs, err, func(e cases.Event) JourneyItem {
		summary := map[string]any{"case_id": e.CaseID, "actor": e.Actor}
		for k, v := range e.Body {
			summary[k] = v
		}
		return JourneyItem{At: e.At, Kind: "case", Type: e.Action, ID: e.ID, Summary: summary}
	})
}
