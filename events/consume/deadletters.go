package consume

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/pii"
	"github.com/nirnay/nirnay/store"
)

// DeadLetters is the dead-letter store in the SQL database
// (event_dead_letters). What it keeps and lists holds no personal data
// whole: the reason is masked by value and the event by key and by value
// (package pii) before they are written, and again when listed (so rows
// written before a masking rule existed list masked too). Refused events
// are kept for diagnosis, not replay. Safe for concurrent use.
type DeadLetters struct {
	db    *store.DB
	clock func() time.Time
}

// NewDeadLetters returns the store; clock nil is time.Now.
func NewDeadLetters(db *store.DB, clock func() time.Time) *DeadLetters {
	if clock == nil {
		clock = time.Now
	}
	return &DeadLetters{db: db, clock: clock}
}

// DeadLetter is one refused event as listed.
type DeadLetter struct {
	ID         string          `json:"id"`
	EventID    string          `json:"event_id"`
	Consumer   string          `json:"consumer"` // "ingest" or the consumer group
	Type       string          `json:"type"`
	CustomerID string          `json:"customer_id"`
	Reason     string          `json:"reason"`
	Event      json.RawMessage `json:"event"`
	CreatedAt  time.Time       `json:"created_at"`
}

// MaxDeadLetterPage bounds one page of List.
const MaxDeadLetterPage = 500

// Add records refused events of consumer; an event already recorded for
// that consumer is kept as first recorded.
func (d *DeadLetters) Add(ctx context.Context, consumer string, rs []Refusal) error {
	now := store.Instant(d.clock())
	return d.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, r := range rs {
			payload, err := json.Marshal(r.Event)
			if err != nil {
				return err
			}
			payload = pii.MaskJSON(payload)
			reason := r.Reason
			if len(reason) > 1000 {
				reason = reason[:1000]
			}
			reason = pii.Text(reason)
			if _, err := tx.ExecContext(ctx, `INSERT INTO event_dead_letters (id, event_id, consumer, event_type, customer_id, reason, payload, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
				consumer+"/"+r.Event.ID, r.Event.ID, consumer, r.Event.Type, r.Event.CustomerID, reason, string(payload), now); err != nil {
				return fmt.Errorf("record dead letter %s: %w", r.Event.ID, err)
			}
		}
		return nil
	})
}

// AddRefused records events refused at ingest (consumer "ingest").
func (d *DeadLetters) AddRefused(ctx context.Context, rs []ingest.Refused) error {
	out := make([]Refusal, len(rs))
	for i, r := range rs {
		ev := r.Event
		if ev.ID == "" || len(ev.ID) > ingest.MaxIDLength {
			ev.ID = fmt.Sprintf("noid-%d-%d", d.clock().UnixNano(), i)
		}
		out[i] = Refusal{Event: ev, Reason: r.Reason}
	}
	return d.Add(ctx, "ingest", out)
}

// List returns up to limit dead letters, newest first, after cursor (""
// for the first page), and the cursor of the next page ("" when none).
// A malformed cursor is KindInvalid.
func (d *DeadLetters) List(ctx context.Context, cursor string, limit int) ([]DeadLetter, string, error) {
	if limit <= 0 || limit > MaxDeadLetterPage {
		limit = MaxDeadLetterPage
	}
	// The first page: every row is before EndOfTime, so the id tie-break
	// never applies (and the id must be valid UTF-8 for PostgreSQL).
	at, id := store.EndOfTime.UnixMicro(), ""
	if cursor != "" {
		raw, err := base64.RawURLEncoding.DecodeString(cursor)
		parts := strings.SplitN(string(raw), "|", 2)
		if err != nil || len(parts) != 2 {
			return nil, "", nirnay.FieldError("cursor", "is not a cursor this endpoint returned")
		}
		if at, err = strconv.ParseInt(parts[0], 10, 64); err != nil {
			return nil, "", nirnay.FieldError("cursor", "is not a cursor this endpoint returned")
		}
		id = parts[1]
	}
	rows, err := d.db.Reader().QueryContext(ctx, `SELECT id, event_id, consumer, event_type, customer_id, reason, payload, created_at
FROM event_dead_letters WHERE created_at < $1 OR (created_at = $1 AND id < $2)
ORDER BY created_at DESC, id DESC LIMIT $3`, store.Instant(time.UnixMicro(at)), id, limit+1)
	if err != nil {
		return nil, "", fmt.Errorf("list dead letters: %w", err)
	}
	defer rows.Close()
	var out []DeadLetter
	for rows.Next() {
		var dl DeadLetter
		var payload string
		if err := rows.Scan(&dl.ID, &dl.EventID, &dl.Consumer, &dl.Type, &dl.CustomerID, &dl.Reason, &payload, store.ScanInstant(&dl.CreatedAt)); err != nil {
			return nil, "", err
		}
		dl.Reason = pii.Text(dl.Reason)
		dl.Event = json.RawMessage(pii.MaskJSON([]byte(payload)))
		out = append(out, dl)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		last := out[limit-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(last.CreatedAt.UnixMicro(), 10) + "|" + last.ID))
	}
	return out, next, nil
}
