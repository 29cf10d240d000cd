package store

import (
	"database/sql"
	"fmt"
	"time"
)

// Instant is t as a query argument for a column of instants: a time.Time
// for PostgreSQL's timestamptz, unix microseconds for SQLite's BIGINT.
// Either way the database keeps microseconds (finer digits are dropped).
func (db *DB) Instant(t time.Time) any {
	if db.Dialect == Postgres {
		return t.UTC()
	}
	return t.UnixMicro()
}

// ScanInstant is a Scan destination for a column of instants of either
// dialect (timestamptz, or unix microseconds): it sets *t to the instant
// in UTC, or to the zero time for NULL.
func ScanInstant(t *time.Time) sql.Scanner { return instantDest{t} }

type instantDest struct{ t *time.Time }

func (d instantDest) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*d.t = time.Time{}
	case time.Time:
		*d.t = v.UTC()
	case int64:
		*d.t = time.UnixMicro(v).UTC()
	default:
		return fmt.Errorf("store: scan an instant from %T", src)
	}
	return nil
}
