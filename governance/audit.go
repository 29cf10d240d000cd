package governance

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// AuditEntry is one governance change. The log is append-only: entries are
// only ever inserted, in the same transaction as the change they record.
type AuditEntry struct {
	ID      string          `json:"id"` // time-ordered (ULID)
	At      time.Time       `json:"at"`
	Actor   Actor           `json:"actor"`
	Action  string          `json:"action"`  // seed, upload, submit, approve, reject, deploy, rollback; list.create, list.update, list.add, list.remove, list.import
	Subject string          `json:"subject"` // policy/<id>@<version>, deployment/<step> or list/<name>
	Before  json.RawMessage `json:"before"`  // null when there was nothing before
	After   json.RawMessage `json:"after"`
}

// AuditQuery selects audit entries, oldest first.
type AuditQuery struct {
	// Subject filters by subject: "policy/<id>@<version>",
	// "deployment/<step>", "list/<name>" (a managed list), or
	// "policy/<id>" for every version of a policy.
	Subject string
	Cursor  string // next_cursor of the previous page; "" for the first
	Limit   int    // default 100, at most 1000
}

// Audit limits.
const (
	DefaultAuditLimit = 100
	MaxAuditLimit     = 1000
)

func (s *Service) audit(ctx context.Context, tx *sql.Tx, at time.Time, actor Actor, action, subject string, before, after any) error {
	return WriteAudit(ctx, tx, s.ids.At("aud", at), at, actor, action, subject, before, after)
}

// WriteAudit appends one entry to the audit log inside tx, the transaction
// of the change it records, so the entry exists exactly when the change
// does. Other modules record their changes here too (managed lists, with
// subject "list/<name>"). id must be "aud_" followed by a ULID of at, so
// id order stays time order and the id works as a cursor; before and
// after are encoded as JSON (nil is stored as NULL).
func WriteAudit(ctx context.Context, tx *sql.Tx, id string, at time.Time, actor Actor, action, subject string, before, after any) error {
	enc := func(v any) any {
		if v == nil {
			return nil
		}
		return mustJSON(v)
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (id, at, actor_id, actor_name, action, subject, before_json, after_json)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		id, store.Instant(at), actor.ID, actor.Name, action, subject, enc(before), enc(after))
	return store.Translate(err)
}

// Audit returns a page of the audit log, oldest first, and the cursor of
// the next page ("" when this is the last). Errors: KindInvalid for a bad
// cursor or limit.
func (s *Service) Audit(ctx context.Context, q AuditQuery) ([]AuditEntry, string, error) {
	switch {
	case q.Limit == 0:
		q.Limit = DefaultAuditLimit
	case q.Limit < 0 || q.Limit > MaxAuditLimit:
		return nil, "", nirnay.FieldError("limit", "must be 1..%d", MaxAuditLimit)
	}
	if q.Cursor != "" && (!strings.HasPrefix(q.Cursor, "aud_") || len(q.Cursor) != 30) {
		return nil, "", nirnay.FieldError("cursor", "not a cursor from this endpoint")
	}
	var w store.Where
	w.Add("id > ?", q.Cursor)
	if rest, ok := strings.CutPrefix(q.Subject, "policy/"); ok && !strings.Contains(rest, "@") {
		// Every version of a policy. Policy ids hold only [a-z0-9-], so
		// the pattern has no wildcard of its own.
		w.Add("(subject = ? OR subject LIKE ?)", q.Subject, q.Subject+"@%")
	} else {
		w.Eq("subject", q.Subject)
	}
	query := `SELECT id, at, actor_id, actor_name, action, subject, before_json, after_json FROM audit_log` +
		w.String() + ` ORDER BY id LIMIT ` + w.Next()
	rows, err := s.db.Reader().QueryContext(ctx, query, append(w.Args, q.Limit+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	out := make([]AuditEntry, 0, min(q.Limit, 64))
	for rows.Next() {
		var (
			e             AuditEntry
			before, after *string
		)
		if err := rows.Scan(&e.ID, store.ScanInstant(&e.At), &e.Actor.ID, &e.Actor.Name, &e.Action, &e.Subject, &before, &after); err != nil {
			return nil, "", err
		}
		e.Before, e.After = rawJSON(before), rawJSON(after)
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > q.Limit {
		out = out[:q.Limit]
		next = out[len(out)-1].ID
	}
	return out, next, nil
}

func rawJSON(s *string) json.RawMessage {
	if s == nil {
		return json.RawMessage("null")
	}
	return json.RawMessage(*s)
}
