package decisions

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/backoff"
	"github.com/nirnay/nirnay/rules"
)

// Aggregator applies aggregate events so that the next decision reads
// them, idempotently by event id; *features.Source satisfies it
// (Source.Apply).
type Aggregator interface {
	Apply(ctx context.Context, events ...features.Event) error
}

// VelocityRule is one row of the velocity table: an aggregate event of the
// decision path, the entities it is counted for, and what causes it.
//
// A rule with a Step, an Outcome or an Action is caused by every acted-on
// decision that matches all of those it sets ("" matches anything; Action
// must be among the decision's actions): Service.Decide counts it before
// answering, under the id features.DecisionEventID(decision id, Event), at
// the decision's time. A rule with none of them is caused by something
// else that a caller counts through Velocity.Counter(Event): a failed
// step-up challenge, a payment taken.
type VelocityRule struct {
	Event string // aggregate.event in the feature catalog; every aggregate counting it must be a count
	// Entities are the entities the event is counted for: customer (the
	// customer id) and device, pan, phone, bank_account, taken from the
	// input's device_id, pan_hash, phone_hash and account_hash (see
	// features.EntityInputKeys) when present. Each must have an aggregate
	// of Event in the catalog.
	Entities []string
	Step     string         // a journey step
	Outcome  nirnay.Outcome // approve, review, step_up or decline
	Action   string         // a step-up action the decision asks for, e.g. otp
}

// DefaultVelocity is the shipped velocity table (docs/features.md).
var DefaultVelocity = []VelocityRule{
	{Event: "loan_application", Entities: []string{"customer", "pan"}, Step: "application"},
	{Event: "signup", Entities: []string{"device"}, Step: "signup"},
	{Event: "kyc_attempt", Entities: []string{"customer"}, Step: "kyc"},
	{Event: "otp_request", Entities: []string{"phone"}, Outcome: nirnay.StepUp, Action: "otp"},
	// Counted by callers: step-up completion for a failed challenge (and,
	// of a login decision, a failed login), and the lending core for a
	// payment taken (with the id of its payment_received event).
	{Event: "step_up_failed", Entities: []string{"customer"}},
	{Event: "login_failed", Entities: []string{"customer"}},
	{Event: "payment", Entities: []string{"customer"}},
}

// Occurrence is one occurrence of a velocity event.
type Occurrence struct {
	// ID is the event id; it must not be empty. The same ID counts once
	// (while it can count in any window), so anything else that counts the
	// same occurrence later — the asynchronous event path — must use the
	// same ID and the same At (to the hour). For an event a decision
	// causes: features.DecisionEventID(decision id, event).
	ID         string
	CustomerID string         // the customer entity's id
	Input      map[string]any // entity ids: device_id, pan_hash, phone_hash, account_hash
	At         time.Time      // when it happened (its window bucket); zero: now
}

// Counter counts occurrences of one velocity event; see Velocity.Counter.
type Counter func(ctx context.Context, o Occurrence)

// VelocityOptions configures a Velocity. Zero values take the defaults.
type VelocityOptions struct {
	Rules []VelocityRule // default DefaultVelocity
	// Timeout bounds the synchronous apply of one decision's or one
	// occurrence's events; default 50 ms (the feature read's deadline).
	Timeout time.Duration
	// MaxPending bounds the occurrences held for a background retry;
	// default 10,000.
	MaxPending int
	Clock      func() time.Time // default time.Now
	Logger     *slog.Logger
	Registerer prometheus.Registerer
}

// Velocity keeps the aggregates that count the decision path itself read-
// your-writes (DESIGN §13): the events a request causes are applied to the
// feature store before it answers, so the next decision of the customer,
// on any instance, counts them.
//
// When an apply fails (the store is down or slower than Timeout), the
// request still answers: a warning is logged, the occurrence is counted in
// nirnay_velocity_events_total{result="deferred"} and held (up to
// MaxPending) for Run to apply again with the same ids, so nothing counts
// twice and nothing is lost while the process lives; events the
// asynchronous path also carries (the lending core's applications and
// payments) are counted by it in any case. Occurrences past MaxPending, or
// still held when Run ends, are logged and counted as dropped.
//
// It is safe for concurrent use.
type Velocity struct {
	agg     Aggregator
	byEvent map[string]*velocityRule
	byStep  map[string][]*velocityRule // decision rules by step; "" any step
	timeout time.Duration
	clock   func() time.Time
	log     *slog.Logger
	pending chan features.Event
	events  *prometheus.CounterVec
	depth   prometheus.GaugeFunc
}

