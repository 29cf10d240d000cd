package engine

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

// Inputs are everything one evaluation of a policy reads.
type Inputs struct {
	Vector *features.Vector
	Input  map[string]any // the step's request payload (CEL `input`)
	Now    time.Time      // decision time (CEL `now`, and feature staleness)
	Lists  Lists          // managed lists for in_list; nil: every list is empty
	Trace  bool           // report every rule with the features it read
}

// Result is the outcome of evaluating one policy version (§4).
type Result struct {
	Outcome nirnay.Outcome
	Reasons []string
	Score   int64
	Offer   nirnay.Offer // nil when there is no offer
	Actions []string
	Rules   []RuleResult // fired and errored rules; every rule with Trace
}

// RuleResult explains one rule in a decision. Fired rules carry their
// outcome, reasons, score and actions; errored rules carry Error.
type RuleResult struct {
	ID       string         `json:"id"`
	Fired    bool           `json:"fired"`
	Outcome  nirnay.Outcome `json:"outcome,omitempty"`
	Reasons  []string       `json:"reasons,omitempty"`
	Score    int64          `json:"score,omitempty"`
	Actions  []string       `json:"actions,omitempty"`
	Error    string         `json:"error,omitempty"`
	Features map[string]any `json:"features,omitempty"` // with trace: the features it read (null when missing)
}

// ErrCatalogMismatch means a vector was built against a different catalog
// than the policy was compiled with.
var ErrCatalogMismatch = errors.New("feature vector and policy use different catalogs")

