package cases

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// TopicDecided is the outbox topic (and event type) of a decided case.
const TopicDecided = "case_decided"

var reasonCode = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// check validates a verdict's shape (KindInvalid naming the field).
func (v *Verdict) check() error {
	switch {
	case v.Outcome != nirnay.Approve && v.Outcome != nirnay.Decline:
		return nirnay.FieldError("outcome", "must be approve or decline")
	case v.Outcome == nirnay.Decline && len(v.Reasons) == 0:
		return nirnay.FieldError("reasons", "a decline needs at least one reason code")
	case len(v.Reasons) > maxReasons:
		return nirnay.FieldError("reasons", "at most %d reason codes", maxReasons)
	case len(v.Note) > maxNoteLength:
		return nirnay.FieldError("note", "is longer than %d characters", maxNoteLength)
	case v.Outcome != nirnay.Approve && (v.Limit != nil || v.TenureMonths != nil):
		return nirnay.FieldError("offer", "only an approve carries an offer")
	case v.Limit != nil && *v.Limit <= 0:
		return nirnay.FieldError("offer.limit", "must be greater than zero")
	case v.TenureMonths != nil && *v.TenureMonths <= 0:
		return nirnay.FieldError("offer.tenure_months", "must be greater than zero")
	}
	for _, r := range v.Reasons {
		if len(r) > maxReasonLen || !reasonCode.MatchString(r) {
			return nirnay.FieldError("reasons", "%q is not a reason code (A-Z, 0-9 and _, at most %d characters)", r, maxReasonLen)
		}
	}
	if v.Reasons == nil {
		v.Reasons = []string{}
	}
	return nil
}

// same reports whether a repeated verdict is the one given: same outcome
// and reasons (a retry, answered unchanged).
func (v *Verdict) same(r *Review) bool {
	return r.Outcome == v.Outcome && slices.Equal(r.Reasons, v.Reasons)
}

// Decide records a reviewer's verdict on a case the caller holds. Above
// the queue's four-eyes amount the first verdict leaves the case
// awaiting_second (unassigned, for another reviewer to claim); the second
// reviewer's verdict, or the only one below it, decides the case: the
// verdict is logged as a decision (role manual, parent the reviewed
// decision, the same policy version, input and features) and a
// case_decided event goes through the outbox, in the transaction that
// decides the case. On approve the offer is the policy's offer over the
// reviewed decision's vector and input, with the reviewer's lower limit
// or shorter tenure. The same verdict again (same outcome and reasons,
// from whoever gave it) answers the case unchanged.
//
// Errors: KindInvalid (the verdict), KindNotFound, KindForbidden (a role
// that may not decide the queue), KindConflict (not claimed by the
// caller, decided or reviewed with another verdict, or a second review by
// the first reviewer), KindUnprocessable (a limit or tenure above the
// policy's offer, an offer the policy cannot make).
func (s *Service) Decide(ctx context.Context, who Caller, id string, v Verdict) (*Case, error) {
	if err := v.check(); err != nil {
		return nil, err
	}
	c, err := s.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if done, err := s.settled(c, who, &v); done || err != nil {
		return c, err
	}
	var offer nirnay.Offer
	var rec *decisionlog.Record
	if rec, err = s.log.Get(ctx, c.DecisionID); err != nil {
		return nil, fmt.Errorf("case %s: reviewed decision: %w", c.ID, err)
	}
	var body decisions.Body
	if err := decodeNumbers(rec.Body, &body); err != nil {
		return nil, fmt.Errorf("case %s: reviewed decision %s: %w", c.ID, rec.ID, err)
	}
	if v.Outcome == nirnay.Approve {
		if offer, err = s.offer(rec, &body, &v); err != nil {
			return nil, err
		}
	}
	q, err := s.queue(c.Queue)
	if err != nil {
		return nil, err
	}
	// The verdict's decision row goes into this month's partition (on
	// PostgreSQL), which must exist before the case's transaction writes it.
	if _, err := s.log.EnsurePartitions(ctx, s.now(), 0); err != nil {
		return nil, fmt.Errorf("case %s: decision partition: %w", c.ID, err)
	}
	var verdictID string
	out, err := s.change(ctx, id, who.Actor, func(tx *sql.Tx, c *Case, now time.Time) (*Event, string, error) {
		if done, err := s.settled(c, who, &v); done || err != nil {
			return nil, "", err
		}
		review := Review{Outcome: v.Outcome, Reasons: v.Reasons, Note: v.Note, Offer: offer, By: who.Actor, At: now}
		if q.FourEyes(c.Amount) && c.FirstReview == nil {
			c.FirstReview, c.Status, c.Assignee, c.AssignedAt = &review, StatusAwaitingSecond, nil, nil
			return &Event{Action: ActionReviewed, Body: map[string]any{"outcome": v.Outcome, "reasons": v.Reasons, "note": v.Note,
				"offer": offer, "four_eyes_above": q.FourEyesAbove}}, "case.review", nil
		}
		verdictID = s.ids.At("dec", now)
		vrec, err := verdictRecord(c, rec, &body, review, verdictID)
		if err != nil {
			return nil, "", err
		}
		c.Resolution = &Resolution{Review: review, DecisionID: verdictID}
		c.Status, c.Assignee, c.AssignedAt = StatusDecided, nil, nil
		if err := decisionlog.WriteTx(ctx, tx, s.db.Dialect, vrec); err != nil {
			return nil, "", err
		}
		if err := s.emitDecided(ctx, tx, c, now); err != nil {
			return nil, "", err
		}
		return &Event{Action: ActionDecided, Body: map[string]any{"outcome": v.Outcome, "reasons": v.Reasons, "note": v.Note,
			"offer": offer, "decision_id": verdictID}}, "case.decide", nil
	})
	if err != nil {
		return nil, err
	}
	if verdictID != "" && out.Resolution != nil && out.Resolution.DecisionID == verdictID {
		s.metrics.decided(out, who.Actor)
		if s.after != nil {
			s.after()
		}
	} else if out.FirstReview != nil && out.Status == StatusAwaitingSecond {
		s.metrics.reviewed(out.Queue, who.Actor)
	}
	return out, nil
}