type velocityRule struct {
	VelocityRule
	applied, deferred, retried, dropped, skipped prometheus.Counter
}

// NewVelocity builds the velocity table opts.Rules against cat, applying
// through agg. Every rule is checked when it is built: its event must be
// counted by at least one aggregate of the catalog, only by count
// aggregates (a velocity event carries no fields), for each of its
// entities; its step and outcome must exist; and rules of the same event
// must name the same entities. Any failure is an error naming the rule.
func NewVelocity(cat *rules.Catalog, agg Aggregator, opts VelocityOptions) (*Velocity, error) {
	if cat == nil || agg == nil {
		return nil, errors.New("decisions: NewVelocity needs a catalog and an aggregator")
	}
	if opts.Rules == nil {
		opts.Rules = DefaultVelocity
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 50 * time.Millisecond
	}
	if opts.MaxPending <= 0 {
		opts.MaxPending = 10_000
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	v := &Velocity{agg: agg, byEvent: map[string]*velocityRule{}, byStep: map[string][]*velocityRule{},
		timeout: opts.Timeout, clock: opts.Clock, log: opts.Logger, pending: make(chan features.Event, opts.MaxPending),
		events: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "nirnay_velocity_events_total",
			Help: "Velocity events of the decision path by event and result: applied in the request, deferred (not applied in the request, held for retry), retried (applied later), dropped (lost), skipped (the input names none of the event's entities)."},
			[]string{"event", "result"}),
	}
	v.depth = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "nirnay_velocity_pending",
		Help: "Velocity events held for a retry after a failed apply."}, func() float64 { return float64(len(v.pending)) })
	counts := countedBy(cat)
	for i, r := range opts.Rules {
		if err := checkRule(r, counts); err != nil {
			return nil, fmt.Errorf("velocity rule %d (event %q): %w", i+1, r.Event, err)
		}
		if prev, ok := v.byEvent[r.Event]; ok && !slices.Equal(prev.Entities, r.Entities) {
			return nil, fmt.Errorf("velocity rule %d (event %q): entities %v differ from %v of an earlier rule of the same event", i+1, r.Event, r.Entities, prev.Entities)
		}
		r.Entities = slices.Clone(r.Entities)
		vr := &velocityRule{VelocityRule: r}
		for res, c := range map[string]*prometheus.Counter{"applied": &vr.applied, "deferred": &vr.deferred,
			"retried": &vr.retried, "dropped": &vr.dropped, "skipped": &vr.skipped} {
			*c = v.events.WithLabelValues(r.Event, res)
		}
		if _, ok := v.byEvent[r.Event]; !ok {
			v.byEvent[r.Event] = vr
		}
		if r.Step != "" || r.Outcome != "" || r.Action != "" {
			v.byStep[r.Step] = append(v.byStep[r.Step], vr)
		}
	}
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(v.events); err != nil {
			return nil, fmt.Errorf("decisions: register velocity metrics: %w", err)
		}
		if err := opts.Registerer.Register(v.depth); err != nil {
			return nil, fmt.Errorf("decisions: register velocity metrics: %w", err)
		}
	}
	return v, nil
}

// countedBy indexes the catalog's aggregates: event → entity → features.
func countedBy(cat *rules.Catalog) map[string]map[string][]*rules.Feature {
	out := map[string]map[string][]*rules.Feature{}
	for i := range cat.Features {
		f := &cat.Features[i]
		if f.Source != rules.SourceAggregate || f.Aggregate == nil {
			continue
		}
		a := f.Aggregate
		if out[a.Event] == nil {
			out[a.Event] = map[string][]*rules.Feature{}
		}
		out[a.Event][a.Entity] = append(out[a.Event][a.Entity], f)
	}
	return out
}

