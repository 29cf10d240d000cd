package consume

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nirnay/nirnay/events/apps"
	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/pii"
	"github.com/nirnay/nirnay/store"
)

// Journey indexes ingested events for the customer journey (GET
// /v1/customers/{id}/journey): app_event screens and clicks and device_apps
// snapshots (as category counts). SMS are not indexed (their bodies are
// personal and their effect shows in features), nor lending domain events
// (the lending core lists its own actions in the journey). The strings of
// a summary are masked by value (pii.Text) before they are indexed.
// Idempotent by event id. Safe for concurrent use.
type Journey struct {
	db *store.DB
}

// NewJourney returns the journey index in db.
func NewJourney(db *store.DB) *Journey { return &Journey{db: db} }

// JourneyEntry is one indexed event.
type JourneyEntry struct {
	At      time.Time
	Type    string
	ID      string
	Summary map[string]any
}

// Wants reports whether the journey indexes events of type t.
func (j *Journey) Wants(t string) bool {
	return t == ingest.TypeAppEvent || t == ingest.TypeDeviceApps
}

// Handle indexes the batch's journey events in one transaction.
func (j *Journey) Handle(ctx context.Context, events []ingest.Event) ([]Refusal, error) {
	type row struct {
		ev      *ingest.Event
		summary []byte
	}
	var rows []row
	var refused []Refusal
	for i := range events {
		ev := &events[i]
		s, ok, reason := journeySummary(ev)
		if reason != "" {
			refused = append(refused, Refusal{Event: *ev, Reason: reason})
			continue
		}
		if !ok {
			continue
		}
		b, err := json.Marshal(s)
		if err != nil {
			return nil, err
		}
		rows = append(rows, row{ev, b})
	}
	if len(rows) == 0 {
		return refused, nil
	}
	err := j.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, r := range rows {
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_journey (event_id, customer_id, event_type, at, summary) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (event_id) DO NOTHING`, r.ev.ID, r.ev.CustomerID, r.ev.Type, store.Instant(r.ev.At), string(r.summary)); err != nil {
				return fmt.Errorf("index journey event %s: %w", r.ev.ID, err)
			}
		}
		return nil
	})
	return refused, err
}

// journeySummary is what the journey shows of an event; ok false for
// events not indexed; a reason for an event whose data cannot be read.
func journeySummary(ev *ingest.Event) (map[string]any, bool, string) {
	switch {
	case ev.Type == ingest.TypeAppEvent:
		var d ingest.AppEvent
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return nil, false, "app_event data is not valid: " + err.Error()
		}
		s := map[string]any{"name": pii.Text(d.Name)}
		for k, v := range map[string]string{"screen": d.Screen, "element": d.Element, "session_id": d.SessionID} {
			if v != "" {
				s[k] = pii.Text(v)
			}
		}
		if ev.DeviceID != "" {
			s["device_id"] = ev.DeviceID
		}
		return s, true, ""
	case ev.Type == ingest.TypeDeviceApps:
		var d ingest.DeviceApps
		if err := json.Unmarshal(ev.Data, &d); err != nil {
			return nil, false, "device_apps data is not valid: " + err.Error()
		}
		c := apps.Summarise(d.Packages)
		return map[string]any{"device_id": ev.DeviceID, "apps": c}, true, ""
	}
	return nil, false, ""
}

// List returns up to limit of a customer's indexed events in [from, to)
// (zero times are open ends), the most recent ones, oldest first.
func (j *Journey) List(ctx context.Context, customerID string, from, to time.Time, limit int) ([]JourneyEntry, error) {
	hi := to
	if hi.IsZero() {
		hi = store.EndOfTime
	}
	rows, err := j.db.Reader().QueryContext(ctx, `SELECT event_id, event_type, at, summary FROM event_journey
WHERE customer_id = $1 AND at >= $2 AND at < $3 ORDER BY at DESC, event_id DESC LIMIT $4`, customerID, store.Instant(from), store.Instant(hi), limit)
	if err != nil {
		return nil, fmt.Errorf("journey events of %s: %w", customerID, err)
	}
	defer rows.Close()
	var out []JourneyEntry
	for rows.Next() {
		var e JourneyEntry
		var summary string
		if err := rows.Scan(&e.ID, &e.Type, store.ScanInstant(&e.At), &summary); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(summary), &e.Summary); err != nil {
			return nil, fmt.Errorf("journey event %s: %w", e.ID, err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, k := 0, len(out)-1; i < k; i, k = i+1, k-1 {
		out[i], out[k] = out[k], out[i]
	}
	return out, nil
}
