package api

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"time"

	"github.com/gin-gonic/gin"
)

// JourneyItem is one entry of a customer's journey: a decision, an ingested
// event, a step-up result, a lending action or a review case's event, at
// the time it happened.
type JourneyItem struct {
	At      time.Time      `json:"at"`
	Kind    string         `json:"kind"` // decision | event | step_up | lending | case
	Type    string         `json:"type"` // the step, the event type, the step-up action or the lending action
	ID      string         `json:"id"`
	Summary map[string]any `json:"summary"`
}

// JourneySource lists one kind of a customer's journey items in [from, to).
type JourneySource func(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyItem, error)

// AddJourneySource adds a kind of journey item (events, lending actions).
// Call it while mounting, before serving.
func (s *Server) AddJourneySource(src JourneySource) { s.journey = append(s.journey, src) }

// journeyItems is what a journey source answers for the records it listed
// (or its error): each record as the journey item item makes of it.
func journeyItems[T any](records []T, err error, item func(T) JourneyItem) ([]JourneyItem, error) {
	if err != nil {
		return nil, err
	}
	items := make([]JourneyItem, 0, len(records))
	for _, r := range records {
		items = append(items, item(r))
	}
	return items, nil
}

// maxJourneyItems is the most items a journey answers (and its default).
const maxJourneyItems = 500

// customerJourney answers everything that happened to a customer, in time
// order (oldest first), from every journey source: GET
// /v1/customers/{id}/journey?from=&to=&limit= (mounted by MountDecisions).
// With more than limit items, the most recent ones.
func (s *Server) customerJourney(c *gin.Context) {
	if err := checkCustomerToken(c, "a journey"); err != nil {
		abort(c, err)
		return
	}
	id, ok := customerParam(c)
	if !ok {
		return
	}
	from, to, limit, err := journeyQuery(c.Request.URL.Query())
	if err != nil {
		abort(c, err)
		return
	}
	items, err := s.journeyOf(c.Request.Context(), id, from, to, limit)
	reply(c, http.StatusOK, gin.H{"customer_id": id, "items": items}, err)
}

// journeyQuery reads the ?from=&to=&limit= of a journey (a 400 naming the
// first that does not parse); the limit is maxJourneyItems when absent, 0
// or above it.
func journeyQuery(q url.Values) (from, to time.Time, limit int, err error) {
	if from, err = timeParam(q.Get("from"), "from"); err != nil {
		return from, to, 0, err
	}
	if to, err = timeParam(q.Get("to"), "to"); err != nil {
		return from, to, 0, err
	}
	if limit, err = intParam(q.Get("limit"), "limit"); err != nil {
		return from, to, 0, err
	}
	if limit == 0 || limit > maxJourneyItems {
		limit = maxJourneyItems
	}
	return from, to, limit, nil
}

// journeyOf gathers a customer's items in [from, to) from every journey
// source, in time order (oldest first); with more than limit, the most
// recent limit of them.
func (s *Server) journeyOf(ctx context.Context, id string, from, to time.Time, limit int) ([]JourneyItem, error) {
	items := []JourneyItem{}
	for _, src := range s.journey {
		got, err := src(ctx, id, from, to, limit)
		if err != nil {
			return nil, err
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
	return items, nil
}
