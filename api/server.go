// Package api is Nirnay's HTTP surface: the gin router, middleware (request
// ids, structured access logs, body limits, panic recovery), health and
// metrics endpoints, and the one mapping from error kinds to problem+json.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/nirnay/nirnay"
)

// Check is a named readiness probe; it returns nil when the dependency is usable.
type Check struct {
	Name string
	Fn   func(ctx context.Context) error
}

// Options configures a Server. Zero values take the documented defaults.
type Options struct {
	Logger       *slog.Logger // default slog.Default()
	Checks       []Check      // readiness probes shown in /readyz
	MaxBodyBytes int64        // default 1 MiB
	Version      string
	Keys         KeyLookup // API keys; without it every /v1 call is 503
	RateLimit    float64   // requests per second per API key; default 5000, negative = unlimited
	RateBurst    int       // burst per API key; default 2 × RateLimit
}

// Server holds the router and what the handlers share. Build it with New;
// it is safe for concurrent use.
type Server struct {
	log     *slog.Logger
	checks  []Check
	maxBody int64
	version string
	router  *gin.Engine
	reg     *prometheus.Registry
	metrics *httpMetrics

	keys        KeyLookup
	keyCache    *keyCache
	routeLimits map[string]int64 // body limits above maxBody by route; set while mounting
	v1          *gin.RouterGroup // authenticated routes
	journey     []JourneySource
}

type httpMetrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

// DefaultMaxBodyBytes is the request body limit when Options leaves it zero.
const DefaultMaxBodyBytes = 1 << 20

// New builds a Server with the health, readiness and metrics routes.
func New(opts Options) *Server {
	gin.SetMode(gin.ReleaseMode)
	s := &Server{log: opts.Logger, checks: opts.Checks, maxBody: opts.MaxBodyBytes, version: opts.Version, keys: opts.Keys}
	if opts.RateLimit == 0 {
		opts.RateLimit = 5000
	}
	if opts.RateBurst <= 0 {
		opts.RateBurst = int(2 * max(opts.RateLimit, 1))
	}
	s.keyCache = newKeyCache(opts.RateLimit, opts.RateBurst)
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.maxBody <= 0 {
		s.maxBody = DefaultMaxBodyBytes
	}
	s.reg = prometheus.NewRegistry()
	s.reg.MustRegister(collectors.NewGoCollector(collectors.WithGoCollectorRuntimeMetrics(collectors.GoRuntimeMetricsRule{Matcher: regexp.MustCompile(`^/sched/latencies:seconds$|^/gc/pauses:seconds$`)})), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s.metrics = &httpMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nirnay_http_requests_total", Help: "HTTP requests by method, route and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nirnay_http_request_duration_seconds", Help: "HTTP request latency by method and route.",
			Buckets: []float64{.0001, .00025, .0005, .001, .002, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
		}, []string{"method", "route"}),
	}
	s.reg.MustRegister(s.metrics.requests, s.metrics.duration)

	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(s.requestID, s.accessLog, s.recoverPanics, s.limitBody)
	r.NoRoute(func(c *gin.Context) { abort(c, nirnay.Errorf(nirnay.KindNotFound, "no such endpoint")) })
	r.NoMethod(methodNotAllowed)
	r.GET("/healthz", s.healthz)
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", gin.WrapH(promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{Registry: s.reg})))
	s.router = r
	s.v1 = r.Group("/v1", s.authenticate, checkQuery)
	return s
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.router }

// Router exposes the gin engine so other parts of the service can mount
// their routes on the same middleware.
func (s *Server) Router() *gin.Engine { return s.router }

// V1 is the authenticated /v1 route group other parts of the service mount on.
func (s *Server) V1() *gin.RouterGroup { return s.v1 }

// Registry is the Prometheus registry served at /metrics.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

func (s *Server) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok", "version": s.version})
}

// readyz runs every check with a short deadline; any failure gives 503 with
// the failing check named (its error text is logged, not returned).
func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 2*time.Second)
	defer cancel()
	status := http.StatusOK
	checks := make(map[string]string, len(s.checks))
	for _, ch := range s.checks {
		if err := ch.Fn(ctx); err != nil {
			status = http.StatusServiceUnavailable
			checks[ch.Name] = "unavailable"
			loggerFrom(c).Warn("readiness check failed", "check", ch.Name, "err", err)
			continue
		}
		checks[ch.Name] = "ok"
	}
	state := "ok"
	if status != http.StatusOK {
		state = "unavailable"
	}
	c.JSON(status, gin.H{"status": state, "checks": checks})
}
