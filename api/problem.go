package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail,omitempty"`
	Instance  string `json:"instance,omitempty"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// ProblemTypeBase prefixes every problem type; the kind completes it, so
// "https://nirnay.dev/problems/not-found" is stable for clients to match on.
const ProblemTypeBase = "https://nirnay.dev/problems/"

var kindStatus = map[nirnay.Kind]int{
	nirnay.KindInvalid:         http.StatusBadRequest,
	nirnay.KindUnauthenticated: http.StatusUnauthorized,
	nirnay.KindForbidden:       http.StatusForbidden,
	nirnay.KindNotFound:        http.StatusNotFound,
	nirnay.KindConflict:        http.StatusConflict,
	nirnay.KindTooLarge:        http.StatusRequestEntityTooLarge,
	nirnay.KindUnprocessable:   http.StatusUnprocessableEntity,
	nirnay.KindRateLimited:     http.StatusTooManyRequests,
	nirnay.KindUnavailable:     http.StatusServiceUnavailable,
	nirnay.KindInternal:        http.StatusInternalServerError,
}

// StatusOf maps an error kind to its HTTP status. This and ProblemFor are the
// only places that decide how an error looks to a client.
func StatusOf(k nirnay.Kind) int {
	if s, ok := kindStatus[k]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ProblemFor builds the problem body for err. Only the client-safe message of
// a *nirnay.Error is shown; an internal error's text never is.
func ProblemFor(err error) Problem {
	kind := nirnay.KindOf(err)
	status := StatusOf(kind)
	p := Problem{Type: ProblemTypeBase + string(kind), Title: http.StatusText(status), Status: status}
	var ne *nirnay.Error
	if kind != nirnay.KindInternal && errors.As(err, &ne) {
		p.Detail, p.Field = ne.Message, ne.Field
	}
	if kind == nirnay.KindInternal {
		p.Detail = "an internal error occurred; quote the request id when reporting it"
	}
	return p
}

// abort writes err as problem+json and stops the handler chain. The error
// of a 5xx answer is kept on the request, and the access log writes it in
// the request's one log line (with the request id). An error of no kind
// that says a server could not be reached is a 503; a 503 or 429 carries
// Retry-After: 1.
func abort(c *gin.Context, err error) {
	if nirnay.KindOf(err) == nirnay.KindInternal && store.IsUnavailable(err) {
		err = &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "a service Nirnay depends on is unavailable; retry shortly", Err: err}
	}
	if nirnay.KindOf(err) == nirnay.KindNotFound && principal(c).CustomerID != "" {
		// A customer-scoped token learns nothing from a 404: another
		// customer's object and one that does not exist read the same.
		err = nirnay.Errorf(nirnay.KindNotFound, "not found")
	}
	p := ProblemFor(err)
	p.Instance = c.Request.URL.Path
	p.RequestID = c.GetString(ctxRequestID)
	if p.Status >= 500 {
		c.Set(ctxErr, err)
	}
	if p.Status == http.StatusServiceUnavailable || p.Status == http.StatusTooManyRequests {
		c.Header("Retry-After", "1")
	}
	writeProblem(c, p)
}

// ctxErr holds the error behind a 5xx answer, for the access log.
const ctxErr = "nirnay.err"

func writeProblem(c *gin.Context, p Problem) {
	body, _ := json.Marshal(p)
	c.Abort()
	c.Data(p.Status, "application/problem+json", body)
}

func loggerFrom(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}
