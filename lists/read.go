package lists

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// queryer is what both *sql.DB and *sql.Tx offer.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// listColumns selects a List; $1 is now (store.Instant), so expired entries not
// yet closed are not counted.
const listColumns = `SELECT name, description, revision,
	entries - (SELECT COUNT(*) FROM list_entries e WHERE e.list_name = l.name AND e.removed_at IS NULL AND e.expires_at <= $1),
	created_at, created_by, updated_at, updated_by FROM lists l `

// scanner is what *sql.Row and *sql.Rows offer.
type scanner = store.Scanner

func scanList(sc scanner) (List, error) {
	var l List
	err := sc.Scan(&l.Name, &l.Description, &l.Revision, &l.Entries, store.ScanInstant(&l.CreatedAt), &l.CreatedBy, store.ScanInstant(&l.UpdatedAt), &l.UpdatedBy)
	return l, err
}

func get(ctx context.Context, q queryer, name string, now time.Time) (List, error) {
	l, err := scanList(q.QueryRowContext(ctx, listColumns+`WHERE name = $2`, store.Instant(now), name))
	if errors.Is(err, sql.ErrNoRows) {
		return List{}, notFound(name)
	}
	return l, store.Translate(err)
}

// Get returns the list name. Errors: KindInvalid for a bad name,
// KindNotFound.
func (s *Service) Get(ctx context.Context, name string) (List, error) {
	if err := CheckName(name); err != nil {
		return List{}, err
	}
	return get(ctx, s.db.Reader(), name, s.clock())
}

// Lists returns a page of lists in name order, from after cursor (the
// next cursor of the previous page, "" for the first), and the cursor of
// the next page ("" after the last). limit 0 means DefaultPageLimit.
// Errors: KindInvalid for a bad cursor or limit.
func (s *Service) Lists(ctx context.Context, cursor string, limit int) ([]List, string, error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, "", err
	}
	if cursor != "" && CheckName(cursor) != nil {
		return nil, "", nirnay.FieldError("cursor", "not a cursor from this endpoint")
	}
	rows, err := s.db.Reader().QueryContext(ctx, listColumns+`WHERE name > $2 ORDER BY name LIMIT $3`, store.Instant(s.clock()), cursor, limit+1)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	return store.ReadPage(rows, limit, scanList, func(l List) string { return l.Name })
}

// Entries returns a page of the values on the list name now, in value
// order, and the cursor of the next page ("" after the last). Errors:
// KindNotFound for an unknown list, KindInvalid for a bad cursor or limit.
func (s *Service) Entries(ctx context.Context, name, cursor string, limit int) ([]Entry, string, error) {
	limit, err := pageLimit(limit)
	if err != nil {
		return nil, "", err
	}
	after, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil || len(after) > MaxValueBytes {
		return nil, "", nirnay.FieldError("cursor", "not a cursor from this endpoint")
	}
	now := s.clock()
	if _, err := s.Get(ctx, name); err != nil {
		return nil, "", err
	}
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT value, reason, expires_at, added_at, added_by FROM list_entries
		WHERE list_name = $1 AND removed_at IS NULL AND (expires_at IS NULL OR expires_at > $2) AND value > $3
		ORDER BY value LIMIT $4`, name, store.Instant(now), string(after), limit+1)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	return store.ReadPage(rows, limit, scanEntry, func(e Entry) string { return base64.RawURLEncoding.EncodeToString([]byte(e.Value)) })
}

// scanEntry scans value, reason, expires_at, added_at and added_by.
func scanEntry(sc scanner) (Entry, error) {
	var e Entry
	if err := sc.Scan(&e.Value, &e.Reason, store.ScanNullInstant(&e.ExpiresAt), store.ScanInstant(&e.AddedAt), &e.AddedBy); err != nil {
		return Entry{}, err
	}
	return e, nil
}

func pageLimit(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultPageLimit, nil
	case limit < 0 || limit > MaxPageLimit:
		return 0, nirnay.FieldError("limit", "must be 1..%d", MaxPageLimit)
	}
	return limit, nil
}

// readOpen returns the open, unexpired entries of the list name: those of
// values, or every one when values is nil.
func readOpen(ctx context.Context, q queryer, d store.Dialect, name string, values []string, now time.Time) (map[string]open, error) {
	out := make(map[string]open, len(values))
	read := func(query string, args ...any) error {
		rows, err := q.QueryContext(ctx, query, args...)
		if err != nil {
			return store.Translate(err)
		}
		defer rows.Close()
		for rows.Next() {
			var v, reason string
			var exp *time.Time
			if err := rows.Scan(&v, &reason, store.ScanNullInstant(&exp)); err != nil {
				return err
			}
			out[v] = open{reason: reason, expires: micros(exp)}
		}
		return store.Translate(rows.Err())
	}
	const base = `SELECT value, reason, expires_at FROM list_entries
		WHERE list_name = $1 AND removed_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`
	if values == nil {
		return out, read(base, name, store.Instant(now))
	}
	vs := valueSet{d}
	for len(values) > 0 {
		n := min(len(values), vs.chunk())
		cond, in := vs.in("value", 3, values[:n])
		if err := read(base+` AND `+cond, append([]any{name, store.Instant(now)}, in...)...); err != nil {
			return nil, err
		}
		values = values[n:]
	}
	return out, nil
}
