package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
)

func quietServer(opts Options) *Server {
	opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	return New(opts)
}

func do(t *testing.T, h http.Handler, method, path, body string, hdr ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func decodeProblem(t *testing.T, rec *httptest.ResponseRecorder) Problem {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("Content-Type %q, want application/problem+json (body %s)", ct, rec.Body)
	}
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("problem body %q: %v", rec.Body, err)
	}
	return p
}

func TestErrorKindsMapToProblems(t *testing.T) {
	t.Parallel()
	cases := []struct {
		err        error
		status     int
		detail     string
		typeSuffix string
	}{
		{nirnay.FieldError("amount", "must be positive"), 400, "must be positive", "invalid-request"},
		{nirnay.Errorf(nirnay.KindUnauthenticated, "missing API key"), 401, "missing API key", "unauthenticated"},
		{nirnay.Errorf(nirnay.KindForbidden, "role ops may not"), 403, "role ops may not", "forbidden"},
		{fmt.Errorf("load: %w", nirnay.Errorf(nirnay.KindNotFound, "decision not found")), 404, "decision not found", "not-found"},
		{nirnay.Errorf(nirnay.KindConflict, "request_id reused"), 409, "request_id reused", "conflict"},
		{nirnay.Errorf(nirnay.KindTooLarge, "too big"), 413, "too big", "too-large"},
		{nirnay.Errorf(nirnay.KindUnprocessable, "no policy"), 422, "no policy", "unprocessable"},
		{nirnay.Errorf(nirnay.KindRateLimited, "slow down"), 429, "slow down", "rate-limited"},
		{fmt.Errorf("find: %w", &nirnay.Error{Kind: nirnay.KindUnavailable, Message: "the database is unavailable; retry shortly"}), 503, "the database is unavailable; retry shortly", "unavailable"},
		{fmt.Errorf("load key: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}), 503, "a service Nirnay depends on is unavailable; retry shortly", "unavailable"},
		{errors.New("pq: password authentication failed for user secret"), 500, "", "internal"},
	}
	for _, c := range cases {
		s := quietServer(Options{})
		s.Router().GET("/boom", func(ctx *gin.Context) { abort(ctx, c.err) })
		rec := do(t, s.Handler(), "GET", "/boom", "")
		p := decodeProblem(t, rec)
		if rec.Code != c.status || p.Status != c.status || !strings.HasSuffix(p.Type, "/"+c.typeSuffix) {
			t.Errorf("%v: got %d %+v; want status %d type …/%s", c.err, rec.Code, p, c.status, c.typeSuffix)
		}
		if c.status == 500 {
			if strings.Contains(rec.Body.String(), "password") {
				t.Errorf("internal error text leaked to the client: %s", rec.Body)
			}
		} else if p.Detail != c.detail {
			t.Errorf("%v: detail %q, want %q", c.err, p.Detail, c.detail)
		}
		if retry := rec.Header().Get("Retry-After"); (retry != "") != (c.status == 429 || c.status == 503) {
			t.Errorf("%v: Retry-After %q with status %d", c.err, retry, c.status)
		}
		if p.RequestID == "" || p.RequestID != rec.Header().Get(HeaderRequestID) {
			t.Errorf("problem request_id %q does not match header %q", p.RequestID, rec.Header().Get(HeaderRequestID))
		}
	}
}

func TestPanicsBecomeInternalProblems(t *testing.T) {
	t.Parallel()
	s := quietServer(Options{})
	s.Router().GET("/panic", func(*gin.Context) { panic("secret detail") })
	rec := do(t, s.Handler(), "GET", "/panic", "")
	if p := decodeProblem(t, rec); rec.Code != 500 || strings.Contains(rec.Body.String(), "secret") {
		t.Fatalf("got %d %+v; want a 500 without the panic text", rec.Code, p)
	}
}

func TestReadyzReportsEachCheck(t *testing.T) {
	t.Parallel()
	down := errors.New("dial tcp: connection refused")
	s := quietServer(Options{Checks: []Check{
		{Name: "database", Fn: func(context.Context) error { return nil }},
		{Name: "redis", Fn: func(context.Context) error { return down }},
	}})
	rec := do(t, s.Handler(), "GET", "/readyz", "")
	var got struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &got)
	if rec.Code != 503 || got.Checks["database"] != "ok" || got.Checks["redis"] != "unavailable" || strings.Contains(rec.Body.String(), "refused") {
		t.Fatalf("readyz: %d %s; want 503 naming redis unavailable without the error text", rec.Code, rec.Body)
	}
	if rec := do(t, s.Handler(), "GET", "/healthz", ""); rec.Code != 200 {
		t.Fatalf("healthz: %d, want 200", rec.Code)
	}
}

func TestRequestIDs(t *testing.T) {
	t.Parallel()
	s := quietServer(Options{})
	if rec := do(t, s.Handler(), "GET", "/healthz", "", HeaderRequestID, "client-42"); rec.Header().Get(HeaderRequestID) != "client-42" {
		t.Fatalf("client request id not echoed: %q", rec.Header().Get(HeaderRequestID))
	}
	a := do(t, s.Handler(), "GET", "/healthz", "").Header().Get(HeaderRequestID)
	b := do(t, s.Handler(), "GET", "/healthz", "", HeaderRequestID, "bad id with spaces").Header().Get(HeaderRequestID)
	if !strings.HasPrefix(a, "req_") || !strings.HasPrefix(b, "req_") || a == b {
		t.Fatalf("generated ids %q, %q; want distinct req_ ids", a, b)
	}
}

func TestBodyLimitAndUnknownRoutes(t *testing.T) {
	t.Parallel()
	s := quietServer(Options{MaxBodyBytes: 2048})
	s.Router().POST("/echo", func(c *gin.Context) {
		if _, err := io.ReadAll(c.Request.Body); err != nil {
			abort(c, nirnay.Errorf(nirnay.KindTooLarge, "too large"))
			return
		}
		c.Status(204)
	})
	if rec := do(t, s.Handler(), "POST", "/echo", strings.Repeat("x", 4096)); rec.Code != 413 {
		t.Fatalf("oversized body: %d, want 413", rec.Code)
	}
	if rec := do(t, s.Handler(), "POST", "/echo", "small"); rec.Code != 204 {
		t.Fatalf("small body: %d, want 204", rec.Code)
	}
	if rec := do(t, s.Handler(), "GET", "/nope", ""); rec.Code != 404 || decodeProblem(t, rec).Status != 404 {
		t.Fatalf("unknown route: %d", rec.Code)
	}
	if rec := do(t, s.Handler(), "DELETE", "/healthz", ""); rec.Code != 405 {
		t.Fatalf("wrong method: %d, want 405", rec.Code)
	}
	rec := do(t, s.Handler(), "GET", "/metrics", "")
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `nirnay_http_requests_total{method="POST",route="/echo",status="413"} 1`) {
		t.Fatalf("metrics do not count the 413: %d", rec.Code)
	}
}