// Evaluate runs one compiled policy over one vector exactly per §4: every
// rule is evaluated; a rule fires when true and errors when its result is
// an error or not a bool; score = base + fired scores; the first band with
// score < below applies; the final outcome is the highest-precedence one
// among fired outcomes, the band's outcome and on_error (if any rule
// errored), else the default; reasons and actions come from fired rules
// with the final outcome in file order (RULE_ERROR at an errored rule's
// place when on_error is final), then the band's reasons; the offer is
// evaluated only for approve, and an offer error makes the outcome
// on_error with reasons [OFFER_ERROR] and no offer.
//
// Evaluate is deterministic: the same inputs give the same Result.
func Evaluate(c *rules.Compiled, in Inputs) (Result, error) {
	if in.Vector.Catalog() != c.Env.Catalog {
		return Result{}, ErrCatalogMismatch
	}
	p := c.Policy
	act := newActivation(in.Vector, &in)
	defer act.release()
	// One execution frame serves every program of the policy: the late
	// bound in_list is looked up once, not once per rule. The programs have
	// no default variables and track no cost, so a shared frame is exactly
	// what each Eval would have built.
	frame, err := interpreter.NewExecutionFrame(act)
	if err != nil {
		return Result{}, err
	}
	defer frame.Close()

	// state per rule: 0 not fired, 1 fired, 2 errored.
	var stackState [256]uint8
	state := stackState[:0]
	if len(c.Rules) > len(stackState) {
		state = make([]uint8, 0, len(c.Rules))
	}
	var res Result
	var errMsgs map[int]string
	anyErr := false
	score := int64(0)
	if p.Score != nil {
		score = p.Score.Base
	}
	for i := range c.Rules {
		cr := &c.Rules[i]
		out, _, err := cr.Program.Eval(frame)
		st := uint8(0)
		if err == nil {
			if b, ok := out.(types.Bool); ok {
				if b {
					st = 1
				}
			} else {
				err = fmt.Errorf("rule gave %s, not bool", out.Type().TypeName())
			}
		}
		if err != nil {
			st = 2
			anyErr = true
			if errMsgs == nil {
				errMsgs = map[int]string{}
			}
			errMsgs[i] = err.Error()
		}
		if st == 1 {
			score += cr.Rule.Score
		}
		state = append(state, st)
	}
	res.Score = score

	// Final outcome.
	final, best := nirnay.Outcome(""), math.MaxInt
	consider := func(o nirnay.Outcome) {
		if o == "" {
			return
		}
		if r := c.Rank(o); r < best {
			final, best = o, r
		}
	}
	for i, st := range state {
		if st == 1 {
			consider(c.Rules[i].Rule.Outcome)
		}
	}
	var band *rules.Band
	if p.Score != nil {
		for bi := range p.Score.Bands {
			if score < p.Score.Bands[bi].Below {
				band = &p.Score.Bands[bi]
				break
			}
		}
	}
	if band != nil {
		consider(band.Outcome)
	}
	if anyErr {
		consider(p.OnError)
	}
	if final == "" {
		final = p.Default
	}
	res.Outcome = final

	// Reasons and actions, in file order, without duplicates; sized once
	// for the most they can hold.
	nReasons, nActions := 0, 0
	for i, st := range state {
		r := c.Rules[i].Rule
		switch {
		case st == 1 && r.Outcome == final:
			nReasons, nActions = nReasons+len(r.Reasons), nActions+len(r.Actions)
		case st == 2 && p.OnError == final:
			nReasons++
		}
	}
	if band != nil && band.Outcome == final {
		nReasons += len(band.Reasons)
	}
	res.Reasons, res.Actions = make([]string, 0, nReasons), make([]string, 0, nActions)
	for i, st := range state {
		r := c.Rules[i].Rule
		switch {
		case st == 1 && r.Outcome == final:
			res.Reasons = appendNew(res.Reasons, r.Reasons...)
			res.Actions = appendNew(res.Actions, r.Actions...)
		case st == 2 && p.OnError == final:
			res.Reasons = appendNew(res.Reasons, rules.ReasonRuleError)
		}
	}
	if band != nil && band.Outcome == final {
		res.Reasons = appendNew(res.Reasons, band.Reasons...)
	}

	if final == nirnay.Approve && len(c.Offer) > 0 {
		offer, ok := evalOffer(c, frame)
		if ok {
			res.Offer = offer
		} else {
			res.Outcome = p.OnError
			res.Reasons = []string{rules.ReasonOfferError}
			res.Actions = []string{}
		}
	}

	// Explanation.
	n := len(state)
	if !in.Trace {
		n = 0
		for _, st := range state {
			if st != 0 {
				n++
			}
		}
	}
	res.Rules = make([]RuleResult, 0, n)
	for i, st := range state {
		if st == 0 && !in.Trace {
			continue
		}
		cr := &c.Rules[i]
		rr := RuleResult{ID: cr.Rule.ID, Fired: st == 1}
		switch st {
		case 1:
			rr.Outcome, rr.Reasons, rr.Score, rr.Actions = cr.Rule.Outcome, cr.Rule.Reasons, cr.Rule.Score, cr.Rule.Actions
		case 2:
			rr.Error = errMsgs[i]
		}
		if in.Trace {
			rr.Features = make(map[string]any, len(cr.Reads))
			for _, slot := range cr.Reads {
				rr.Features[c.Env.Catalog.Features[slot].Name] = in.Vector.Observe(slot, in.Now).Value
			}
		}
		res.Rules = append(res.Rules, rr)
	}
	return res, nil
}

func appendNew(dst []string, codes ...string) []string {
	for _, c := range codes {
		if !slices.Contains(dst, c) {
			dst = append(dst, c)
		}
	}
	return dst
}

// evalOffer evaluates the offer fields; false when any errors or has the
// wrong type. limit, annual_rate_bps and tenure_months are integers (a
// whole double is accepted); other fields may be int, double, string or
// bool.
func evalOffer(c *rules.Compiled, frame *interpreter.ExecutionFrame) (nirnay.Offer, bool) {
	offer := make(map[string]any, len(c.Offer))
	for i := range c.Offer {
		of := &c.Offer[i]
		out, _, err := of.Program.Eval(frame)
		if err != nil {
			return nil, false
		}
		v, ok := offerValue(of.Name, out)
		if !ok {
			return nil, false
		}
		offer[of.Name] = v
	}
	return offer, true
}

func offerValue(name string, v ref.Val) (any, bool) {
	intField := name == "limit" || name == "annual_rate_bps" || name == "tenure_months"
	switch x := v.(type) {
	case types.Int:
		return int64(x), true
	case types.Uint:
		if uint64(x) <= math.MaxInt64 {
			return int64(x), true
		}
	case types.Double:
		f := float64(x)
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, false
		}
		if !intField {
			return f, true
		}
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return int64(f), true
		}
	case types.String:
		if !intField {
			return string(x), true
		}
	case types.Bool:
		if !intField {
			return bool(x), true
		}
	}
	return nil, false
}
