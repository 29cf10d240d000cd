package store

import (
	"database/sql"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Scanner is a row to scan: *sql.Row or *sql.Rows.
type Scanner interface{ Scan(dest ...any) error }

// ReadPage scans rows, a query for up to limit+1 rows, and closes them: it
// returns the first limit and, when there were more, the next page's
// cursor (cursor of the last one returned; "" after the last page).
func ReadPage[T any](rows *sql.Rows, limit int, scan func(Scanner) (T, error), cursor func(T) string) ([]T, string, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
	}
	if err := rows.Err(); err != nil {
		return nil, "", Translate(err)
	}
	next := ""
	if len(out) > limit {
		out = out[:limit]
		next = cursor(out[limit-1])
	}
	return out, next, nil
}

// TimeCursor is the opaque cursor of a page ordered by (time, id): the
// microsecond of at and id, URL-safe.
func TimeCursor(at time.Time, id string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(at.UnixMicro(), 10) + "|" + id))
}

// ParseTimeCursor reads a TimeCursor back; an id must start with idPrefix.
func ParseTimeCursor(c, idPrefix string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return time.Time{}, "", err
	}
	at, id, ok := strings.Cut(string(b), "|")
	if !ok || !strings.HasPrefix(id, idPrefix) {
		return time.Time{}, "", errors.New("bad cursor")
	}
	n, err := strconv.ParseInt(at, 10, 64)
	return time.UnixMicro(n).UTC(), id, err
}
