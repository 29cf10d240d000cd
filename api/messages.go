package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay/comms"
)

// MessageService sends messages to customers; *comms.Service satisfies it.
type MessageService interface {
	Send(ctx context.Context, r comms.Request) (*comms.Message, error)
	List(ctx context.Context, customerID string, from, to time.Time, limit int) ([]*comms.Message, error)
}

type messageHandlers struct{ svc MessageService }

// MountMessages adds the message routes (DESIGN §17; docs/comms.md) and
// the messages journey source:
//
//	POST /v1/messages                  {"customer_id", "template", "vars", "request_id"} → 202 the message (queued, deferred, suppressed or failed with the reason); service (its own customer), admin
//	GET  /v1/customers/{id}/messages   the customer's messages, oldest first; ops, analyst, service (its own customer), admin
func (s *Server) MountMessages(svc MessageService) {
	h := &messageHandlers{svc: svc}
	s.AddJourneySource(h.journey)
	s.v1.POST("/messages", allow(RoleService), h.send)
	s.v1.GET("/customers/:id/messages", allow(RoleOps, RoleAnalyst, RoleService), h.list)
}

func (h *messageHandlers) send(c *gin.Context) {
	bindReply(c, http.StatusAccepted, func(r comms.Request) (any, error) {
		if err := checkCustomer(c, r.CustomerID); err != nil {
			return nil, err
		}
		return h.svc.Send(c.Request.Context(), r)
	})
}

func (h *messageHandlers) list(c *gin.Context) {
	if err := checkCustomerToken(c, "messages"); err != nil {
		abort(c, err)
		return
	}
	id, ok := customerParam(c)
	if !ok {
		return
	}
	ms, err := h.svc.List(c.Request.Context(), id, time.Time{}, time.Time{}, maxJourneyItems)
	reply(c, http.StatusOK, gin.H{"customer_id": id, "items": orEmpty(ms)}, err)
}

// journey shows each message: kind message, the template as type.
func (h *messageHandlers) journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error) {
	ms, err := h.svc.List(ctx, customerID, from, to, limit)
	return journeyItems(ms, err, func(m *comms.Message) JourneyItem {
		sum := map[string]any{"status": m.Status, "channel": m.Channel, "language": m.Language}
		if m.Reason != "" {
			sum["reason"] = m.Reason
		}
		return JourneyItem{At: m.CreatedAt, Kind: "message", Type: m.Template, ID: m.ID, Summary: sum}
	})
}

// CampaignService runs campaigns; *comms.Service satisfies it.
type CampaignService interface {
	CreateCampaign(ctx context.Context, r comms.CampaignRequest, by string) (*comms.Campaign, error)
	Campaign(ctx context.Context, id string) (*comms.Campaign, error)
}

type campaignHandlers struct{ svc CampaignService }

// maxCampaignBody is the body limit of a campaign: 5,000,000 customer ids.
const maxCampaignBody = 100 << 20

// MountCampaigns adds the campaign routes (DESIGN §17):
//
//	POST /v1/campaigns        {"template", "audience": {"customer_ids": […]}, "send_at", "vars"} → 201 the campaign; analyst, ops, admin
//	GET  /v1/campaigns/{id}   the campaign with its counts; analyst, ops, admin
func (s *Server) MountCampaigns(svc CampaignService) {
	h := &campaignHandlers{svc: svc}
	s.v1.POST("/campaigns", allow(RoleAnalyst, RoleOps), h.create)
	s.routeBodyLimit("/v1/campaigns", maxCampaignBody)
	s.v1.GET("/campaigns/:id", allow(RoleAnalyst, RoleOps), h.get)
}

func (h *campaignHandlers) create(c *gin.Context) {
	bindReply(c, http.StatusCreated, func(r comms.CampaignRequest) (any, error) {
		return h.svc.CreateCampaign(c.Request.Context(), r, actorOf(c).ID)
	})
}

func (h *campaignHandlers) get(c *gin.Context) {
	cmp, err := h.svc.Campaign(c.Request.Context(), c.Param("id"))
	reply(c, http.StatusOK, cmp, err)
}
