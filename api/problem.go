package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/lending/loans"
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

// stoppedProblem is the 422 answer when a decision stops a journey step
// (*loans.StoppedError): type .../decision-stopped, the problem fields, and
// the decision with its reasons.
type stoppedProblem struct {
	Problem
	Step       string         `json:"step"`
	Outcome    nirnay.Outcome `json:"outcome"`
	DecisionID string         `json:"decision_id"`
	Reasons    []string       `json:"reasons"`
	SubjectID  string         `json:"subject_id,omitempty"`
	CaseID     string         `json:"case_id,omitempty"`
}

// policyProblem is the 422 answer for a policy that does not parse or
// compile, or whose tests fail (*governance.InvalidError): the problem
// fields, the issues, and for a refused submit its test report.
type policyProblem struct {
	Problem
	Errors []governance.Issue     `json:"errors"`
	Tests  *governance.TestReport `json:"tests,omitempty"`
}

// testReportError is the error of a submit whose tests ran, with their
// report; when it wraps a *governance.InvalidError (a test failed, or there
// are none) the problem carries the report as "tests".
type testReportError struct {
	err    error
	report governance.TestReport
}

func (e *testReportError) Error() string { return e.err.Error() }
func (e *testReportError) Unwrap() error { return e.err }

// abort writes err as problem+json and stops the handler chain. It is the
// one way a handler answers an error. The error of a 5xx answer is kept on
// the request, and the access log writes it in the request's one log line
// (with the request id). An error of no kind that says a server could not
// be reached is a 503; a 503 or 429 carries Retry-After: 1.
//
// Two errors add members to the problem: a *loans.StoppedError (type
// .../decision-stopped with the decision, see stoppedProblem) and a
// *governance.InvalidError (its issues as "errors", and the test report of
// a refused submit, see policyProblem).
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
	writeProblem(c, p.Status, problemBody(p, err))
}

// problemBody is p with the members the kind of err adds (see abort).
func problemBody(p Problem, err error) any {
	var stop *loans.StoppedError
	var inv *governance.InvalidError
	switch {
	case errors.As(err, &stop):
		p.Type = ProblemTypeBase + "decision-stopped"
		return stoppedProblem{Problem: p, Step: stop.Step, Outcome: stop.Outcome, DecisionID: stop.DecisionID,
			Reasons: orEmpty(stop.Reasons), SubjectID: stop.SubjectID, CaseID: stop.CaseID}
	case errors.As(err, &inv):
		body := policyProblem{Problem: p, Errors: orEmpty(inv.Issues)}
		var tr *testReportError
		if errors.As(err, &tr) {
			body.Tests = &tr.report
		}
		return body
	}
	return p
}

// reply writes v as JSON with status, or err as a problem (abort) when it
// is not nil.
func reply(c *gin.Context, status int, v any, err error) {
	if err != nil {
		abort(c, err)
		return
	}
	c.JSON(status, v)
}

// replyIdempotent answers an idempotent write: v with status, or, for a
// repeat of an earlier request (replayed), v with 200 and
// Idempotent-Replayed: true; err as a problem (abort) when it is not nil.
func replyIdempotent(c *gin.Context, status int, v any, replayed bool, err error) {
	if err != nil {
		abort(c, err)
		return
	}
	if replayed {
		c.Header("Idempotent-Replayed", "true")
		status = http.StatusOK
	}
	c.JSON(status, v)
}

// methodNotAllowed answers a known path called with a method it does not
// take: 405, type .../method-not-allowed (no error kind stands for it).
func methodNotAllowed(c *gin.Context) {
	writeProblem(c, http.StatusMethodNotAllowed, Problem{Type: ProblemTypeBase + "method-not-allowed", Title: "Method Not Allowed",
		Status: http.StatusMethodNotAllowed, Instance: c.Request.URL.Path, RequestID: c.GetString(ctxRequestID)})
}

// ctxErr holds the error behind a 5xx answer, for the access log.
const ctxErr = "nirnay.err"

func writeProblem(c *gin.Context, status int, body any) {
	b, _ := json.Marshal(body)
	c.Abort()
	c.Data(status, "application/problem+json", b)
}
