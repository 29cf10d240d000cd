// Package decisions is the decision service behind POST /v1/decisions: it
// makes a decision with the engine, logs it (and its shadows) durably before
// answering, and makes a client's request_id idempotent.
package decisions

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/store"
)

// Decider makes decisions; *engine.Engine satisfies it.
type Decider interface {
	Decide(ctx context.Context, req engine.Request) (engine.Decision, error)
}

// Service makes, logs and replays decisions. Safe for concurrent use.
type Service struct {
	eng      Decider
	log      *decisionlog.Log
	velocity *Velocity      // nil: decisions count no velocity events
	claims   *claims        // nil: this process is the only one deciding (embedded)
	ids      *ids.Generator // decision ids of claimed requests, on the wall clock
	logger   *slog.Logger
	locks    [256]sync.Mutex // striped by customer and request_id: one decision per id at a time

	decisions *prometheus.CounterVec
	latency   *prometheus.HistogramVec
}

// New returns a service deciding with eng and logging to log. Metrics are
// registered with reg when it is not nil.
func New(eng Decider, log *decisionlog.Log, reg prometheus.Registerer) *Service {
	s := &Service{eng: eng, log: log, ids: ids.New(time.Now), logger: slog.Default(),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "nirnay_decisions_total", Help: "Decisions by step, outcome and policy role.",
		}, []string{"step", "outcome", "role"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "nirnay_decision_latency_seconds", Help: "Engine decision latency (feature fetch and evaluation) by step.",
			Buckets: []float64{10e-6, 25e-6, 50e-6, 100e-6, 250e-6, 500e-6, 1e-3, 2.5e-3, 5e-3, 10e-3, 50e-3},
		}, []string{"step"}),
	}
	if reg != nil {
		reg.MustRegister(s.decisions, s.latency,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "nirnay_decision_log_backlog", Help: "Decisions logged locally but not yet shipped to the database.",
			}, func() float64 { return float64(log.Stats().Pending) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "nirnay_decision_log_lag_seconds", Help: "Age of the newest decision when it reached the database.",
			}, func() float64 { return log.Stats().Lag.Seconds() }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "nirnay_decision_log_held_bytes", Help: "Bytes of unshipped decisions held in memory (the rest are read back from the segments).",
			}, func() float64 { return float64(log.Stats().HeldBytes) }),
		)
	}
	return s
}

// UseVelocity makes the service count the velocity events its decisions
// cause (see Velocity and Decide). Call it before the service decides.
func (s *Service) UseVelocity(v *Velocity) { s.velocity = v }

// Body is what the log keeps for an acted-on decision: the response exactly
// as it was sent, the masked input, the feature values used with their ages,
// and the request fingerprint for idempotency.
type Body struct {
	Response    json.RawMessage `json:"response"`
	Input       map[string]any  `json:"input"`
	Features    []FeatureUsed   `json:"features"`
	RequestHash string          `json:"request_hash"`
	FetchUS     int64           `json:"fetch_us"`
	EvalUS      int64           `json:"eval_us"`
}

// FeatureUsed is one feature value a decision read.
type FeatureUsed struct {
	Name  string `json:"name"`
	Value any    `json:"value"`
	AgeMS int64  `json:"age_ms"`
	State string `json:"state"`
}

// ShadowBody is what the log keeps for a shadow evaluation.
type ShadowBody struct {
	Policy  engine.PolicyRef    `json:"policy"`
	Outcome nirnay.Outcome      `json:"outcome"`
	Reasons []string            `json:"reasons"`
	Score   int64               `json:"score"`
	Offer   nirnay.Offer        `json:"offer"`
	Rules   []engine.RuleResult `json:"rules"`
}

// Result is the answer to a decision request: the decision as a typed
// value for callers in Go (the lending core), and the exact bytes a client
// is answered (the same bytes on every replay).
type Result struct {
	Decision engine.Decision // typed; Log is empty for a replay
	Response json.RawMessage // the §6 decision JSON
	Replayed bool            // true when an earlier decision for the same request_id was returned
}

// replayed is the Result of an earlier decision's response. Offer numbers
// that are whole come back as int64, as the engine gave them.
func replayed(resp json.RawMessage) (Result, error) {
	var d engine.Decision
	dec := json.NewDecoder(bytes.NewReader(resp))
	dec.UseNumber()
	if err := dec.Decode(&d); err != nil {
		return Result{}, fmt.Errorf("decode logged decision: %w", err)
	}
	for k, v := range d.Offer {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				d.Offer[k] = i
			} else if f, err := n.Float64(); err == nil {
				d.Offer[k] = f
			}
		}
	}
	return Result{Decision: d, Response: resp, Replayed: true}, nil
}

// UseClaims makes request ids idempotent across every instance sharing db
// (see claims): the request is claimed in db before it is decided. For a
// database that several instances share (PostgreSQL); the embedded default
// needs none. Call it before the service decides.
func (s *Service) UseClaims(db *store.DB, logger *slog.Logger) {
	s.claims = &claims{db: db}
	if logger != nil {
		s.logger = logger
	}
}

