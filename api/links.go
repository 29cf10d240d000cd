package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay/comms/links"
)

// LinkService follows tracked links; *links.Service satisfies it.
type LinkService interface {
	Follow(ctx context.Context, token string) (*links.Link, error)
	Clicks(ctx context.Context, customerID string, from, to time.Time, limit int) ([]links.Click, error)
}

type linkHandlers struct{ svc LinkService }

// MountLinks adds the public tracked-link route (DESIGN §17) and the
// clicks journey source:
//
//	GET /l/{token}   302 to the link's target, the click recorded; an unknown, tampered or expired token is a 404 alike; no key
func (s *Server) MountLinks(svc LinkService) {
	h := &linkHandlers{svc: svc}
	s.AddJourneySource(h.journey)
	s.router.GET("/l/:token", h.follow)
}

func (h *linkHandlers) follow(c *gin.Context) {
	l, err := h.svc.Follow(c.Request.Context(), c.Param("token"))
	if err != nil {
		abort(c, err)
		return
	}
	c.Header("Cache-Control", "no-store") // every opening is a click
	c.Redirect(http.StatusFound, l.Target)
}

// journey shows each click: kind click, the link's target as type.
func (h *linkHandlers) journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error) {
	cs, err := h.svc.Clicks(ctx, customerID, from, to, limit)
	return journeyItems(cs, err, func(c links.Click) JourneyItem {
		sum := map[string]any{"target": c.Target}
		if c.MessageID != "" {
			sum["message_id"] = c.MessageID
		}
		if c.CampaignID != "" {
			sum["campaign_id"] = c.CampaignID
		}
		return JourneyItem{At: c.At, Kind: "click", Type: "link", ID: c.ID, Summary: sum}
	})
}
