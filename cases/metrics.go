package cases

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the review queues' Prometheus series:
//
//	nirnay_cases_open{queue}                    undecided cases (read from the database at scrape)
//	nirnay_cases_oldest_open_age_seconds{queue} age of the oldest undecided case (at scrape)
//	nirnay_cases_sla_breached_open{queue}       undecided cases past their SLA (at scrape)
//	nirnay_cases_opened_total{queue}            cases this process opened (shipping the log)
//	nirnay_cases_decided_total{queue,outcome}   verdicts this process recorded
//	nirnay_cases_sla_breaches_total{queue}      of them, verdicts given after the SLA
//	nirnay_case_reviews_total{reviewer,queue,kind} reviews by reviewer (API key id; kind first or final)
//
// The open-case series are counted when Prometheus scrapes, so they hold
// for every instance sharing the database, without a polling job.
type metrics struct {
	s        *Service
	openedC  *prometheus.CounterVec
	decidedC *prometheus.CounterVec
	breachC  *prometheus.CounterVec
	reviewsC *prometheus.CounterVec
	open     *prometheus.Desc
	oldest   *prometheus.Desc
	breached *prometheus.Desc
}

func newMetrics(s *Service, reg prometheus.Registerer) *metrics {
	m := &metrics{s: s,
		openedC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nirnay_cases_opened_total",
			Help: "Review cases opened by this process (as it shipped their referred decisions)."}, []string{"queue"}),
		decidedC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nirnay_cases_decided_total",
			Help: "Review cases decided through this process, by queue and verdict."}, []string{"queue", "outcome"}),
		breachC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nirnay_cases_sla_breaches_total",
			Help: "Review cases decided after their SLA, through this process."}, []string{"queue"}),
		reviewsC: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nirnay_case_reviews_total",
			Help: "Reviews given through this process by reviewer (API key id); kind first (of two) or final."}, []string{"reviewer", "queue", "kind"}),
		open:     prometheus.NewDesc("nirnay_cases_open", "Undecided review cases (open, assigned, awaiting a second review) by queue.", []string{"queue"}, nil),
		oldest:   prometheus.NewDesc("nirnay_cases_oldest_open_age_seconds", "Age of the oldest undecided review case by queue.", []string{"queue"}, nil),
		breached: prometheus.NewDesc("nirnay_cases_sla_breached_open", "Undecided review cases past their SLA by queue.", []string{"queue"}, nil),
	}
	if reg != nil {
		reg.MustRegister(m.openedC, m.decidedC, m.breachC, m.reviewsC, m)
	}
	return m
}

func (m *metrics) opened(queue string) { m.openedC.WithLabelValues(queue).Inc() }

func (m *metrics) reviewed(queue string, by Actor) {
	m.reviewsC.WithLabelValues(by.ID, queue, "first").Inc()
}

func (m *metrics) decided(c *Case, by Actor) {
	m.decidedC.WithLabelValues(c.Queue, string(c.Resolution.Outcome)).Inc()
	m.reviewsC.WithLabelValues(by.ID, c.Queue, "final").Inc()
	if c.SLABreached {
		m.breachC.WithLabelValues(c.Queue).Inc()
	}
}

// Describe implements prometheus.Collector.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.open
	ch <- m.oldest
	ch <- m.breached
}

// Collect implements prometheus.Collector: one query over the undecided
// cases (an index on them), bounded by a 2 s timeout. Every queue is
// reported, with 0 when it has no undecided case.
func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	now := m.s.now()
	stats, err := queueStats(ctx, m.s.db.Reader(), now)
	if err != nil {
		m.s.logger.Warn("review case metrics not read", "err", err)
		return
	}
	byQueue := map[string]QueueStats{}
	for _, st := range stats {
		byQueue[st.Queue] = st
	}
	for _, name := range m.s.queues.Names() {
		st := byQueue[name]
		age := 0.0
		if st.Open > 0 {
			age = now.Sub(st.Oldest).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(m.open, prometheus.GaugeValue, float64(st.Open), name)
		ch <- prometheus.MustNewConstMetric(m.oldest, prometheus.GaugeValue, age, name)
		ch <- prometheus.MustNewConstMetric(m.breached, prometheus.GaugeValue, float64(st.Breached), name)
	}
}
