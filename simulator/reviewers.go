package simulator

import (
	"cmp"
	"slices"
	"time"

	"github.com/nirnay/nirnay"
)

// Referral is what the decision log says of a replayed decision that was
// referred (outcome review): the rules that fired or errored on it live,
// and the reviewer's verdict on it ("" while none was found).
type Referral struct {
	Rules   []string
	Verdict nirnay.Outcome
}

// RuleReview is one referring rule's record with the reviewers: of the
// reviewed referrals it fired (or errored) on, how many the reviewers
// approved. A rule whose referrals reviewers nearly always approve refers
// too much.
type RuleReview struct {
	Rule            string `json:"rule"`
	Reviewed        int64  `json:"reviewed"`
	Approved        int64  `json:"approved"`
	ApprovalRateBps *int64 `json:"approval_rate_bps"`
}

// ReviewTally counts referred decisions, the reviewers' verdicts on them
// and each referring rule's approvals. Counts are sums, so tallies merged
// in any order give the same figures. Use NewReviewTally; not safe for
// concurrent use.
type ReviewTally struct {
	Referred int64                    // referred decisions seen
	Reviewed int64                    // of them, with a verdict
	Verdicts map[nirnay.Outcome]int64 // verdict → count
	rules    map[string]*RuleReview
}

// NewReviewTally returns an empty tally.
func NewReviewTally() *ReviewTally {
	return &ReviewTally{Verdicts: map[nirnay.Outcome]int64{}, rules: map[string]*RuleReview{}}
}

// Add counts one referred decision whose fired rules were rules; verdict
// is the reviewer's, "" when it has none.
func (t *ReviewTally) Add(rules []string, verdict nirnay.Outcome) {
	t.Referred++
	if verdict == "" {
		return
	}
	t.Reviewed++
	t.Verdicts[verdict]++
	for _, rule := range rules {
		rr := t.rules[rule]
		if rr == nil {
			rr = &RuleReview{Rule: rule}
			t.rules[rule] = rr
		}
		rr.Reviewed++
		if verdict == nirnay.Approve {
			rr.Approved++
		}
	}
}

// Merge adds o's counts to t's.
func (t *ReviewTally) Merge(o *ReviewTally) {
	t.Referred += o.Referred
	t.Reviewed += o.Reviewed
	addCounts(t.Verdicts, o.Verdicts)
	for id, r := range o.rules {
		rr := t.rules[id]
		if rr == nil {
			rr = &RuleReview{Rule: id}
			t.rules[id] = rr
		}
		rr.Reviewed += r.Reviewed
		rr.Approved += r.Approved
	}
}

// Rules returns each referring rule's record with its approval rate, most
// reviewed first, then by rule id (empty, not nil, without any).
func (t *ReviewTally) Rules() []RuleReview {
	out := make([]RuleReview, 0, len(t.rules))
	for _, rr := range t.rules {
		r := *rr
		r.ApprovalRateBps = bps(r.Approved, r.Reviewed)
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b RuleReview) int {
		if a.Reviewed != b.Reviewed {
			return cmp.Compare(b.Reviewed, a.Reviewed)
		}
		return cmp.Compare(a.Rule, b.Rule)
	})
	return out
}

// OutcomeAgreement compares a policy's outcomes with reference outcomes
// (the acted-on decision's, or a reviewer's verdict) on the same
// decisions. Use NewOutcomeAgreement, then Add and Merge; Finish sets the
// rate.
type OutcomeAgreement struct {
	Compared     int64                                       `json:"compared"`
	Agree        int64                                       `json:"agree"`
	AgreementBps *int64                                      `json:"agreement_bps"`
	Matrix       map[nirnay.Outcome]map[nirnay.Outcome]int64 `json:"matrix"` // reference outcome → the policy's outcome → count
}

// NewOutcomeAgreement returns an empty comparison.
func NewOutcomeAgreement() OutcomeAgreement {
	return OutcomeAgreement{Matrix: map[nirnay.Outcome]map[nirnay.Outcome]int64{}}
}

