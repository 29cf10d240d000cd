package store

import (
	"database/sql"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/nirnay/nirnay"
)

// Translate maps driver errors to Nirnay's error kinds: no rows becomes
// KindNotFound and a unique-constraint violation KindConflict, on both
// backends. Other errors pass through unchanged (and so count as internal).
func Translate(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return &nirnay.Error{Kind: nirnay.KindNotFound, Message: "not found", Err: err}
	case isUniqueViolation(err):
		return &nirnay.Error{Kind: nirnay.KindConflict, Message: "already exists", Err: err}
	}
	return err
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

func isConflict(err error) bool { return nirnay.IsKind(err, nirnay.KindConflict) }

func notFound(what string) error {
	return nirnay.Errorf(nirnay.KindNotFound, "%s not found", what)
}
