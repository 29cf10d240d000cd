package cases

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// QueueTag is the prefix of the rule tag that routes a referred decision
// to a queue other than its step's: queue:<name>.
const QueueTag = "queue:"

// Policies finds a compiled policy version; *engine.Registry satisfies it.
type Policies interface {
	Get(ref rules.PolicyRef) (*rules.Compiled, bool)
}

// CheckPolicy returns the check governance runs on every policy version
// it compiles (governance.Options.CheckPolicy): each queue:<name> tag must
// name a queue of qs, so a misrouted rule stops its upload, not a case.
func CheckPolicy(qs *Queues) func(p *rules.Policy) rules.ErrorList {
	return func(p *rules.Policy) rules.ErrorList {
		var errs rules.ErrorList
		for _, r := range p.Rules {
			for _, tag := range r.Tags {
				name, ok := strings.CutPrefix(tag, QueueTag)
				if !ok {
					continue
				}
				if _, known := qs.Get(name); !known {
					errs = append(errs, &rules.Error{File: p.File, Line: r.Line, Field: "rules[" + r.ID + "].tags",
						Msg: fmt.Sprintf("tag %q names no review queue; one of %v (policies/queues.yaml)", tag, qs.Names())})
				}
			}
		}
		return errs
	}
}

// Opener opens the case of every referred decision the decision log
// ships (decisionlog.Log.OnShip): an acted-on record (champion or
// challenger) whose outcome is review gets one case, in the shipping
// transaction, with the "opened" event. Shadows and manual verdicts open
// none. Safe for concurrent use.
type Opener struct {
	queues   *Queues
	policies Policies
	dialect  store.Dialect
	now      func() time.Time
	ids      *ids.Generator     // on now
	opened   func(queue string) // counts an opened case (metrics); may be nil

	mu     sync.Mutex
	routes map[rules.PolicyRef]map[string]string // rule id → queue of its queue: tag
}

// NewOpener returns an opener writing to a database of dialect d, routing
// by qs and the rule tags of the policies' versions, on the clock now
// (nil: time.Now).
func NewOpener(d store.Dialect, qs *Queues, policies Policies, now func() time.Time) *Opener {
	if now == nil {
		now = time.Now
	}
	return &Opener{dialect: d, queues: qs, policies: policies, now: now, ids: ids.New(now), routes: map[rules.PolicyRef]map[string]string{}}
}

// Hook is the decision log's ship hook (decisionlog.ShipHook): the cases
// of a batch's referrals go in with multi-row inserts on PostgreSQL (one
// round trip for up to 200), through two statements prepared once per
// batch on SQLite.
func (o *Opener) Hook(ctx context.Context, tx *sql.Tx, recs []*decisionlog.Record) error {
	var cs []*Case
	for _, r := range recs {
		if r.Outcome == nirnay.Review && r.Role.ActedOn() {
			cs = append(cs, o.caseOf(r))
		}
	}
	if len(cs) == 0 {
		return nil
	}
	var opened []*Case
	var err error
	if o.dialect == store.Postgres {
		opened, err = insertCasesPG(ctx, tx, cs)
	} else {
		opened, err = insertCasesPrepared(ctx, tx, cs)
	}
	if err != nil {
		return fmt.Errorf("open %d cases: %w", len(cs), err)
	}
	evs := make([]*Event, 0, len(opened))
	for _, c := range opened { // shipped before: those cases are open already
		// The case dates from its decision (its SLA runs from there); the
		// opened event from when it reached the database, after the decision.
		at := o.now().UTC()
		if !at.After(c.CreatedAt) {
			at = c.CreatedAt.Add(time.Microsecond)
		}
		evs = append(evs, &Event{ID: o.ids.At("cev", at), CaseID: c.ID, CustomerID: c.CustomerID, At: at, Action: ActionOpened,
			Actor: systemActor, Body: map[string]any{"decision_id": c.DecisionID, "queue": c.Queue, "reasons": c.Reasons, "sla_due_at": c.SLADueAt}})
	}
	if err := insertEvents(ctx, tx, o.dialect, evs); err != nil {
		return fmt.Errorf("open %d cases: %w", len(cs), err)
	}
	if o.opened != nil {
		for _, c := range opened {
			o.opened(c.Queue)
		}
	}
	return nil
}

