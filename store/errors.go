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
	"github.com/nirnay/nirnay"
)

// Translate maps driver errors to Nirnay's error kinds: no rows becomes
// KindNotFound, a unique-constraint violation KindConflict, and a database
// that cannot be reached, is shutting down or stays locked past the busy
// timeout KindUnavailable (a client may retry), on both backends. Other
// errors pass through unchanged (and so count as internal).
func Translate(err error) error {
	switch {
	case err == nil:
		return nil
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
	switch {
	case errors.As(err, &connErr), errors.As(err, &netErr),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return true
	case errors.As(err, &pgErr):
		// Class 08: connection exceptions; 57P01-03: shutting down or starting up.
		return strings.HasPrefix(pgErr.Code, "08") || pgErr.Code == "57P01" || pgErr.Code == "57P02" || pgErr.Code == "57P03"
	}
	msg := err.Error()
	return strings.Contains(msg, "conn closed") || strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "database is locked")
}

func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505"
	}
	// modernc.org/sqlite reports SQLITE_CONSTRAINT_UNIQUE / PRIMARYKEY in the text.
	msg := err.Error()
	return strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "constraint failed: PRIMARY KEY")
}

func notFound(what string) error {
	return nirnay.Errorf(nirnay.KindNotFound, "%s not found", what)
}