// TestServerErrorsLogOneLine: a 5xx answer is one log line, at ERROR, with
// the request id and the error behind it (503s used to log two ERROR
// lines); a 4xx is one INFO line without the error.
func TestServerErrorsLogOneLine(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fail  func(*gin.Context)
		level string
		err   string
	}{
		{"unavailable", func(c *gin.Context) {
			abort(c, fmt.Errorf("read: %w", &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}))
		}, "ERROR", "connection refused"},
		{"internal", func(c *gin.Context) { abort(c, errors.New("disk on fire")) }, "ERROR", "disk on fire"},
		{"panic", func(*gin.Context) { panic("stack smashed") }, "ERROR", "stack smashed"},
		{"bad input", func(c *gin.Context) { abort(c, nirnay.FieldError("amount", "must be positive")) }, "INFO", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf strings.Builder
			s := New(Options{Logger: slog.New(slog.NewJSONHandler(&buf, nil))})
			s.Router().GET("/x", tt.fail)
			rec := do(t, s.Handler(), "GET", "/x", "")
			lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
			if len(lines) != 1 {
				t.Fatalf("%d log lines, want 1:\n%s", len(lines), buf.String())
			}
			var line map[string]any
			if err := json.Unmarshal([]byte(lines[0]), &line); err != nil {
				t.Fatal(err)
			}
			errText, _ := line["err"].(string)
			if line["level"] != tt.level || line["request_id"] != rec.Header().Get(HeaderRequestID) ||
				(tt.err == "") != (errText == "") || !strings.Contains(errText, tt.err) {
				t.Errorf("log line %v; want level %s, the request id and err containing %q", line, tt.level, tt.err)
			}
		})
	}
}
