package cases_test

import (
	"database/sql"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/cases"
	"github.com/nirnay/nirnay/decisionlog"
)

// TestOpenOneCasePerReferral: only acted-on review decisions open a case
// (not approvals, declines or shadows), each in the queue of its step or
// of its fired rule's queue: tag, with the queue's priority and SLA, and
// shipping the same records again opens nothing more.
func TestOpenOneCasePerReferral(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		approve := e.decide(t, "C-1", "r1", "application", map[string]any{"amount": int64(100000)})
		refer := e.decide(t, "C-2", "r2", "application", map[string]any{"amount": int64(300000), "tenure_months": int64(12)})
		fraud := e.decide(t, "C-3", "r3", "application", map[string]any{"amount": int64(100000), "device_flagged": true})
		kyc := e.decide(t, "C-4", "r4", "kyc", map[string]any{})
		if approve.Outcome != nirnay.Approve || refer.Outcome != nirnay.Review || fraud.Outcome != nirnay.Review || kyc.Outcome != nirnay.Review {
			t.Fatalf("outcomes %s %s %s %s; want approve review review review", approve.Outcome, refer.Outcome, fraud.Outcome, kyc.Outcome)
		}
		if len(fraud.Shadow) != 1 || fraud.Shadow[0].Outcome != nirnay.Review {
			t.Fatalf("the flagged application's shadow %v; want a review too (shadows never open cases)", fraud.Shadow)
		}
		e.shipped(t)
		if n := e.count(t, `SELECT COUNT(*) FROM cases`); n != 3 {
			t.Fatalf("%d cases, want 3 (two referred applications, one KYC)", n)
		}
		for _, tc := range []struct {
			d        string
			queue    string
			reasons  []string
			priority int
			amount   string
			slaHours int
		}{
			{refer.DecisionID, "application", []string{"AMOUNT_HIGH"}, 2, "300000.00", 8},
			{fraud.DecisionID, "fraud", []string{"DEVICE_FLAGGED"}, 1, "100000.00", 4},
			{kyc.DecisionID, "kyc", []string{}, 2, "0.00", 8},
		} {
			c, err := e.svc.Get(e.ctx, nirnay.CaseIDOf(tc.d))
			if err != nil {
				t.Fatalf("case of %s: %v", tc.d, err)
			}
			q, _ := e.svc.Queues().Get(tc.queue)
			due := e.svc.Queues().DueAt(q, c.CreatedAt)
			if c.DecisionID != tc.d || c.Queue != tc.queue || !slices.Equal(c.Reasons, tc.reasons) || c.Priority != tc.priority ||
				c.Amount.String() != tc.amount || c.Status != cases.StatusOpen || !c.SLADueAt.Equal(due) || c.Assignee != nil || c.Resolution != nil {
				t.Errorf("case of %s: %s; want queue %s, reasons %v, priority %d, amount %s, open, due %s", tc.d, mustJSON(t, c),
					tc.queue, tc.reasons, tc.priority, tc.amount, due)
			}
			if q.SLAHours != tc.slaHours {
				t.Errorf("queue %s SLA %d h, want %d", tc.queue, q.SLAHours, tc.slaHours)
			}
			evs, err := e.svc.Events(e.ctx, c.ID)
			if err != nil || len(evs) != 1 || evs[0].Action != cases.ActionOpened || evs[0].Body["decision_id"] != tc.d {
				t.Errorf("events of %s: %v %v; want one opened event naming %s", c.ID, evs, err, tc.d)
			}
		}
		// The shipper ships a batch again after a crash between its commit
		// and its checkpoint: the hook then finds every case there.
		var recs []*decisionlog.Record
		for _, id := range []string{approve.DecisionID, refer.DecisionID, fraud.DecisionID, fraud.DecisionID + ".s1", kyc.DecisionID} {
			r, err := e.log.Get(e.ctx, id)
			if err != nil {
				t.Fatalf("logged %s: %v", id, err)
			}
			recs = append(recs, r)
		}
		if err := e.db.InTx(e.ctx, func(tx *sql.Tx) error { return e.svc.Opener().Hook(e.ctx, tx, recs) }); err != nil {
			t.Fatal(err)
		}
		if n, m := e.count(t, `SELECT COUNT(*) FROM cases`), e.count(t, `SELECT COUNT(*) FROM case_events`); n != 3 || m != 3 {
			t.Errorf("after shipping again: %d cases and %d events, want 3 and 3", n, m)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM decisions d WHERE d.outcome = 'review' AND d.role IN ('champion', 'challenger')
			AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.decision_id = d.id)`); n != 0 {
			t.Errorf("%d referred decisions without a case", n)
		}
	})
}

// TestCaseSurvivesRestart: a referred decision appended to the log by a
// process that dies before shipping (kill -9: only the segment is on
// disk) gets its case when the next process ships it, once.
func TestCaseSurvivesRestart(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		e.stop() // no shipping: the process "dies" after appending
		d := e.decide(t, "C-9", "r9", "application", map[string]any{"amount": int64(400000)})
		if n := e.count(t, `SELECT COUNT(*) FROM cases`); n != 0 {
			t.Fatalf("%d cases before the log shipped, want 0", n)
		}
		if err := e.log.Close(); err != nil {
			t.Fatal(err)
		}
		for range 2 { // restart twice: the second ships nothing new
			e.openLog(t)
			e.log.OnShip(e.svc.Opener().Hook)
			e.run()
			e.shipped(t)
			e.stop()
			if err := e.log.Close(); err != nil {
				t.Fatal(err)
			}
		}
		e.openLog(t)
		e.run()
		c, err := e.svc.Get(e.ctx, nirnay.CaseIDOf(d.DecisionID))
		if err != nil || c.DecisionID != d.DecisionID {
			t.Fatalf("case after restart: %v, %v", c, err)
		}
		if n := e.count(t, `SELECT COUNT(*) FROM cases WHERE decision_id = $1`, d.DecisionID); n != 1 {
			t.Errorf("%d cases for %s after two restarts, want 1", n, d.DecisionID)
		}
	})
}

// TestCheckPolicy: a queue: tag must name a queue.
func TestCheckPolicy(t *testing.T) {
	qs, err := cases.DefaultQueues()
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, testSQLite(t))
	c, _ := e.build.Registry.Get(refOf("refer", 1))
	if errs := cases.CheckPolicy(qs)(c.Policy); len(errs) != 0 {
		t.Errorf("refer@1 routes to fraud, a shipped queue: %v", errs)
	}
	p := *c.Policy
	p.Rules = slices.Clone(p.Rules)
	p.Rules[2].Tags = []string{"queue:frud"}
	errs := cases.CheckPolicy(qs)(&p)
	if len(errs) != 1 || !strings.Contains(errs[0].Error(), `rules[flagged_device].tags: tag "queue:frud" names no review queue`) {
		t.Errorf("a tag naming no queue: %v", errs)
	}
}

// TestMetrics: the open-case gauges are read at scrape.
func TestMetrics(t *testing.T) {
	e := newEnv(t, testSQLite(t))
	e.refer(t, "C-1", 300000)
	e.refer(t, "C-2", 300000)
	e.clk.Advance(30 * 24 * time.Hour)
	got := map[string]float64{}
	mfs, err := e.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "queue" && l.GetValue() == "application" {
					v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
					got[mf.GetName()] = v
				}
			}
		}
	}
	if got["nirnay_cases_open"] != 2 || got["nirnay_cases_sla_breached_open"] != 2 || got["nirnay_cases_opened_total"] != 2 ||
		got["nirnay_cases_oldest_open_age_seconds"] < 30*24*3600 {
		t.Errorf("application queue metrics %v; want 2 open, 2 breached, 2 opened, oldest 30 days", got)
	}
}
