// Package engine makes Nirnay's decisions: it resolves the policy deployed
// for a journey step (champion, challenger by stable hash, shadows), fetches
// the feature vector through a narrow FeatureSource, evaluates every rule
// exactly per DESIGN §4 and explains the result.
package engine

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/rules"
)

// FeatureSource gives the engine a decision's feature vector. The vector
// must be built against the catalog the deployed policies were compiled
// with. Implementations must be safe for concurrent use.
type FeatureSource interface {
	Vector(ctx context.Context, req features.Request) (*features.Vector, error)
}

// ErrInvalidRequest wraps problems with a request itself (unknown step,
// input of the wrong type for a request feature).
var ErrInvalidRequest = errors.New("invalid decision request")

// Config wires an Engine.
type Config struct {
	Features FeatureSource
	Lists    Lists                  // nil: every managed list is empty
	Clock    func() time.Time       // default time.Now
	NewID    func(time.Time) string // decision ids; default "dec_" + ULID (ids.Generator on Clock)
}

// Engine decides. It is safe for concurrent use; Activate swaps the
// deployed policies atomically while decisions are being made.
type Engine struct {
	cfg    Config
	active atomic.Pointer[DeploymentSet]
}

// New returns an engine with no policies deployed (Decide fails with
// ErrNoDeployment until Activate).
func New(cfg Config) *Engine {
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.NewID == nil {
		g := ids.New(cfg.Clock)
		cfg.NewID = func(t time.Time) string { return g.At("dec", t) }
	}
	return &Engine{cfg: cfg}
}

// Activate makes set the deployed policies for every step, replacing the
// previous set whole. Decisions in flight finish on the set they started
// with.
func (e *Engine) Activate(set *DeploymentSet) { e.active.Store(set) }

// Decide makes one decision: the acting policy (champion, or challenger by
// the customer's stable bucket) decides; shadows are evaluated and reported
// but never acted on. Errors: ErrInvalidRequest, ErrNoDeployment, feature
// source errors (wrapped), ErrCatalogMismatch.
func (e *Engine) Decide(ctx context.Context, req Request) (Decision, error) {
	start := e.cfg.Clock()
	set := e.active.Load()
	if req.Step == "" {
		return Decision{}, fmt.Errorf("%w: step is required", ErrInvalidRequest)
	}
	var sd *stepDeployment
	if set != nil {
		sd = set.steps[req.Step]
	}
	if sd == nil {
		if !slices.Contains(rules.Steps, req.Step) {
			return Decision{}, fmt.Errorf("%w: unknown step %q", ErrInvalidRequest, req.Step)
		}
		return Decision{}, fmt.Errorf("%s: %w", req.Step, ErrNoDeployment)
	}
	if e.cfg.Features == nil {
		return Decision{}, errors.New("engine has no feature source")
	}
	now := start.UTC()
	vec, err := e.cfg.Features.Vector(ctx, features.Request{CustomerID: req.CustomerID, Step: req.Step, Input: req.Input, Now: now})
	if err != nil {
		return Decision{}, fmt.Errorf("feature vector for %s: %w", req.CustomerID, err)
	}
	fetched := e.cfg.Clock()
	acting, role := sd.resolve(req.CustomerID, req.Step)
	in := Inputs{Vector: vec, Input: req.Input, Now: now, Lists: e.cfg.Lists, Trace: req.Trace}
	res, err := Evaluate(acting, in)
	if err != nil {
		return Decision{}, err
	}
	d := Decision{
		RequestID:   req.RequestID,
		CustomerID:  req.CustomerID,
		Step:        req.Step,
		Outcome:     res.Outcome,
		Reasons:     res.Reasons,
		Score:       res.Score,
		Offer:       res.Offer,
		Actions:     res.Actions,
		Policy:      PolicyRef{ID: acting.Policy.ID, Version: acting.Policy.Version, Role: role},
		Rules:       res.Rules,
		Shadow:      []ShadowResult{},
		EvaluatedAt: now,
	}
	d.Log.Input = req.Input
	d.Log.Evaluations = make([]Evaluation, 0, 1+len(sd.shadows))
	d.Log.Evaluations = append(d.Log.Evaluations, Evaluation{Policy: d.Policy, Result: res})
	in.Trace = false
	for _, sc := range sd.shadows {
		sr, err := Evaluate(sc, in)
		if err != nil {
			return Decision{}, err
		}
		ref := PolicyRef{ID: sc.Policy.ID, Version: sc.Policy.Version}
		d.Shadow = append(d.Shadow, ShadowResult{Policy: ref, Outcome: sr.Outcome, Reasons: sr.Reasons, Score: sr.Score})
		ref.Role = nirnay.RoleShadow
		d.Log.Evaluations = append(d.Log.Evaluations, Evaluation{Policy: ref, Result: sr})
	}
	d.Log.vec, d.Log.reads, d.Log.now = vec, sd.reads, now
	end := e.cfg.Clock()
	if d.DecisionID = req.DecisionID; d.DecisionID == "" {
		d.DecisionID = e.cfg.NewID(now)
	}
	d.Log.FetchNanos = int64(fetched.Sub(start))
	d.Log.EvalNanos = int64(end.Sub(fetched))
	d.LatencyUS = int64(end.Sub(start) / time.Microsecond)
	return d, nil
}