// settled checks a verdict against the case's state: done (with no
// error) when the same verdict was given already, an error when the
// caller may not decide the case now, neither when it may.
func (s *Service) settled(c *Case, who Caller, v *Verdict) (done bool, err error) {
	switch {
	case c.Resolution != nil:
		if v.same(&c.Resolution.Review) {
			return true, nil
		}
		return false, conflict("case %s is decided already (%s by %s)", c.ID, c.Resolution.Outcome, c.Resolution.By.Name)
	case c.FirstReview != nil && c.FirstReview.By.ID == who.ID:
		if v.same(c.FirstReview) {
			return true, nil
		}
		return false, conflict("you gave case %s its first review (%s); a second reviewer decides it", c.ID, c.FirstReview.Outcome)
	case c.Assignee == nil:
		return false, conflict("case %s is not claimed; claim it before deciding", c.ID)
	case c.Assignee.ID != who.ID:
		return false, conflict("case %s is assigned to %s", c.ID, c.Assignee.Name)
	}
	q, err := s.queue(c.Queue)
	if err != nil {
		return false, err
	}
	if !q.MayDecide(who.Role) {
		return false, forbidden("role %q may not decide cases of queue %s", who.Role, c.Queue)
	}
	return false, nil
}

// offer is an approval's offer: the reviewed policy's offer expressions
// over the decision's logged features (as observed then) and input at its
// time, with the reviewer's limit and tenure where they are lower. A
// reviewer may never raise them (KindUnprocessable).
func (s *Service) offer(rec *decisionlog.Record, body *decisions.Body, v *Verdict) (nirnay.Offer, error) {
	unprocessable := func(format string, a ...any) error { return nirnay.Errorf(nirnay.KindUnprocessable, format, a...) }
	c, ok := s.policies.Get(rules.PolicyRef{ID: rec.PolicyID, Version: rec.PolicyVersion})
	if !ok {
		return nil, unprocessable("policy %s@%d of the reviewed decision is not loaded", rec.PolicyID, rec.PolicyVersion)
	}
	obs := map[string]features.Observed{}
	for _, f := range body.Features {
		switch features.State(f.State) {
		case features.Stale, features.Missing, features.Default:
			continue // as the decision saw it: not there (a default applies again)
		}
		if _, known := s.builder.Catalog().Lookup(f.Name); known && f.Value != nil {
			obs[f.Name] = features.Observed{Value: f.Value, AsOf: rec.DecidedAt.Add(-time.Duration(f.AgeMS) * time.Millisecond)}
		}
	}
	vec, err := s.builder.BuildObserved(obs, rec.DecidedAt)
	if err == nil {
		vec, err = vec.WithInput(body.Input, rec.DecidedAt)
	}
	if err != nil {
		return nil, unprocessable("the reviewed decision's features cannot be read back: %v", err)
	}
	offer, err := engine.Offer(c, engine.Inputs{Vector: vec, Input: body.Input, Now: rec.DecidedAt})
	if errors.Is(err, engine.ErrOfferFailed) {
		return nil, unprocessable("policy %s@%d cannot make an offer for this decision (an offer expression fails on its features)", rec.PolicyID, rec.PolicyVersion)
	}
	if err != nil {
		return nil, err
	}
	lower := func(field string, to *int64) error {
		if to == nil {
			return nil
		}
		had, ok := offer.Int(field)
		switch {
		case !ok:
			return unprocessable("policy %s@%d offers no %s to lower", rec.PolicyID, rec.PolicyVersion, field)
		case *to > had:
			return unprocessable("offer.%s %d is above the policy's offer %d; a reviewer may only lower it", field, *to, had)
		}
		offer[field] = *to
		return nil
	}
	if err := lower("limit", v.Limit); err != nil {
		return nil, err
	}
	if err := lower("tenure_months", v.TenureMonths); err != nil {
		return nil, err
	}
	return offer, nil
}

