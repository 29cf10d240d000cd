package comms

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// MaxRecipients bounds a campaign's audience (413 beyond it).
const MaxRecipients = 5_000_000

// Audience is who a campaign reaches: customer ids (a CEL segment over
// features is to come).
type Audience struct {
	CustomerIDs []string `json:"customer_ids"`
	Segment     string   `json:"segment,omitempty"`
}

// CampaignRequest asks for a campaign: a template to an audience, at
// send_at (now when null), with the values of its input variables.
type CampaignRequest struct {
	Template string            `json:"template"`
	Audience Audience          `json:"audience"`
	SendAt   *time.Time        `json:"send_at"`
	Vars     map[string]string `json:"vars"`
}

// Campaign is a campaign and how far it has got.
type Campaign struct {
	ID         string         `json:"id"`
	Template   string         `json:"template"`
	Status     string         `json:"status"` // queued | running | done
	Recipients int            `json:"recipients"`
	SendAt     time.Time      `json:"send_at"`
	CreatedBy  string         `json:"created_by"`
	CreatedAt  time.Time      `json:"created_at"`
	Counts     map[string]int `json:"counts"`
}

// CreateCampaign snapshots the audience into one message per customer
// (each prepared as Send prepares one: suppressed, failed with its reason,
// deferred to quiet hours or to send_at, or queued), in transactions of
// 500, and the dispatchers of every instance send them. The campaign's
// recipients are fixed when it is created; each is reached at most once
// (messages_campaign_once). Errors: KindUnprocessable naming an unknown
// template or a segment (not available yet), KindInvalid for an empty
// audience or id, KindTooLarge beyond MaxRecipients.
func (s *Service) CreateCampaign(ctx context.Context, r CampaignRequest, by string) (*Campaign, error) {
	t, ok := s.tmpl.Get(r.Template)
	if !ok {
		return nil, &nirnay.Error{Kind: nirnay.KindUnprocessable, Field: "template", Message: fmt.Sprintf("no template %q", r.Template)}
	}
	if r.Audience.Segment != "" {
		return nil, &nirnay.Error{Kind: nirnay.KindUnprocessable, Field: "audience.segment", Message: "segments are not available yet: give audience.customer_ids"}
	}
	if len(r.Audience.CustomerIDs) > MaxRecipients {
		return nil, nirnay.Errorf(nirnay.KindTooLarge, "at most %d recipients in a campaign", MaxRecipients)
	}
	seen := make(map[string]bool, len(r.Audience.CustomerIDs))
	var ids []string
	for i, id := range r.Audience.CustomerIDs {
		if id == "" || len(id) > 128 {
			return nil, nirnay.FieldError(fmt.Sprintf("audience.customer_ids[%d]", i), "must be a customer id of 1 to 128 characters")
		}
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return nil, nirnay.FieldError("audience.customer_ids", "is empty")
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	c := &Campaign{ID: s.ids.New("cmp"), Template: t.ID, Recipients: len(ids), SendAt: now, CreatedBy: by, CreatedAt: now}
	if r.SendAt != nil && r.SendAt.After(now) {
		c.SendAt = r.SendAt.UTC().Truncate(time.Microsecond)
	}
	if _, err := s.db.Writer().ExecContext(ctx, `INSERT INTO campaigns (id, template, recipients, send_at, created_by, created_at)
VALUES ($1, $2, $3, $4, $5, $6)`, c.ID, c.Template, c.Recipients, store.Instant(c.SendAt), by, store.Instant(now)); err != nil {
		return nil, store.Translate(err)
	}
	for start := 0; start < len(ids); start += 500 {
		batch := ids[start:min(start+500, len(ids))]
		ms := make([]*Message, 0, len(batch))
		for _, id := range batch {
			m, err := s.prepare(ctx, t, id, r.Vars, c.ID, c.SendAt)
			if err != nil {
				return nil, err
			}
			ms = append(ms, m)
		}
		if err := s.db.InTx(ctx, func(tx *sql.Tx) error {
			for _, m := range ms {
				if err := insertMessageTx(ctx, tx, m); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return nil, err
		}
	}
	s.Notify()
	return s.Campaign(ctx, c.ID)
}

// Campaign returns a campaign with its counts: recipients, and its
// messages by status (queued counts the deferred too), and clicked (the
// recipients who opened a link of it). Status: queued before send_at with
// nothing sent, running while any message is yet to go, else done.
// KindNotFound when there is none.
func (s *Service) Campaign(ctx context.Context, id string) (*Campaign, error) {
	c := &Campaign{ID: id}
	err := s.db.Reader().QueryRowContext(ctx, `SELECT template, recipients, send_at, created_by, created_at FROM campaigns WHERE id = $1`, id).
		Scan(&c.Template, &c.Recipients, store.ScanInstant(&c.SendAt), &c.CreatedBy, store.ScanInstant(&c.CreatedAt))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nirnay.Errorf(nirnay.KindNotFound, "no campaign %s", id)
	}
	if err != nil {
		return nil, store.Translate(err)
	}
	c.Counts = map[string]int{"recipients": c.Recipients, "queued": 0, "deferred": 0, "sent": 0, "failed": 0, "suppressed": 0, "clicked": 0}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT status, COUNT(*) FROM messages WHERE campaign_id = $1 GROUP BY status`, id)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return nil, err
		}
		switch Status(st) {
		case Sending:
			c.Counts["queued"] += n
		default:
			c.Counts[st] += n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, store.Translate(err)
	}
	var clicked int
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT COUNT(DISTINCT c.customer_id) FROM link_clicks c JOIN links l ON l.token = c.token
WHERE l.campaign_id = $1`, id).Scan(&clicked); err != nil {
		return nil, store.Translate(err)
	}
	c.Counts["clicked"] = clicked
	pending := c.Counts["queued"] + c.Counts["deferred"]
	switch {
	case pending == 0:
		c.Status = "done"
	case c.Counts["sent"] == 0 && s.now().Before(c.SendAt):
		c.Status = "queued"
	default:
		c.Status = "running"
	}
	return c, nil
}
