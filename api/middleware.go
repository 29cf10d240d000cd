package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/ids"
)

const (
	ctxRequestID = "nirnay.request_id"
	ctxLogger    = "nirnay.logger"
	// HeaderRequestID carries the request id in and out. A client may send
	// its own (up to 128 printable characters); otherwise one is made.
	HeaderRequestID = "X-Request-Id"
)

// wallIDs mints the server's ids (req_, key_): the server has no clock of
// its own.
var wallIDs = ids.New(time.Now)

// requestID gives every request an id, echoes it in the response, and puts a
// logger carrying it on the context.
func (s *Server) requestID(c *gin.Context) {
	id := c.GetHeader(HeaderRequestID)
	if !validRequestID(id) {
		id = wallIDs.New("req")
	}
	c.Set(ctxRequestID, id)
	c.Set(ctxLogger, s.log.With("request_id", id))
	c.Header(HeaderRequestID, id)
	c.Next()
}

// loggerFrom is the request's logger (with its request id and, once
// authenticated, its key), or slog.Default outside a request.
func loggerFrom(c *gin.Context) *slog.Logger {
	if l, ok := c.Get(ctxLogger); ok {
		return l.(*slog.Logger)
	}
	return slog.Default()
}

func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if r < 0x21 || r > 0x7e {
			return false
		}
	}
	return true
}

// accessLog writes one structured line per request and records RED metrics.
// Query strings are left out of logs: they may carry customer identifiers.
func (s *Server) accessLog(c *gin.Context) {
	start := time.Now()
	c.Next()
	elapsed := time.Since(start)
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	status := c.Writer.Status()
	s.metrics.requests.WithLabelValues(c.Request.Method, route, strconv.Itoa(status)).Inc()
	s.metrics.duration.WithLabelValues(c.Request.Method, route).Observe(elapsed.Seconds())
	if route == "/metrics" || route == "/healthz" || route == "/readyz" {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", c.Request.Method),
		slog.String("route", route),
		slog.Int("status", status),
		slog.Int64("duration_us", elapsed.Microseconds()),
		slog.Int("bytes", c.Writer.Size()),
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
		if err, ok := c.Get(ctxErr); ok {
			attrs = append(attrs, slog.Any("err", err))
		}
	}
	loggerFrom(c).LogAttrs(c.Request.Context(), level, "http request", attrs...)
}

// recoverPanics turns a panic in a handler into a logged 500 problem.
func (s *Server) recoverPanics(c *gin.Context) {
	defer func() {
		if r := recover(); r != nil {
			if r == http.ErrAbortHandler {
				panic(r)
			}
			abort(c, fmt.Errorf("panic in handler: %v", r))
		}
	}()
	c.Next()
}

// limitBody caps every request body at the server's limit, or a route's
// own larger one (routeBodyLimit); reading past the limit fails, and
// bindJSON reports it as 413.
func (s *Server) limitBody(c *gin.Context) {
	limit := max(s.maxBody, s.routeLimits[c.FullPath()])
	if c.Request.ContentLength > limit {
		abort(c, nirnay.Errorf(nirnay.KindTooLarge, "request body is larger than %d bytes", limit))
		return
	}
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, limit)
	c.Next()
}

// routeBodyLimit lets the route (its full gin path) take bodies up to n
// bytes when that is above the server's limit. Call it while mounting,
// before serving.
func (s *Server) routeBodyLimit(route string, n int64) {
	if s.routeLimits == nil {
		s.routeLimits = map[string]int64{}
	}
	s.routeLimits[route] = n
}