// Add counts one decision: the policy decided got where the reference
// outcome was ref.
func (g *OutcomeAgreement) Add(ref, got nirnay.Outcome) { g.addN(ref, got, 1) }

func (g *OutcomeAgreement) addN(ref, got nirnay.Outcome, n int64) {
	g.Compared += n
	if ref == got {
		g.Agree += n
	}
	if g.Matrix[ref] == nil {
		g.Matrix[ref] = map[nirnay.Outcome]int64{}
	}
	g.Matrix[ref][got] += n
}

// Merge adds o's counts to g's.
func (g *OutcomeAgreement) Merge(o *OutcomeAgreement) {
	for ref, row := range o.Matrix {
		for got, n := range row {
			g.addN(ref, got, n)
		}
	}
}

// Finish sets AgreementBps: Agree of Compared (null when none were).
func (g *OutcomeAgreement) Finish() { g.AgreementBps = bps(g.Agree, g.Compared) }

// Reviewers is the report's comparison of a log replay with the
// reviewers (report.json "reviewers"; absent when the replayed data has
// no verdicts, as a generated dataset has none). Referred counts the
// replayed decisions the log shows referred, Reviewed those of them with a
// verdict decided before VerdictsUntil; Baseline and Candidate compare
// each replayed policy's outcome with the verdict on the reviewed ones;
// Rules are the live decisions' fired rules with the reviewers' approvals.
type Reviewers struct {
	Referred      int64                    `json:"referred"`
	Reviewed      int64                    `json:"reviewed"`
	VerdictsUntil *time.Time               `json:"verdicts_until"` // verdicts were read until then (exclusive); null when the source does not say
	Verdicts      map[nirnay.Outcome]int64 `json:"verdicts"`
	Baseline      VerdictAgreement         `json:"baseline"`
	Candidate     VerdictAgreement         `json:"candidate"`
	Rules         []RuleReview             `json:"rules"`
}

// VerdictAgreement is one replayed policy against the reviewers: Agree
// where it decides what the reviewer did (approve ~ approve, decline ~
// decline), StillRefers where it refers again, Disagree otherwise (it
// approves what a reviewer declined, declines or steps up what one
// approved). Matrix is verdict → replayed outcome → count.
type VerdictAgreement struct {
	OutcomeAgreement
	StillRefers int64 `json:"still_refers"`
	Disagree    int64 `json:"disagree"`
}

func verdictAgreement(g OutcomeAgreement) VerdictAgreement {
	g.Finish()
	v := VerdictAgreement{OutcomeAgreement: g}
	for _, row := range g.Matrix {
		v.StillRefers += row[nirnay.Review]
	}
	v.Disagree = g.Compared - g.Agree - v.StillRefers
	return v
}

// reviewAcc is a worker's share of the comparison with the reviewers.
type reviewAcc struct {
	tally      *ReviewTally
	base, cand OutcomeAgreement
}

func newReviewAcc() *reviewAcc {
	return &reviewAcc{tally: NewReviewTally(), base: NewOutcomeAgreement(), cand: NewOutcomeAgreement()}
}

func (a *reviewAcc) add(ref *Referral, base, cand nirnay.Outcome) {
	a.tally.Add(ref.Rules, ref.Verdict)
	if ref.Verdict == "" {
		return
	}
	a.base.Add(ref.Verdict, base)
	a.cand.Add(ref.Verdict, cand)
}

func (a *reviewAcc) merge(o *reviewAcc) {
	a.tally.Merge(o.tally)
	a.base.Merge(&o.base)
	a.cand.Merge(&o.cand)
}

// report is the section, nil when no replayed decision had a verdict.
func (a *reviewAcc) report() *Reviewers {
	if a.tally.Reviewed == 0 {
		return nil
	}
	return &Reviewers{Referred: a.tally.Referred, Reviewed: a.tally.Reviewed, Verdicts: a.tally.Verdicts,
		Baseline: verdictAgreement(a.base), Candidate: verdictAgreement(a.cand), Rules: a.tally.Rules()}
}

// VerdictSource is a Source that reads reviewers' verdicts; the report
// states until when it read them.
type VerdictSource interface {
	Source
	VerdictsUntil() time.Time
}
