package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay/decisions"
)

// StepUpService records step-up challenge results; *decisions.StepUps
// satisfies it.
type StepUpService interface {
	Report(ctx context.Context, req decisions.StepUpRequest) (decisions.StepUpReport, bool, error)
	List(ctx context.Context, customerID string, from, to time.Time, limit int) ([]decisions.StepUpReport, error)
}

// stepUpHandlers serve the step-up completion endpoint (DESIGN §15).
type stepUpHandlers struct{ svc StepUpService }

type stepUpRequest struct {
	Action string `json:"action"`
	Result string `json:"result"`
}

// MountStepUps adds the step-up route and the journey's step-up items:
//
//	POST /v1/decisions/{id}/step-up   service (a customer-scoped token for its own customer), admin
func (s *Server) MountStepUps(svc StepUpService) {
	h := &stepUpHandlers{svc: svc}
	s.AddJourneySource(h.journey)
	s.v1.POST("/decisions/:id/step-up", allow(RoleService), h.report)
}

// report records one challenge's result: 200 with the report; a repeat of
// the same report answers the first with Idempotent-Replayed: true.
func (h *stepUpHandlers) report(c *gin.Context) {
	var req stepUpRequest
	if err := bindJSON(c, &req); err != nil {
		abort(c, err)
		return
	}
	p := principal(c)
	rep, replayed, err := h.svc.Report(c.Request.Context(), decisions.StepUpRequest{DecisionID: c.Param("id"),
		Action: req.Action, Result: req.Result, By: p.KeyID, Customer: p.CustomerID})
	replyIdempotent(c, http.StatusOK, rep, replayed, err)
}

// journey lists a customer's step-up reports as journey items.
func (h *stepUpHandlers) journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error) {
	reps, err := h.svc.List(ctx, customerID, from, to, limit)
	return journeyItems(reps, err, func(r decisions.StepUpReport) JourneyItem {
		return JourneyItem{At: r.ReportedAt, Kind: "step_up", Type: r.Action, ID: r.DecisionID + "/" + r.Action,
			Summary: map[string]any{"decision_id": r.DecisionID, "step": r.Step, "action": r.Action, "result": r.Result}}
	})
}
