package live

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/simulator"
)

// Reviewers is what reviewers decided on the referred decisions of a
// comparison (acted-on decisions whose outcome was review, verdicts read
// up to as_of), and how often each candidate policy — a shadow evaluated
// on the same requests — would have decided what the reviewer decided.
// Verdicts are labels a candidate can be tuned against: rules that refer
// what reviewers nearly always approve refer too much.
type Reviewers struct {
	Referred int64                    `json:"referred"` // acted-on review decisions in the range
	Reviewed int64                    `json:"reviewed"` // of them, with a verdict by as_of
	Verdicts map[nirnay.Outcome]int64 `json:"verdicts"` // verdict → count
	// Candidates: per shadow policy, Compared is the reviewed decisions it
	// evaluated, Agree those where its outcome was the verdict, Matrix
	// verdict → its outcome → count; Orphans its evaluations of reviewed
	// decisions outside the range (none: shadows share their decision's time).
	Candidates []Agreement `json:"candidates"`
	// Rules: per rule that fired (or errored) on reviewed decisions, how many and how
	// many of them the reviewers approved.
	Rules []RuleReview `json:"rules"`
}

// RuleReview is one referring rule's record with the reviewers (shared
// with the replay's report).
type RuleReview = simulator.RuleReview

// referral is an acted-on review decision of the range.
type referral struct {
	rules []string
}

// firedRules are the ids of a decision's fired and errored rules: the
// record's (cold tier), else its logged response's.
func firedRules(r *decisionlog.Record) []string {
	if len(r.Rules) > 0 {
		return r.Rules
	}
	var b struct {
		Response struct {
			Rules []struct {
				ID    string `json:"id"`
				Fired bool   `json:"fired"`
				Error string `json:"error"`
			} `json:"rules"`
		} `json:"response"`
	}
	if json.Unmarshal(r.Body, &b) != nil {
		return nil
	}
	var out []string
	for _, rr := range b.Response.Rules {
		if rr.Fired || rr.Error != "" {
			out = append(out, rr.ID)
		}
	}
	return out
}

// verdicts reads the reviewers' verdicts (role manual) on decisions of
// step decided from `from` until asOf, by the decision they review.
func verdicts(ctx context.Context, l Decisions, step string, from, asOf time.Time, limit int) (map[string]nirnay.Outcome, error) {
	out := map[string]nirnay.Outcome{}
	if !asOf.After(from) {
		return out, nil
	}
	err := EachDecision(ctx, l, Range{Step: step, From: from, To: asOf, Role: nirnay.RoleManual}, limit, func(r *decisionlog.Record) error {
		if r.ParentID != "" {
			out[r.ParentID] = r.Outcome
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reviewers' verdicts: %w", err)
	}
	return out, nil
}

// reviewerAgreement joins the range's referrals and their shadows with
// the verdicts.
func reviewerAgreement(referred map[string]referral, shadows []shadowOutcome, verdict map[string]nirnay.Outcome) Reviewers {
	tally := simulator.NewReviewTally()
	for id, ref := range referred {
		tally.Add(ref.rules, verdict[id])
	}
	cands := agreements{}
	for _, s := range shadows {
		v, ok := verdict[s.parent]
		if _, wasReferred := referred[s.parent]; !ok || !wasReferred {
			continue
		}
		cands.of(s.policy).Add(v, s.outcome)
	}
	return Reviewers{Referred: tally.Referred, Reviewed: tally.Reviewed, Verdicts: tally.Verdicts,
		Candidates: cands.list(), Rules: tally.Rules()}
}
