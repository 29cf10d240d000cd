package comms

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"time"

	"github.com/nirnay/nirnay/store"
)

// The messages table (comms.messages on PostgreSQL, migration 23).

const messageCols = `id, customer_id, request_id, campaign_id, template, channel, category, language, text, segments, status, reason,
attempts, send_at, sent_at, provider, created_at`

func nullable(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func insertMessage(ctx context.Context, db *store.DB, m *Message) error {
	return insertMessageTx(ctx, db.Writer(), m)
}

// execer is a *sql.DB or *sql.Tx.
type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertMessageTx(ctx context.Context, db execer, m *Message) error {
	_, err := db.ExecContext(ctx, `INSERT INTO messages (`+messageCols+`, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $17)`,
		m.ID, m.CustomerID, nullable(m.RequestID), nullable(m.CampaignID), m.Template, string(m.Channel), string(m.Category), m.Language,
		m.Text, m.Segments, string(m.Status), nullable(m.Reason), m.Attempts, store.Instant(m.SendAt), store.NullInstant(m.SentAt),
		nullable(m.Provider), store.Instant(m.CreatedAt))
	return store.Translate(err)
}

func scanMessage(r store.Scanner) (*Message, error) {
	var (
		m                        Message
		req, campaign, reason, p sql.NullString
		channel, category, st    string
	)
	if err := r.Scan(&m.ID, &m.CustomerID, &req, &campaign, &m.Template, &channel, &category, &m.Language, &m.Text, &m.Segments, &st,
		&reason, &m.Attempts, store.ScanInstant(&m.SendAt), store.ScanNullInstant(&m.SentAt), &p, store.ScanInstant(&m.CreatedAt)); err != nil {
		return nil, err
	}
	m.RequestID, m.CampaignID, m.Reason, m.Provider = req.String, campaign.String, reason.String, p.String
	m.Channel, m.Category, m.Status = channelOf(channel), categoryOf(category), Status(st)
	return &m, nil
}

func (s *Service) byRequest(ctx context.Context, customerID, requestID string) (*Message, error) {
	m, err := scanMessage(s.db.Reader().QueryRowContext(ctx, `SELECT `+messageCols+` FROM messages WHERE customer_id = $1 AND request_id = $2`,
		customerID, requestID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return m, store.Translate(err)
}

// List returns the customer's messages in [from, to) (zero: open), the
// most recent limit, oldest first.
func (s *Service) List(ctx context.Context, customerID string, from, to time.Time, limit int) ([]*Message, error) {
	w := store.Where{}
	w.Add("customer_id = ?", customerID)
	if !from.IsZero() {
		w.Add("created_at >= ?", store.Instant(from))
	}
	if !to.IsZero() {
		w.Add("created_at < ?", store.Instant(to))
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT `+messageCols+` FROM messages`+w.String()+
		` ORDER BY created_at DESC, id DESC LIMIT `+strconv.Itoa(limit), w.Args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []*Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append([]*Message{m}, out...)
	}
	return out, store.Translate(rows.Err())
}

// claim takes up to n due messages for this dispatcher: queued or
// deferred ones whose time has come, and those whose claim expired. The
// status is checked again on each row as it is updated, so of two
// dispatchers racing for a row one gets it.
func (s *Service) claim(ctx context.Context, n int) ([]*Message, error) {
	now := s.now().UTC()
	rows, err := s.db.Writer().QueryContext(ctx, `UPDATE messages SET status = 'sending', claimed_until = $1, attempts = attempts + 1, updated_at = $2
WHERE id IN (SELECT id FROM messages WHERE send_at <= $2 AND (status IN ('queued', 'deferred') OR (status = 'sending' AND claimed_until < $2))
             ORDER BY send_at LIMIT `+strconv.Itoa(n)+`)
  AND send_at <= $2 AND (status IN ('queued', 'deferred') OR (status = 'sending' AND claimed_until < $2))
RETURNING `+messageCols, store.Instant(now.Add(claimFor)), store.Instant(now))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []*Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, store.Translate(rows.Err())
}

func (s *Service) markSent(ctx context.Context, m *Message, ref string) error {
	now := s.now().UTC()
	_, err := s.db.Writer().ExecContext(ctx, `UPDATE messages SET status = 'sent', sent_at = $2, provider = $3, provider_ref = $4,
claimed_until = NULL, updated_at = $2 WHERE id = $1 AND status = 'sending'`, m.ID, store.Instant(now), s.provider.Name(), nullable(ref))
	return store.Translate(err)
}

// retryLater puts a message the provider refused back in the queue, after
// 2^attempts seconds (at most 5 minutes), or fails it after MaxAttempts.
func (s *Service) retryLater(ctx context.Context, m *Message) error {
	now := s.now().UTC()
	if m.Attempts >= s.attempts {
		_, err := s.db.Writer().ExecContext(ctx, `UPDATE messages SET status = 'failed', reason = 'provider_refused', claimed_until = NULL,
updated_at = $2 WHERE id = $1 AND status = 'sending'`, m.ID, store.Instant(now))
		return store.Translate(err)
	}
	wait := min(time.Duration(1<<m.Attempts)*time.Second, 5*time.Minute)
	_, err := s.db.Writer().ExecContext(ctx, `UPDATE messages SET status = 'queued', send_at = $2, claimed_until = NULL, updated_at = $3
WHERE id = $1 AND status = 'sending'`, m.ID, store.Instant(now.Add(wait)), store.Instant(now))
	return store.Translate(err)
}