// referred is what a case reads of a logged decision's body.
type referred struct {
	Response struct {
		Reasons []string `json:"reasons"`
		Rules   []struct {
			ID      string         `json:"id"`
			Fired   bool           `json:"fired"`
			Outcome nirnay.Outcome `json:"outcome"`
		} `json:"rules"`
	}
	Input map[string]any
}

func readReferred(body []byte) (referred, error) {
	var b decisions.Body
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var out referred
	if err := dec.Decode(&b); err != nil {
		return out, err
	}
	if err := json.Unmarshal(b.Response, &out.Response); err != nil {
		return out, err
	}
	out.Input = b.Input
	return out, nil
}

// caseOf is the case a referred record opens: queue by rule tag or step,
// priority and SLA from the queue, the amount from the input (rupees). It
// never fails, so no record can hold up the shipper: a body it cannot
// read opens a case without reasons or amount, in the step's queue (every
// step has one, ParseQueues), or else the first queue.
func (o *Opener) caseOf(r *decisionlog.Record) *Case {
	ref, _ := readReferred(r.Body)
	q, ok := o.queues.Get(o.route(r, ref))
	if !ok {
		q = o.queues.All()[0]
	}
	at := r.DecidedAt.UTC()
	c := &Case{ID: nirnay.CaseIDOf(r.ID), DecisionID: r.ID, CustomerID: r.CustomerID, Step: r.Step, Queue: q.Name,
		Policy: PolicyRef{ID: r.PolicyID, Version: r.PolicyVersion}, Status: StatusOpen, Reasons: ref.Response.Reasons,
		Priority: q.Priority, Amount: amountOf(ref.Input), SLADueAt: o.queues.DueAt(q, at), CreatedAt: at, UpdatedAt: at}
	if c.Reasons == nil {
		c.Reasons = []string{}
	}
	return c
}

// route is the queue of a referred decision: the queue:<name> tag of the
// first fired rule (in policy order) whose outcome is review, else of the
// first fired rule with one, else the step's queue.
func (o *Opener) route(r *decisionlog.Record, ref referred) string {
	routes := o.routesOf(rules.PolicyRef{ID: r.PolicyID, Version: r.PolicyVersion})
	fallback := ""
	for _, rule := range ref.Response.Rules {
		q, ok := routes[rule.ID]
		if !rule.Fired || !ok {
			continue
		}
		if _, known := o.queues.Get(q); !known {
			continue
		}
		if rule.Outcome == nirnay.Review {
			return q
		}
		if fallback == "" {
			fallback = q
		}
	}
	if fallback != "" {
		return fallback
	}
	return r.Step
}

// routesOf maps a policy version's rules to the queue their tag names.
func (o *Opener) routesOf(ref rules.PolicyRef) map[string]string {
	o.mu.Lock()
	defer o.mu.Unlock()
	if m, ok := o.routes[ref]; ok {
		return m
	}
	m := map[string]string{}
	if o.policies != nil {
		if c, ok := o.policies.Get(ref); ok {
			for _, rule := range c.Policy.Rules {
				for _, tag := range rule.Tags {
					if name, ok := strings.CutPrefix(tag, QueueTag); ok {
						m[rule.ID] = name
						break
					}
				}
			}
		}
	}
	o.routes[ref] = m
	return m
}

// amountOf reads a decision input's amount (whole rupees, as the lending
// core and the policies give it) as paise; 0 when there is none or it is
// not a non-negative number.
func amountOf(input map[string]any) money.Paise {
	var rupees float64
	switch v := input["amount"].(type) {
	case json.Number:
		f, err := v.Float64()
		if err != nil {
			return 0
		}
		rupees = f
	case float64:
		rupees = v
	case int64:
		rupees = float64(v)
	default:
		return 0
	}
	if rupees <= 0 || rupees > 1e13 || math.IsNaN(rupees) {
		return 0
	}
	return money.Paise(math.Round(rupees * 100))
}
