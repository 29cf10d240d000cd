package decisions

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/store"
)

// Step-up results and the features they feed (DESIGN §15).
const (
	StepUpPassed = "passed"
	StepUpFailed = "failed"
	// FeatureStepUpPassed is the per_step list feature that holds the
	// challenges a customer passed, as "<step>:<action>:<unix expiry>".
	FeatureStepUpPassed = "step_up_passed"
	// EventStepUpFailed is the aggregate event of a failed challenge (any
	// step); a failed challenge at login is also EventLoginFailed.
	EventStepUpFailed = "step_up_failed"
	EventLoginFailed  = "login_failed"
	// StepUpValidity is how long a passed challenge lets its step through.
	StepUpValidity = 15 * time.Minute
	maxActionLen   = 64
)

// StepUpReport is one reported challenge of a step_up decision.
type StepUpReport struct {
	DecisionID string    `json:"decision_id"`
	CustomerID string    `json:"customer_id"`
	Step       string    `json:"step"`
	Action     string    `json:"action"`
	Result     string    `json:"result"`
	ReportedAt time.Time `json:"reported_at"`
	ReportedBy string    `json:"reported_by"`
}

// StepUpRequest is what the app reports: the result of one challenge of
// a decision. Customer, when not empty, is the only customer the caller
// may reach (a customer-scoped token): any other customer's decision is
// not found.
type StepUpRequest struct {
	DecisionID string
	Action     string
	Result     string
	By         string // the reporting key's id
	Customer   string
}

// DecisionReader reads logged decisions; *Service satisfies it.
type DecisionReader interface {
	Get(ctx context.Context, id string) (*decisionlog.Record, error)
}

// FeatureWriter stores online feature values; *features.Source satisfies it.
type FeatureWriter interface {
	Write(ctx context.Context, ws ...features.Write) error
}

// StepUps records the results of step-up challenges: durably, once per
// decision and challenge, in the shared database (so every instance sees
// them), and as features the next decision of the step reads: a pass goes
// into step_up_passed for StepUpValidity; a failure counts through the
// velocity table as step_up_failed (and login_failed at login), in the
// request. Safe for concurrent use.
type StepUps struct {
	db          *store.DB
	log         DecisionReader
	features    FeatureWriter
	failed      Counter // step_up_failed
	loginFailed Counter // login_failed
	clock       func() time.Time
	logger      *slog.Logger
}

