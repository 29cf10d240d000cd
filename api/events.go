package api

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/events/consume"
	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/pii"
)

// EventIngester puts validated batches on the event stream;
// *ingest.Ingester satisfies it.
type EventIngester interface {
	Ingest(ctx context.Context, events []ingest.Event) (ingest.Receipt, error)
}

// DeadLetterLister lists refused events; *consume.DeadLetters satisfies it.
type DeadLetterLister interface {
	List(ctx context.Context, cursor string, limit int) ([]consume.DeadLetter, string, error)
}

// EventJourney lists a customer's indexed events; *consume.Journey
// satisfies it.
type EventJourney interface {
	List(ctx context.Context, customerID string, from, to time.Time, limit int) ([]consume.JourneyEntry, error)
}

type eventBatch struct {
	Events []ingest.Event `json:"events"`
}

// MountEvents adds the event routes (DESIGN §10):
//
//	POST /v1/events                 service, admin; a customer-scoped token only for its customer
//	GET  /v1/events/dead-letters    ops, admin (?cursor=&limit=); personal data masked
//
// and, when journey is not nil, the customer's ingested events (app_event
// screens and clicks, device_apps snapshots) as "event" items of
// GET /v1/customers/{id}/journey.
//
// POST takes {"events": [{"id", "type", "customer_id", "device_id"?, "at",
// "data"}, …]} (at most ingest.MaxBatch events) and answers 202
// {"accepted": [ids], "dead_lettered": [{"index", "id", "reason"}]} once
// the accepted events are durable on the stream and the refused ones in
// the dead-letter store. A batch that is empty, too large or repeats an id
// is a 400 and nothing is kept; 503 when the stream is down (retry the
// batch: consumers skip ids they have seen).
func (s *Server) MountEvents(in EventIngester, dead DeadLetterLister, journey EventJourney) {
	h := &eventHandlers{in: in, dead: dead, index: journey}
	if journey != nil {
		s.AddJourneySource(h.journey)
	}
	s.v1.POST("/events", allow(RoleService), h.ingest)
	s.v1.GET("/events/dead-letters", allow(RoleOps), h.deadLetters)
}

type eventHandlers struct {
	in    EventIngester
	dead  DeadLetterLister
	index EventJourney
}

func (h *eventHandlers) ingest(c *gin.Context) {
	bindReply(c, http.StatusAccepted, func(b eventBatch) (any, error) {
		if p := principal(c); p.CustomerID != "" {
			for i, ev := range b.Events {
				if ev.CustomerID != p.CustomerID {
					return nil, nirnay.Errorf(nirnay.KindForbidden, "events[%d]: a customer-scoped token may send events only for its own customer", i)
				}
			}
		}
		return h.in.Ingest(c.Request.Context(), b.Events)
	})
}

// deadLetters answers a page of refused events (?cursor=&limit=; the
// limit is 100 when absent, 0 or above consume.MaxDeadLetterPage).
func (h *eventHandlers) deadLetters(c *gin.Context) {
	q := c.Request.URL.Query()
	limit, err := intParam(q.Get("limit"), "limit")
	if err != nil {
		abort(c, err)
		return
	}
	if limit == 0 || limit > consume.MaxDeadLetterPage {
		limit = 100
	}
	items, next, err := h.dead.List(c.Request.Context(), q.Get("cursor"), limit)
	if err != nil {
		abort(c, err)
		return
	}
	writePage(c, orEmpty(items), next)
}

// journey lists a customer's indexed events as journey items.
func (h *eventHandlers) journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error) {
	es, err := h.index.List(ctx, customerID, from, to, limit)
	return journeyItems(es, err, func(e consume.JourneyEntry) JourneyItem {
		// The index keeps masked strings; an entry indexed before a
		// rule existed is masked here (by value: a summary's "name" is
		// the event's, not a person's).
		for k, v := range e.Summary {
			if s, ok := v.(string); ok {
				e.Summary[k] = pii.Text(s)
			}
		}
		return JourneyItem{At: e.At, Kind: "event", Type: e.Type, ID: e.ID, Summary: e.Summary}
	})
}
