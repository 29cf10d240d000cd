// Package nirnay holds the vocabulary every layer of Nirnay shares: the
// one set of error kinds (this file), and the outcomes, policy roles and
// offers of a decision (decision.go).
//
// Lower layers wrap their failures in an *Error with a Kind and a message that
// is safe to show a client; the api package maps kinds to HTTP statuses in one
// place. Errors without a Kind are internal: their text never reaches a client.
package nirnay

import (
	"errors"
	"fmt"
)

// Kind classifies an error for callers and for the HTTP mapping.
type Kind string

// The error kinds. Their string values are part of problem+json "type" URIs.
const (
	KindInvalid         Kind = "invalid-request" // malformed input (400)
	KindUnauthenticated Kind = "unauthenticated" // missing or unknown credentials (401)
	KindForbidden       Kind = "forbidden"       // authenticated but not allowed (403)
	KindNotFound        Kind = "not-found"       // no such object, or not visible to the caller (404)
	KindConflict        Kind = "conflict"        // state or idempotency conflict (409)
	KindTooLarge        Kind = "too-large"       // request body over the limit (413)
	KindUnprocessable   Kind = "unprocessable"   // valid input that cannot be acted on (422)
	KindRateLimited     Kind = "rate-limited"    // too many requests (429)
	KindUnavailable     Kind = "unavailable"     // a dependency is down (503)
	KindInternal        Kind = "internal"        // anything else (500); message never shown
)

// Error is an error with a kind and a client-safe message.
type Error struct {
	Kind    Kind
	Message string // safe to show a client
	Field   string // optional: the input field at fault
	Err     error  // optional: the underlying cause, never shown to a client
}

func (e *Error) Error() string {
	msg := e.Message
	if e.Field != "" {
		msg = e.Field + ": " + msg
	}
	if e.Err != nil {
		return msg + ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error of the given kind with a formatted, client-safe message.
func Errorf(kind Kind, format string, args ...any) *Error {
	return &Error{Kind: kind, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns a KindInvalid error naming the field at fault.
func FieldError(field, format string, args ...any) *Error {
	return &Error{Kind: KindInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// KindOf reports the kind of err: the Kind of the first *Error in its chain,
// or KindInternal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsKind reports whether err has the given kind.
func IsKind(err error, k Kind) bool { return err != nil && KindOf(err) == k }