// verdictRecord is the verdict as a decision-log record: role manual,
// parent the reviewed decision, the same policy version, step, score,
// input and features; the response is the §6 decision JSON with the
// reviewer's outcome, reasons and offer, and the case, reviewer and note.
func verdictRecord(c *Case, rec *decisionlog.Record, body *decisions.Body, r Review, id string) (*decisionlog.Record, error) {
	reasons := r.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	resp, err := json.Marshal(map[string]any{"decision_id": id, "request_id": "", "customer_id": c.CustomerID, "step": c.Step,
		"outcome": r.Outcome, "reasons": reasons, "score": rec.Score, "offer": r.Offer, "actions": []string{},
		"policy": engine.PolicyRef{ID: rec.PolicyID, Version: rec.PolicyVersion, Role: nirnay.RoleManual},
		"rules":  []engine.RuleResult{}, "shadow": []engine.ShadowResult{}, "evaluated_at": r.At, "latency_us": 0,
		"parent_id": rec.ID, "case_id": c.ID, "reviewer": r.By, "note": r.Note})
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(decisions.Body{Response: resp, Input: body.Input, Features: body.Features})
	if err != nil {
		return nil, err
	}
	return &decisionlog.Record{ID: id, ParentID: rec.ID, CustomerID: c.CustomerID, Step: c.Step, Outcome: r.Outcome,
		PolicyID: rec.PolicyID, PolicyVersion: rec.PolicyVersion, Role: nirnay.RoleManual, Score: rec.Score, DecidedAt: r.At,
		Rules: []string{}, Body: b}, nil
}

// Decided is the case_decided event's data: what the journey resumes on.
// Consumers read the case itself (Get) before acting, never only this.
type Decided struct {
	CaseID            string         `json:"case_id"`
	DecisionID        string         `json:"decision_id"` // the reviewed decision
	VerdictDecisionID string         `json:"verdict_decision_id"`
	CustomerID        string         `json:"customer_id"`
	Step              string         `json:"step"`
	Queue             string         `json:"queue"`
	Outcome           nirnay.Outcome `json:"outcome"`
	Reasons           []string       `json:"reasons"`
	Offer             nirnay.Offer   `json:"offer"`
	DecidedAt         time.Time      `json:"decided_at"`
}

func decidedOf(c *Case) Decided {
	r := c.Resolution
	return Decided{CaseID: c.ID, DecisionID: c.DecisionID, VerdictDecisionID: r.DecisionID, CustomerID: c.CustomerID, Step: c.Step,
		Queue: c.Queue, Outcome: r.Outcome, Reasons: r.Reasons, Offer: r.Offer, DecidedAt: r.At}
}

// emitDecided writes the case_decided outbox event in tx.
func (s *Service) emitDecided(ctx context.Context, tx *sql.Tx, c *Case, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (id, topic, key, payload, created_at) VALUES ($1, $2, $3, $4, $5)`,
		s.ids.At("obx", now), TopicDecided, c.ID, jsonText(decidedOf(c)), store.Instant(now))
	return store.Translate(err)
}

// decodeNumbers decodes JSON with whole numbers as int64 and others as
// float64 (as the engine gives them), never json.Number.
func decodeNumbers(b []byte, v *decisions.Body) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return err
	}
	engine.PlainNumbers(v.Input)
	for i := range v.Features {
		m := engine.PlainNumbers(map[string]any{"v": v.Features[i].Value})
		v.Features[i].Value = m["v"]
	}
	return nil
}
