package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/nirnay/nirnay"
)

// Translate maps driver errors to Nirnay's error kinds: no rows becomes
// KindNotFound, a unique-constraint violation KindConflict, a broken
// foreign key KindConflict and a broken CHECK or NOT NULL constraint
// KindUnprocessable (both with a *Violation naming the constraint, and the
// rule in words, in the message), and a database that cannot be reached, is
// shutting down or stays locked past the busy timeout KindUnavailable (a
// client may retry), on both backends. Other errors pass through unchanged
// (and so count as internal).
func Translate(err error) error {
	if err == nil {
		return nil
	}
	if v := violation(err); v != nil {
		return v
	}
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return &nirnay.Error{Kind: nirnay.KindNotFound, Message: "not found", Err: err}
	case isUniqueViolation(err):
		return &nirnay.Error{Kind: nirnay.KindConflict, Message: "already exists", Err: err}
	case IsUnavailable(err):
		return &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "the database is unavailable; retry shortly", Err: err}
	}
	return err
}

// IsUnavailable reports whether err means a server (the database, or any
// other reached over the network) could not be reached or could not serve
// the request now, rather than that the request was wrong.
func IsUnavailable(err error) bool {
	var connErr *pgconn.ConnectError
	var netErr net.Error
	var pgErr *pgconn.PgError
	var liteErr *sqlite.Error
	switch {
	case errors.As(err, &liteErr):
		// SQLITE_BUSY and SQLITE_LOCKED, with their extended codes: the file
		// stayed locked past the busy timeout.
		primary := liteErr.Code() & 0xff
		return primary == sqlite3.SQLITE_BUSY || primary == sqlite3.SQLITE_LOCKED
	case errors.As(err, &connErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exceptions; 57P01-03: shutting down or starting up.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	// pgx reports a connection closed under it only in the text.
	return strings.Contains(err.Error(), "conn closed")
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

func notFound(what string) error {
	return nirnay.Errorf(nirnay.KindNotFound, "%s not found", what)
}
