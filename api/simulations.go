package api

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/simulator/jobs"
	"github.com/nirnay/nirnay/simulator/live"
)

// SimulationJobs runs simulations in the background; *jobs.Manager
// satisfies it.
type SimulationJobs interface {
	Start(spec jobs.Spec, createdBy string) (jobs.Job, error)
	Get(id string) (jobs.Job, error)
	List() []jobs.Job
	Cancel(id string) (jobs.Job, error)
	ReadReport(id, name string) ([]byte, error)
}

// CompareLive is the champion/challenger analysis of live traffic;
// live.Comparer(log, db) gives one.
type CompareLive func(ctx context.Context, o live.CompareOptions) (*live.Comparison, error)

type simulationRequest struct {
	Baseline  string       `json:"baseline"`
	Candidate string       `json:"candidate"`
	Dataset   jobs.Dataset `json:"dataset"`
}

// MountSimulations adds the simulation routes (analyst; admin passes):
//
//	POST /v1/simulations                          start one: 202 {"id", "status": "queued", …}
//	GET  /v1/simulations                          {"items": [...]}, newest first
//	GET  /v1/simulations/champion-challenger?step=&from=&to=[&bad_dpd=&mature_days=]
//	GET  /v1/simulations/{id}                     status, progress, error, summary
//	GET  /v1/simulations/{id}/report              report.json; report.html with Accept: text/html
//	                                              or ?format=html; timing.json with ?format=timing
//	POST /v1/simulations/{id}/cancel              stop a queued or running one
//
// compare may be nil, which leaves the champion-challenger route out.
func (s *Server) MountSimulations(sims SimulationJobs, compare CompareLive) {
	h := &simulationHandlers{sims: sims, compare: compare}
	g := s.v1.Group("/simulations", allow(RoleAnalyst))
	g.POST("", h.start)
	g.GET("", h.list)
	if compare != nil {
		g.GET("/champion-challenger", h.championChallenger)
	}
	g.GET("/:id", h.get)
	g.GET("/:id/report", h.report)
	g.POST("/:id/cancel", h.cancel)
}

type simulationHandlers struct {
	sims    SimulationJobs
	compare CompareLive
}

func (h *simulationHandlers) start(c *gin.Context) {
	var req simulationRequest
	if err := bindJSON(c, &req); err != nil {
		abort(c, err)
		return
	}
	if r := req.Dataset.DecisionLog; r != nil && r.Step != "" && !slices.Contains(rules.Steps, r.Step) {
		abort(c, nirnay.FieldError("dataset.decision_log.step", "unknown step %q; one of %v", r.Step, rules.Steps))
		return
	}
	job, err := h.sims.Start(jobs.Spec{Baseline: req.Baseline, Candidate: req.Candidate, Dataset: req.Dataset}, principal(c).KeyID)
	if err != nil {
		abort(c, err)
		return
	}
	c.Header("Location", "/v1/simulations/"+job.ID)
	c.JSON(http.StatusAccepted, job)
}

func (h *simulationHandlers) list(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"items": h.sims.List()})
}

func (h *simulationHandlers) championChallenger(c *gin.Context) {
	o, err := compareOptions(c)
	if err != nil {
		abort(c, err)
		return
	}
	out, err := h.compare(c.Request.Context(), o)
	reply(c, http.StatusOK, out, err)
}

func (h *simulationHandlers) get(c *gin.Context) {
	job, err := h.sims.Get(c.Param("id"))
	reply(c, http.StatusOK, job, err)
}

// report answers report.json, report.html (?format=html, or Accept:
// text/html without a format) or timing.json (?format=timing).
func (h *simulationHandlers) report(c *gin.Context) {
	name, ctype := jobs.ReportJSON, "application/json"
	switch format := c.Query("format"); {
	case format == "html" || (format == "" && strings.Contains(c.GetHeader("Accept"), "text/html")):
		name, ctype = jobs.ReportHTML, "text/html; charset=utf-8"
	case format == "timing":
		name = jobs.TimingJSON
	case format != "" && format != "json":
		abort(c, nirnay.FieldError("format", "must be json, html or timing"))
		return
	}
	b, err := h.sims.ReadReport(c.Param("id"), name)
	if err != nil {
		abort(c, err)
		return
	}
	c.Data(http.StatusOK, ctype, b)
}

func (h *simulationHandlers) cancel(c *gin.Context) {
	job, err := h.sims.Cancel(c.Param("id"))
	reply(c, http.StatusOK, job, err)
}

func compareOptions(c *gin.Context) (live.CompareOptions, error) {
	q := c.Request.URL.Query()
	o := live.CompareOptions{Range: live.Range{Step: q.Get("step")}}
	if o.Step == "" {
		return o, nirnay.FieldError("step", "is required")
	}
	if !slices.Contains(rules.Steps, o.Step) {
		return o, nirnay.FieldError("step", "unknown step %q; one of %v", o.Step, rules.Steps)
	}
	var err error
	for _, f := range []struct {
		name string
		dst  *time.Time
	}{{"from", &o.From}, {"to", &o.To}} {
		v := q.Get(f.name)
		if v == "" {
			return o, nirnay.FieldError(f.name, "is required (RFC 3339)")
		}
		if *f.dst, err = timeParam(v, f.name); err != nil {
			return o, err
		}
	}
	for _, f := range []struct {
		name string
		dst  *int
	}{{"bad_dpd", &o.BadDPD}, {"mature_days", &o.MatureDays}} {
		if v := q.Get(f.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 3650 {
				return o, nirnay.FieldError(f.name, "must be a whole number of days between 1 and 3650")
			}
			*f.dst = n
		}
	}
	return o, nil
}