// Decide makes a decision, logs it durably, counts the velocity events it
// causes (UseVelocity) and returns its JSON: the customer's next decision
// reads those counts. A request_id is scoped to its customer: a repeated
// one with the same request returns the first decision unchanged (from
// any instance, with UseClaims) and counts nothing again; with a different
// request it is a KindConflict error; one another instance is still
// deciding after a short wait is KindUnavailable (retry). A failure to count does not fail the
// decision (see Velocity). Errors: KindInvalid (unknown step, bad input),
// KindUnprocessable (no policy deployed), KindUnavailable (the shared
// database, for a request id not held locally), internal errors.
func (s *Service) Decide(ctx context.Context, req engine.Request) (Result, error) {
	hash := requestHash(req)
	if req.RequestID == "" {
		return s.decide(ctx, req, hash)
	}
	mu := &s.locks[stripe(req.CustomerID+"\x00"+req.RequestID)]
	mu.Lock()
	defer mu.Unlock()
	// With claims, the claim of a shipped decision answers its retries: look
	// only among the records not shipped yet (a lookup by request id in the
	// partitioned decisions table probes every partition; it was most of
	// PostgreSQL's work at 1,000 decisions/s). Without them (one process),
	// the log answers.
	if res, ok, err := s.replay(ctx, req, hash, s.claims != nil); ok || err != nil {
		return res, err
	}
	if s.claims == nil {
		return s.decide(ctx, req, hash)
	}
	now := time.Now()
	id := s.ids.At("dec", now)
	won, prev, err := s.claims.take(ctx, req.CustomerID, req.RequestID, hash, id, now)
	if err != nil {
		return Result{}, err
	}
	if !won {
		if prev.hash != hash {
			return Result{}, reused(req.RequestID, prev.decisionID)
		}
		resp, takeOver, err := s.await(ctx, req.CustomerID, req.RequestID, prev, func() (json.RawMessage, error) {
			res, ok, err := s.replay(ctx, req, hash, false)
			if err == nil && !ok {
				err = nirnay.Errorf(nirnay.KindNotFound, "not logged yet")
			}
			return res.Response, err
		})
		if err != nil {
			return Result{}, err
		}
		if !takeOver {
			return replayed(resp)
		}
		id = prev.decisionID // the claimer died: decide under its id
	}
	req.DecisionID = id
	res, err := s.decide(ctx, req, hash)
	if err != nil {
		// Nothing was logged: let a corrected retry claim the id again.
		_ = s.claims.release(context.WithoutCancel(ctx), req.CustomerID, req.RequestID, id)
		return Result{}, err
	}
	if err := s.claims.complete(ctx, req.CustomerID, req.RequestID, res.Response); err != nil {
		// The decision is logged and ships; other instances find it there.
		s.logger.Warn("decision claim not completed; retries elsewhere wait for the log to ship", "decision_id", id, "err", err)
	}
	return res, nil
}

// replay finds a logged decision for the request's customer and id (among
// the unshipped records only when unshippedOnly): ok with its response when
// the request is the same, a KindConflict error when it differs, neither
// when there is none.
func (s *Service) replay(ctx context.Context, req engine.Request, hash string, unshippedOnly bool) (Result, bool, error) {
	var prev *decisionlog.Record
	var err error
	if unshippedOnly {
		prev, err = s.log.FindUnshipped(req.CustomerID, req.RequestID)
	} else {
		prev, err = s.log.FindByRequest(ctx, req.CustomerID, req.RequestID)
	}
	switch {
	case nirnay.IsKind(err, nirnay.KindNotFound):
		return Result{}, false, nil
	case err != nil:
		return Result{}, false, err
	}
	var b Body
	if err := json.Unmarshal(prev.Body, &b); err != nil {
		return Result{}, false, fmt.Errorf("decode logged decision %s: %w", prev.ID, err)
	}
	if b.RequestHash != hash {
		return Result{}, false, reused(req.RequestID, prev.ID)
	}
	res, err := replayed(b.Response)
	return res, err == nil, err
}

// reused is the conflict of a request id used for a different request of
// the same customer.
func reused(requestID, decisionID string) error {
	return nirnay.Errorf(nirnay.KindConflict, "request_id %q was already used for a different request (decision %s)", requestID, decisionID)
}

// decide makes, logs and counts a new decision.
func (s *Service) decide(ctx context.Context, req engine.Request, hash string) (Result, error) {
	d, err := s.eng.Decide(ctx, req)
	if err != nil {
		return Result{}, classify(err)
	}
	resp, err := json.Marshal(d)
	if err != nil {
		return Result{}, fmt.Errorf("encode decision: %w", err)
	}
	resp = redactTrace(resp, req.Trace) // logged, answered and replayed so
	recs, err := records(d, loggedAt(req, d), resp, hash)
	if err != nil {
		return Result{}, err
	}
	if err := s.log.Append(recs...); err != nil {
		return Result{}, fmt.Errorf("log decision %s: %w", d.DecisionID, err)
	}
	if s.velocity != nil {
		s.velocity.decided(ctx, &d)
	}
	s.decisions.WithLabelValues(d.Step, string(d.Outcome), string(d.Policy.Role)).Inc()
	s.latency.WithLabelValues(d.Step).Observe(float64(d.LatencyUS) / 1e6)
	return Result{Decision: d, Response: resp}, nil
}