func checkRule(r VelocityRule, counts map[string]map[string][]*rules.Feature) error {
	byEntity, ok := counts[r.Event]
	switch {
	case r.Event == "":
		return errors.New("no event")
	case !ok:
		return errors.New("no aggregate of the feature catalog counts this event")
	case len(r.Entities) == 0:
		return errors.New("no entities")
	case r.Step != "" && !slices.Contains(rules.Steps, r.Step):
		return fmt.Errorf("unknown step %q (one of %v)", r.Step, rules.Steps)
	case r.Outcome != "" && !r.Outcome.Valid():
		return fmt.Errorf("unknown outcome %q (one of %v)", r.Outcome, nirnay.Outcomes)
	}
	for _, fs := range byEntity {
		for _, f := range fs {
			if f.Aggregate.Fn != features.FnCount {
				return fmt.Errorf("aggregate %s is a %s of field %q, which a velocity event does not carry", f.Name, f.Aggregate.Fn, f.Aggregate.Field)
			}
		}
	}
	for _, e := range r.Entities {
		if _, known := features.EntityInputKeys[e]; !known && e != "customer" {
			return fmt.Errorf("unknown entity %q (one of %v)", e, rules.Entities)
		}
		if len(byEntity[e]) == 0 {
			return fmt.Errorf("no aggregate of the feature catalog counts it for entity %s", e)
		}
	}
	return nil
}

// Counter returns the function that counts occurrences of event, an event
// of the table (typically one no decision causes by itself: login_failed
// for a failed step-up challenge, payment for a payment taken). Resolve it
// when wiring: the only error is an event the table does not have.
//
// The Counter applies the occurrence's event, for the rule's entities
// found in it, before it returns (within Timeout; the caller's
// cancellation does not stop it), so the next decision on every instance
// counts it. It never fails the caller: when the store cannot take it now,
// the occurrence is held and applied again later with the same ID (see
// Velocity). An occurrence that names none of the entities is not counted
// (skipped); one without an ID is dropped with an error logged, since it
// could be counted twice.
func (v *Velocity) Counter(event string) (Counter, error) {
	r, ok := v.byEvent[event]
	if !ok {
		return nil, fmt.Errorf("decisions: the velocity table has no event %q", event)
	}
	return func(ctx context.Context, o Occurrence) {
		if o.ID == "" {
			r.dropped.Inc()
			v.log.Error("velocity event without an id not counted", "event", event, "customer_id", o.CustomerID)
			return
		}
		if o.At.IsZero() {
			o.At = v.clock()
		}
		var evs [1]features.Event
		var rs [1]*velocityRule
		if ev, ok := r.event(o.ID, o.CustomerID, o.Input, o.At); ok {
			evs[0], rs[0] = ev, r
			v.apply(ctx, evs[:], rs[:])
		} else {
			r.skipped.Inc()
		}
	}, nil
}

// decided counts the events the acted-on decision d causes by the table.
func (v *Velocity) decided(ctx context.Context, d *engine.Decision) {
	var evs [4]features.Event
	var rs [4]*velocityRule
	n := 0
	for _, step := range [2]string{d.Step, ""} {
		for _, r := range v.byStep[step] {
			if (r.Outcome != "" && r.Outcome != d.Outcome) || (r.Action != "" && !slices.Contains(d.Actions, r.Action)) {
				continue
			}
			if slices.ContainsFunc(rs[:n], func(o *velocityRule) bool { return o.Event == r.Event }) {
				continue // one occurrence per event and decision
			}
			ev, ok := r.event(features.DecisionEventID(d.DecisionID, r.Event), d.CustomerID, d.Log.Input, d.EvaluatedAt)
			if !ok {
				r.skipped.Inc()
				continue
			}
			if n == len(evs) {
				v.apply(ctx, evs[:n], rs[:n])
				n = 0
			}
			evs[n], rs[n] = ev, r
			n++
		}
	}
	if n > 0 {
		v.apply(ctx, evs[:n], rs[:n])
	}
}

