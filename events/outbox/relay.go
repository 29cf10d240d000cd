// Package outbox relays the lending core's domain events from the
// transactional outbox table to the event stream, so they flow through the
// same consumers as ingested events (DESIGN §10, issue 7).
//
// The lending core writes an outbox row in the transaction of the change
// it announces. After that transaction commits, the writer calls
// Relay.Notify; the relay wakes at once, reads the unpublished rows in
// creation order, appends them to the stream and marks them published.
// There is no polling job: besides Notify, a slow safety timer (default
// 1 minute) catches rows whose notify was lost (a crash between commit and
// notify, another process writing the table).
//
// Delivery is at least once: a crash between the append and the mark
// publishes the rows again with the same event ids, which consumers skip.
package outbox

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/store"
)

// Appender puts messages on the stream durably; *stream.Redis and
// *stream.SQL satisfy it.
type Appender interface {
	Append(ctx context.Context, data [][]byte) ([]string, error)
}

// Defaults.
const (
	DefaultSafetyInterval = time.Minute
	BatchSize             = 500
)

// Relay moves outbox rows to the stream. Notify is safe for concurrent
// use; run one Run per process.
type Relay struct {
	db     *store.DB
	out    Appender
	log    *slog.Logger
	clock  func() time.Time
	wake   chan struct{}
	safety time.Duration
}

// New returns a relay from db's outbox to out. safety ≤ 0 takes
// DefaultSafetyInterval; clock nil is time.Now.
func New(db *store.DB, out Appender, logger *slog.Logger, safety time.Duration, clock func() time.Time) *Relay {
	if safety <= 0 {
		safety = DefaultSafetyInterval
	}
	if logger == nil {
		logger = slog.Default()
	}
	if clock == nil {
		clock = time.Now
	}
	return &Relay{db: db, out: out, log: logger, clock: clock, wake: make(chan struct{}, 1), safety: safety}
}

// Notify tells the relay that outbox rows were committed. It never blocks.
func (r *Relay) Notify() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

// Run relays until ctx ends: once at start, then on every Notify and every
// safety interval. It returns ctx's error.
func (r *Relay) Run(ctx context.Context) error {
	t := time.NewTicker(r.safety)
	defer t.Stop()
	for {
		for {
			n, err := r.Once(ctx)
			if err != nil {
				if ctx.Err() == nil {
					r.log.Warn("outbox relay failed; retrying at the next notify or safety tick", "err", err)
				}
				break
			}
			if n < BatchSize {
				break
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.wake:
		case <-t.C:
		}
	}
}

// Once relays up to BatchSize unpublished rows and returns how many.
func (r *Relay) Once(ctx context.Context) (int, error) {
	rows, err := r.db.Reader().QueryContext(ctx, `SELECT id, topic, key, payload, created_at FROM outbox
WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1`, BatchSize)
	if err != nil {
		return 0, fmt.Errorf("read outbox: %w", err)
	}
	var ids []string
	var msgs [][]byte
	for rows.Next() {
		var id, topic, key, payload string
		var created time.Time
		if err := rows.Scan(&id, &topic, &key, &payload, store.ScanInstant(&created)); err != nil {
			rows.Close()
			return 0, err
		}
		ev := Event(id, topic, key, payload, created, r.clock())
		b, err := json.Marshal(ev)
		if err != nil {
			rows.Close()
			return 0, err
		}
		ids = append(ids, id)
		msgs = append(msgs, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if _, err := r.out.Append(ctx, msgs); err != nil {
		return 0, err
	}
	now := store.Instant(r.clock())
	err = r.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, id := range ids {
			if _, err := tx.ExecContext(ctx, `UPDATE outbox SET published_at = $1 WHERE id = $2`, now, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("mark outbox rows published: %w", err)
	}
	return len(ids), nil
}

// topicTypes maps the lending core's outbox topics to event types; any
// other topic becomes a lending_event.
var topicTypes = map[string]string{
	"loan.application_created":        ingest.TypeApplicationCreated,
	"credit_line.application_created": ingest.TypeApplicationCreated,
	"loan.disbursed":                  ingest.TypeLoanDisbursed,
	"loan.payment_received":           ingest.TypePaymentReceived,
	"loan.dpd_changed":                ingest.TypeDPDChanged,
}

// TypeOf is the event type of an outbox topic: application_created,
// loan_disbursed, payment_received and dpd_changed for the topics that
// feed features (loan.application_created, credit_line.application_created,
// loan.disbursed, loan.payment_received, loan.dpd_changed; a topic that is
// already an event type stays one), lending_event for every other.
func TypeOf(topic string) string {
	if t, ok := topicTypes[topic]; ok {
		return t
	}
	if ingest.IsLending(topic) {
		return topic
	}
	return ingest.TypeLendingEvent
}

// Event turns an outbox row into an event envelope: the row id is the event
// id, TypeOf(topic) its type, the customer data.customer_id or else the key,
// the payload its data (with "topic" added for a lending_event). A row that
// does not make a valid event still goes on the stream; consumers
// dead-letter it with the reason.
func Event(id, topic, key, payload string, created, now time.Time) ingest.Event {
	ev := ingest.Event{ID: id, Type: TypeOf(topic), CustomerID: key, At: created, ReceivedAt: now.UTC()}
	var d map[string]any
	if json.Unmarshal([]byte(payload), &d) == nil && d != nil {
		if c, ok := d["customer_id"].(string); ok && c != "" {
			ev.CustomerID = c
		}
		ev.Data = json.RawMessage(payload)
		if ev.Type == ingest.TypeLendingEvent {
			d["topic"] = topic
			ev.Data, _ = json.Marshal(d)
		}
	} else {
		b, _ := json.Marshal(payload)
		ev.Data = b
	}
	return ev
}