func classify(err error) error {
	switch {
	case errors.Is(err, engine.ErrInvalidRequest):
		return &nirnay.Error{Kind: nirnay.KindInvalid, Message: err.Error(), Err: err}
	case errors.Is(err, engine.ErrNoDeployment):
		return &nirnay.Error{Kind: nirnay.KindUnprocessable, Message: "no policy is deployed for this step", Err: err}
	}
	return err
}

// loggedAt is the decided_at a decision is logged with, which is the time
// in its id (the hot tier keys and partitions decisions on it, and a read
// by id finds the month from the id). The engine mints an id from the
// evaluation time, so that is the evaluation time. A claimed request's id
// (req.DecisionID) was minted when it was claimed, before it was decided,
// and a claim taken over is decided again under that id: its decisions
// are logged at the claim's millisecond, so every copy of one decision id
// carries one decided_at. The response's evaluated_at stays when the
// policy ran.
func loggedAt(req engine.Request, d engine.Decision) time.Time {
	if req.DecisionID != "" {
		if at, err := ids.Time(req.DecisionID); err == nil {
			return at
		}
	}
	return d.EvaluatedAt
}

// records builds the log records of a decision decided at at: the
// acted-on one, then one per shadow evaluation (ids <decision id>.s1, .s2 …).
func records(d engine.Decision, at time.Time, resp []byte, hash string) ([]*decisionlog.Record, error) {
	scratch := bodyPool.Get().(*[]byte)
	buf, err := appendBody((*scratch)[:0], d, resp, hash)
	body := bytes.Clone(buf) // its own, exactly sized: the log keeps it until shipped
	if cap(buf) <= 64<<10 {  // a rare huge input does not stay pinned
		*scratch = buf
		bodyPool.Put(scratch)
	}
	if err != nil {
		return nil, fmt.Errorf("encode decision log body: %w", err)
	}
	main := &decisionlog.Record{ID: d.DecisionID, RequestID: d.RequestID, CustomerID: d.CustomerID, Step: d.Step,
		Outcome: d.Outcome, PolicyID: d.Policy.ID, PolicyVersion: d.Policy.Version, Role: d.Policy.Role,
		Score: d.Score, DecidedAt: at, Rules: ruleIDs(d.Rules), Body: body}
	out := []*decisionlog.Record{main}
	for i, ev := range d.Log.Evaluations {
		if ev.Policy.Role != nirnay.RoleShadow {
			continue
		}
		sb, err := json.Marshal(ShadowBody{Policy: ev.Policy, Outcome: ev.Result.Outcome, Reasons: ev.Result.Reasons,
			Score: ev.Result.Score, Offer: ev.Result.Offer, Rules: ev.Result.Rules})
		if err != nil {
			return nil, fmt.Errorf("encode shadow result: %w", err)
		}
		out = append(out, &decisionlog.Record{ID: d.DecisionID + ".s" + strconv.Itoa(i), ParentID: d.DecisionID,
			RequestID: d.RequestID, CustomerID: d.CustomerID, Step: d.Step, Outcome: ev.Result.Outcome,
			PolicyID: ev.Policy.ID, PolicyVersion: ev.Policy.Version, Role: nirnay.RoleShadow, Score: ev.Result.Score,
			DecidedAt: at, Rules: ruleIDs(ev.Result.Rules), Body: sb})
	}
	return out, nil
}

// bodyPool holds scratch buffers for building log bodies.
var bodyPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

func ruleIDs(rs []engine.RuleResult) []string {
	ids := make([]string, 0, len(rs))
	for _, r := range rs {
		if r.Fired || r.Error != "" {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// requestHash fingerprints what a request asks (customer, step, input,
// trace) so a reused request_id can be told apart from a retry.
func requestHash(req engine.Request) string {
	b, _ := json.Marshal(struct {
		C string         `json:"c"`
		S string         `json:"s"`
		I map[string]any `json:"i"`
		T bool           `json:"t"`
	}{req.CustomerID, req.Step, req.Input, req.Trace})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:16])
}

func stripe(id string) uint32 {
	h := fnv.New32a()
	h.Write([]byte(id))
	return h.Sum32() % 256
}

// Get reads a decision (acted-on or shadow) by id from any tier.
func (s *Service) Get(ctx context.Context, id string) (*decisionlog.Record, error) {
	return s.log.Get(ctx, id)
}

// List lists decisions; see decisionlog.Filter.
func (s *Service) List(ctx context.Context, f decisionlog.Filter) ([]*decisionlog.Record, string, error) {
	return s.log.List(ctx, f)
}
