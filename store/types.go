package store

import (
	"database/sql"
	"database/sql/driver"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Column types by dialect (migration 00015). An instant is timestamptz on
// PostgreSQL and BIGINT unix microseconds on SQLite (whole seconds in
// feature_aggregates.expires_at, feature_events_seen.expires_at and
// event_sms_signals.at); a business date is date on PostgreSQL and TEXT
// YYYY-MM-DD on SQLite; a JSON document is jsonb on PostgreSQL and TEXT on
// SQLite. The same SQL serves both:
//
//   - an instant parameter is Instant(t) (Seconds(t) for the columns in
//     whole seconds), a nullable one NullInstant(p); it binds as
//     timestamptz through pgx and as an integer through the SQLite driver,
//     whichever the connection is;
//   - an instant column is scanned into ScanInstant(&t), ScanNullInstant(&p)
//     or ScanSeconds(&t), which accept either form;
//   - a date parameter is its YYYY-MM-DD text (PostgreSQL reads the text as
//     a date); a date column is scanned into ScanDate(&s);
//   - a JSON parameter is its text (string or []byte) and a JSON column is
//     scanned into a string or []byte. jsonb keeps the document's meaning,
//     not its bytes (keys reordered, whitespace dropped): a document whose
//     exact bytes matter stays TEXT on PostgreSQL too.

// EndOfTime is an instant after every stored one, for an open upper bound
// (at < $n). It is within timestamptz's range; the zero time.Time, before
// every stored instant, is the open lower bound.
var EndOfTime = time.UnixMicro(1 << 62).UTC()

// instant is an instant as a statement parameter, in unit (time.Microsecond
// or time.Second) where the column is an integer.
type instant struct {
	t    time.Time
	unit time.Duration
}

// Instant returns t as the parameter for an instant column, truncated to
// the microsecond (what both dialects keep).
func Instant(t time.Time) any { return instant{t.Truncate(time.Microsecond), time.Microsecond} }

// NullInstant is Instant for a nullable column: nil gives NULL.
func NullInstant(t *time.Time) any {
	if t == nil {
		return nil
	}
	return Instant(*t)
}

// Seconds returns t, truncated to the second, as the parameter for an
// instant column that SQLite keeps in unix seconds.
func Seconds(t time.Time) any { return instant{t.Truncate(time.Second), time.Second} }

// Value is the integer form, for the SQLite driver (through database/sql).
func (i instant) Value() (driver.Value, error) {
	if i.unit == time.Second {
		return i.t.Unix(), nil
	}
	return i.t.UnixMicro(), nil
}

// TimestamptzValue is the timestamptz form, which pgx prefers for a
// timestamptz parameter. (For an integer parameter pgx falls back to Value.)
func (i instant) TimestamptzValue() (pgtype.Timestamptz, error) {
	return pgtype.Timestamptz{Time: i.t, Valid: true}, nil
}

// scanInstant scans an instant column: a time.Time (PostgreSQL) or an
// integer in unit (SQLite), into *dst, or into *null when that is set.
type scanInstant struct {
	dst  *time.Time
	null **time.Time
	unit time.Duration
}

// ScanInstant returns the scan destination for an instant column, stored
// into *t in UTC. NULL is an error.
func ScanInstant(t *time.Time) sql.Scanner { return scanInstant{dst: t, unit: time.Microsecond} }

// ScanNullInstant returns the scan destination for a nullable instant
// column: *t is nil for NULL, else the instant in UTC.
func ScanNullInstant(t **time.Time) sql.Scanner {
	return scanInstant{null: t, unit: time.Microsecond}
}

// ScanSeconds is ScanInstant for an instant column that SQLite keeps in
// unix seconds.
func ScanSeconds(t *time.Time) sql.Scanner { return scanInstant{dst: t, unit: time.Second} }

func (s scanInstant) Scan(src any) error {
	var t time.Time
	switch v := src.(type) {
	case nil:
		if s.null == nil {
			return fmt.Errorf("scan instant: NULL")
		}
		*s.null = nil
		return nil
	case time.Time:
		t = v.UTC()
	case int64:
		if s.unit == time.Second {
			t = time.Unix(v, 0).UTC()
		} else {
			t = time.UnixMicro(v).UTC()
		}
	default:
		return fmt.Errorf("scan instant: unsupported %T", src)
	}
	if s.null != nil {
		*s.null = &t
	} else {
		*s.dst = t
	}
	return nil
}

// scanDate scans a business date column: a time.Time (PostgreSQL date) or
// its text (SQLite) into *dst as YYYY-MM-DD; NULL is "".
type scanDate struct{ dst *string }

// ScanDate returns the scan destination for a date column, stored into *s
// as YYYY-MM-DD ("" for NULL).
func ScanDate(s *string) sql.Scanner { return scanDate{s} }

func (s scanDate) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.dst = ""
	case time.Time:
		// A PostgreSQL date arrives as midnight UTC of its day, whatever
		// the session's time zone.
		*s.dst = v.Format(time.DateOnly)
	case string:
		*s.dst = v
	case []byte:
		*s.dst = string(v)
	default:
		return fmt.Errorf("scan date: unsupported %T", src)
	}
	return nil
}