// NewStepUps returns the step-up recorder, counting failures through v
// (whose table must hold step_up_failed and login_failed: an error
// otherwise). clock defaults to time.Now.
func NewStepUps(db *store.DB, log DecisionReader, fw FeatureWriter, v *Velocity, clock func() time.Time, logger *slog.Logger) (*StepUps, error) {
	failed, err := v.Counter(EventStepUpFailed)
	if err != nil {
		return nil, err
	}
	loginFailed, err := v.Counter(EventLoginFailed)
	if err != nil {
		return nil, err
	}
	if clock == nil {
		clock = time.Now
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &StepUps{db: db, log: log, features: fw, failed: failed, loginFailed: loginFailed, clock: clock, logger: logger}, nil
}

// Report records one challenge's result and returns it, with replayed true
// when the same result had been reported before (the first report stands
// and its effects are applied again, idempotently, so a retry after a
// partial failure completes them). Errors: KindInvalid naming the field
// (result not passed|failed, action empty or over 64 bytes); KindNotFound
// for an unknown decision or one of another customer; KindConflict when the
// decision is not an acted-on step_up, did not ask for the action, or the
// action was already reported with the other result; KindUnavailable when
// the database or feature store is down.
func (s *StepUps) Report(ctx context.Context, req StepUpRequest) (StepUpReport, bool, error) {
	switch {
	case req.Result != StepUpPassed && req.Result != StepUpFailed:
		return StepUpReport{}, false, nirnay.FieldError("result", "must be %q or %q", StepUpPassed, StepUpFailed)
	case req.Action == "":
		return StepUpReport{}, false, nirnay.FieldError("action", "is required")
	case len(req.Action) > maxActionLen:
		return StepUpReport{}, false, nirnay.FieldError("action", "is longer than %d bytes", maxActionLen)
	}
	rec, err := s.log.Get(ctx, req.DecisionID)
	if err != nil {
		return StepUpReport{}, false, err
	}
	if req.Customer != "" && rec.CustomerID != req.Customer {
		return StepUpReport{}, false, nirnay.Errorf(nirnay.KindNotFound, "not found")
	}
	if rec.Role == nirnay.RoleShadow || rec.Outcome != nirnay.StepUp {
		return StepUpReport{}, false, nirnay.Errorf(nirnay.KindConflict,
			"decision %s is not a step_up decision (its outcome is %s)", rec.ID, rec.Outcome)
	}
	asked, err := decisionActions(rec)
	if err != nil {
		return StepUpReport{}, false, err
	}
	if !slices.Contains(asked, req.Action) {
		return StepUpReport{}, false, nirnay.Errorf(nirnay.KindConflict,
			"decision %s did not ask for %q; it asked for %v", rec.ID, req.Action, asked)
	}
	now := s.clock().UTC()
	rep := StepUpReport{DecisionID: rec.ID, CustomerID: rec.CustomerID, Step: rec.Step, Action: req.Action,
		Result: req.Result, ReportedAt: now.Truncate(time.Microsecond), ReportedBy: req.By}
	res, err := s.db.Writer().ExecContext(ctx, `INSERT INTO step_ups (decision_id, action, customer_id, step, result, reported_at, reported_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (decision_id, action) DO NOTHING`,
		rep.DecisionID, rep.Action, rep.CustomerID, rep.Step, rep.Result, store.Instant(rep.ReportedAt), rep.ReportedBy)
	if err != nil {
		return StepUpReport{}, false, store.Translate(err)
	}
	replayed := false
	if n, _ := res.RowsAffected(); n == 0 {
		prev, err := s.stored(ctx, rep.DecisionID, rep.Action)
		if err != nil {
			return StepUpReport{}, false, err
		}
		if prev.Result != rep.Result {
			return StepUpReport{}, false, nirnay.Errorf(nirnay.KindConflict,
				"%q of decision %s was already reported as %s", rep.Action, rep.DecisionID, prev.Result)
		}
		rep, replayed = prev, true
	}
	if err := s.apply(ctx, rep, now); err != nil {
		return StepUpReport{}, false, err
	}
	if !replayed {
		s.logger.Info("step-up reported", "decision_id", rep.DecisionID, "step", rep.Step, "action", rep.Action, "result", rep.Result)
	}
	return rep, replayed, nil
}

// apply makes a report's effect on features: idempotent, so it is applied
// again on every replay.
func (s *StepUps) apply(ctx context.Context, rep StepUpReport, now time.Time) error {
	if rep.Result == StepUpFailed {
		// Counted in this request; a count the store cannot take now is
		// retried in the background under the same id (see Velocity).
		id := rep.DecisionID + "/" + rep.Action + "/"
		s.failed(ctx, Occurrence{ID: id + EventStepUpFailed, CustomerID: rep.CustomerID, At: rep.ReportedAt})
		if rep.Step == "login" {
			s.loginFailed(ctx, Occurrence{ID: id + EventLoginFailed, CustomerID: rep.CustomerID, At: rep.ReportedAt})
		}
		return nil
	}
	// The customer's passed challenges of the last StepUpValidity, every
	// step, each with its own expiry, written whole.
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT step, action, reported_at FROM step_ups
		WHERE customer_id = $1 AND result = $2 AND reported_at > $3 ORDER BY reported_at, step, action`,
		rep.CustomerID, StepUpPassed, store.Instant(now.Add(-StepUpValidity)))
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	passed := []string{}
	for rows.Next() {
		var step, action string
		var at time.Time
		if err := rows.Scan(&step, &action, store.ScanInstant(&at)); err != nil {
			return store.Translate(err)
		}
		until := at.Add(StepUpValidity).Unix()
		passed = append(passed, step+":"+action+":"+strconv.FormatInt(until, 10))
	}
	if err := rows.Err(); err != nil {
		return store.Translate(err)
	}
	return s.features.Write(ctx, features.Write{Key: features.EntityKey{Entity: "customer", ID: rep.CustomerID},
		Values: map[string]any{FeatureStepUpPassed: passed}, AsOf: now, By: "step-up"})
}

func (s *StepUps) stored(ctx context.Context, decisionID, action string) (StepUpReport, error) {
	var r StepUpReport
	err := s.db.Reader().QueryRowContext(ctx, `SELECT decision_id, action, customer_id, step, result, reported_at, reported_by
		FROM step_ups WHERE decision_id = $1 AND action = $2`, decisionID, action).
		Scan(&r.DecisionID, &r.Action, &r.CustomerID, &r.Step, &r.Result, store.ScanInstant(&r.ReportedAt), &r.ReportedBy)
	return r, store.Translate(err)
}

// List returns a customer's step-up reports in [from, to) (zero: open),
// oldest first, at most limit.
func (s *StepUps) List(ctx context.Context, customerID string, from, to time.Time, limit int) ([]StepUpReport, error) {
	q := `SELECT decision_id, action, customer_id, step, result, reported_at, reported_by FROM step_ups WHERE customer_id = $1`
	args := []any{customerID, limit}
	if !from.IsZero() {
		args = append(args, store.Instant(from))
		q += ` AND reported_at >= $` + strconv.Itoa(len(args))
	}
	if !to.IsZero() {
		args = append(args, store.Instant(to))
		q += ` AND reported_at < $` + strconv.Itoa(len(args))
	}
	q += ` ORDER BY reported_at, decision_id, action LIMIT $2`
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := []StepUpReport{}
	for rows.Next() {
		var r StepUpReport
		if err := rows.Scan(&r.DecisionID, &r.Action, &r.CustomerID, &r.Step, &r.Result, store.ScanInstant(&r.ReportedAt), &r.ReportedBy); err != nil {
			return nil, store.Translate(err)
		}
		out = append(out, r)
	}
	return out, store.Translate(rows.Err())
}

// decisionActions reads the actions an acted-on decision asked for from
// its logged response.
func decisionActions(rec *decisionlog.Record) ([]string, error) {
	var b struct {
		Response struct {
			Actions []string `json:"actions"`
		} `json:"response"`
	}
	if err := json.Unmarshal(rec.Body, &b); err != nil {
		return nil, fmt.Errorf("decode logged decision %s: %w", rec.ID, err)
	}
	return b.Response.Actions, nil
}