// event builds the rule's aggregate event for an occurrence; false when
// none of the rule's entities is named.
func (r *velocityRule) event(id, customerID string, input map[string]any, at time.Time) (features.Event, bool) {
	var ents map[string]string
	for _, e := range r.Entities {
		eid := customerID
		if e != "customer" {
			eid, _ = input[features.EntityInputKeys[e]].(string)
		}
		if eid == "" || len(eid) > features.MaxIDLength {
			continue
		}
		if ents == nil {
			ents = make(map[string]string, len(r.Entities))
		}
		ents[e] = eid
	}
	return features.Event{ID: id, Type: r.Event, At: at, Entities: ents}, ents != nil
}

// apply applies evs (rs[i] the rule of evs[i]) within the timeout, or
// holds them for Run.
func (v *Velocity) apply(ctx context.Context, evs []features.Event, rs []*velocityRule) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.timeout)
	err := v.agg.Apply(ctx, evs...)
	cancel()
	var bad features.EventErrors
	switch {
	case err == nil:
		for _, r := range rs {
			r.applied.Inc()
		}
	case errors.As(err, &bad):
		// The table is checked against the catalog, so this is a bug:
		// retrying would not help.
		for i, r := range rs {
			if e, ok := bad[i]; ok {
				r.dropped.Inc()
				v.log.Error("velocity event malformed; not counted", "event", evs[i].Type, "id", evs[i].ID, "err", e)
			} else {
				r.applied.Inc()
			}
		}
	default:
		ids := make([]string, len(evs))
		for i, ev := range evs {
			ids[i] = ev.ID
			rs[i].deferred.Inc()
			v.hold(ev, rs[i])
		}
		v.log.Warn("velocity events not applied in the request; the decision stands and they are retried in the background",
			"events", ids, "err", err)
	}
}

// hold queues ev for Run, or drops it when the queue is full.
func (v *Velocity) hold(ev features.Event, r *velocityRule) {
	select {
	case v.pending <- ev:
	default:
		r.dropped.Inc()
		v.log.Error("velocity retry queue full; event dropped", "event", ev.Type, "id", ev.ID, "customer_id", ev.Entities["customer"])
	}
}

// retryBatch bounds the held events Run applies at once.
const retryBatch = 500

// Run applies held occurrences again (same ids, so nothing counts twice)
// until ctx ends, backing off from 100 ms doubling to 5 s (jittered) while
// the store keeps failing. When ctx ends it tries once more for up to a
// second and logs what is left as dropped. Run one per Velocity.
func (v *Velocity) Run(ctx context.Context) {
	bo := backoff.New(100*time.Millisecond, 5*time.Second)
	var batch []features.Event
	for {
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				v.finish(batch)
				return
			case ev := <-v.pending:
				batch = append(batch, ev)
			}
		}
		for len(batch) < retryBatch && len(v.pending) > 0 {
			batch = append(batch, <-v.pending)
		}
		actx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := v.agg.Apply(actx, batch...)
		cancel()
		var bad features.EventErrors
		if err == nil || errors.As(err, &bad) {
			for i, ev := range batch {
				if r := v.byEvent[ev.Type]; r != nil {
					if _, malformed := bad[i]; malformed {
						r.dropped.Inc()
					} else {
						r.retried.Inc()
					}
				}
			}
			batch = batch[:0]
			bo.Reset()
			continue
		}
		if !bo.Wait(ctx) {
			v.finish(batch)
			return
		}
	}
}

// finish makes a last attempt at the held events when Run ends.
func (v *Velocity) finish(batch []features.Event) {
	for len(v.pending) > 0 {
		batch = append(batch, <-v.pending)
	}
	if len(batch) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := v.agg.Apply(ctx, batch...); err != nil {
		for _, ev := range batch {
			if r := v.byEvent[ev.Type]; r != nil {
				r.dropped.Inc()
			}
		}
		v.log.Error("velocity events not applied at shutdown; the asynchronous path still counts those it carries",
			"events", len(batch), "err", err)
		return
	}
	for _, ev := range batch {
		if r := v.byEvent[ev.Type]; r != nil {
			r.retried.Inc()
		}
	}
}
