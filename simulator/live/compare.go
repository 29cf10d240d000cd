package live

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/internal/india"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/simulator"
	"github.com/nirnay/nirnay/store"
)

// Defaults of CompareOptions.
const (
	DefaultBadDPD       = 90
	DefaultMatureDays   = 120
	DefaultCompareLimit = 2_000_000
)

// CompareOptions selects and labels a champion/challenger comparison.
type CompareOptions struct {
	Range
	// BadDPD: a disbursed loan is bad when its worst DPD reached BadDPD
	// (default 90: "ever 90+ DPD"), it was ever NPA, or it was written off.
	BadDPD int
	// MatureDays: a disbursed loan that is not bad is good only once it
	// has been disbursed this many days (default 120: a first instalment
	// due about 30 days in, plus 90 days); younger, it is immature.
	MatureDays int
	AsOf       time.Time // when outcomes are read; default time.Now()
	Limit      int       // most decisions read; default DefaultCompareLimit
}

// Comparison is the champion/challenger analysis of one step over a time
// range of live traffic (JSON of `simulate compare` and the API).
type Comparison struct {
	Step        string          `json:"step"`
	From        time.Time       `json:"from"`
	To          time.Time       `json:"to"`
	AsOf        string          `json:"as_of"` // the date outcomes were read, in India
	BadDPD      int             `json:"bad_dpd"`
	MatureDays  int             `json:"mature_days"`
	Decisions   int64           `json:"decisions"` // acted-on decisions in the range
	Arms        []Arm           `json:"arms"`
	Comparisons []ArmComparison `json:"comparisons"`
	Shadows     []Agreement     `json:"shadows"`
	Reviewers   Reviewers       `json:"reviewers"`
	Censoring   []string        `json:"censoring"`
}

// Arm is the traffic one policy version acted on in one role.
type Arm struct {
	Role            nirnay.PolicyRole         `json:"role"`   // champion | challenger
	Policy          string                    `json:"policy"` // id@version
	Decisions       int64                     `json:"decisions"`
	Customers       int64                     `json:"customers"`
	Outcomes        map[nirnay.Outcome]int64  `json:"outcomes"`
	RatesBps        map[nirnay.Outcome]*int64 `json:"rates_bps"` // of the arm's decisions
	Approved        int64                     `json:"approved"`
	ApprovalRateBps *int64                    `json:"approval_rate_bps"`
	Repayment       Repayment                 `json:"repayment"`
}

// Repayment is what became of an arm's approvals. Only Bad and Good are
// labels; the rest are censored and say why.
type Repayment struct {
	Approved   int64  `json:"approved"`
	NoLoan     int64  `json:"no_loan"`   // approved, but no disbursed loan came of it: no outcome
	Disbursed  int64  `json:"disbursed"` // approvals with at least one disbursed loan
	Bad        int64  `json:"bad"`
	Good       int64  `json:"good"`
	Immature   int64  `json:"immature"`     // not bad yet, too young to call good: no outcome yet
	BadRateBps *int64 `json:"bad_rate_bps"` // bad / (bad + good)
}

// ArmComparison tests a challenger arm against the champion arm.
type ArmComparison struct {
	Champion   string `json:"champion"`
	Challenger string `json:"challenger"`
	// ApprovalRate: approvals of decisions (A champion, B challenger).
	ApprovalRate ZTest `json:"approval_rate"`
	// BadRate: bad of labelled approvals (bad + good).
	BadRate ZTest `json:"bad_rate"`
}

// Agreement compares one shadow policy with the acted-on decisions of the
// same requests (Matrix: acted-on outcome → shadow outcome → count), or
// with the reviewers' verdicts on them (Reviewers.Candidates: verdict →
// shadow outcome).
type Agreement struct {
	Shadow string `json:"shadow"` // id@version
	simulator.OutcomeAgreement
	Orphans int64 `json:"orphans"`
}

// agreements tallies each shadow policy's agreement with a reference
// outcome (the acted-on decision's, or the reviewer's verdict), by
// "id@version".
type agreements map[string]*Agreement

// of returns the policy's tally, starting it at zero.
func (ag agreements) of(policy string) *Agreement {
	g := ag[policy]
	if g == nil {
		g = &Agreement{Shadow: policy, OutcomeAgreement: simulator.NewOutcomeAgreement()}
		ag[policy] = g
	}
	return g
}

// list returns the tallies with their agreement rates, by shadow policy
// (empty, not nil, without any).
func (ag agreements) list() []Agreement {
	out := make([]Agreement, 0, len(ag))
	for _, g := range ag {
		g.Finish()
		out = append(out, *g)
	}
	slices.SortFunc(out, func(a, b Agreement) int { return cmp.Compare(a.Shadow, b.Shadow) })
	return out
}

// shadowOutcome is one shadow evaluation: the decision it shadowed, the
// policy version and what it would have decided.
type shadowOutcome struct {
	parent, policy string
	outcome        nirnay.Outcome
}

type armKey struct {
	role   nirnay.PolicyRole
	policy string
}

type armAcc struct {
	arm       Arm
	customers map[string]struct{}
}

// Compare analyses live champion and challenger traffic of one step: per
// arm (role and policy version) the decisions, customers, outcome rates and
// approval rate; what became of the approvals, joined to the loan book
// (see ReadLoans: an approval's loans are those whose application carries
// the decision's request id); a two-proportion z-test of each challenger
// against the champion on the approval rate and the bad rate; and each
// shadow policy's agreement with the acted-on decisions; and for the
// referred decisions, the reviewers' verdicts (read until AsOf) with each
// shadow's agreement with them (Reviewers). Each customer is
// in one arm by the engine's stable hash, so arms are comparable
// populations while the deployment's percentages stay put.
//
// Errors: KindInvalid for a bad range; ErrTooMany past the limit.
func Compare(ctx context.Context, l Decisions, db *store.DB, o CompareOptions) (*Comparison, error) {
	if err := o.check(); err != nil {
		return nil, err
	}
	if o.BadDPD <= 0 {
		o.BadDPD = DefaultBadDPD
	}
	if o.MatureDays <= 0 {
		o.MatureDays = DefaultMatureDays
	}
	if o.AsOf.IsZero() {
		o.AsOf = time.Now()
	}
	if o.Limit <= 0 {
		o.Limit = DefaultCompareLimit
	}
	arms := map[armKey]*armAcc{}
	outcomeOf := map[string]nirnay.Outcome{} // acted-on decision id → outcome
	referred := map[string]referral{}        // acted-on review decisions
	var shadows []shadowOutcome
	type approval struct {
		acc *armAcc
		key LoanKey
	}
	var approvals []approval
	var total int64
	err := EachDecision(ctx, l, o.Range, o.Limit, func(r *decisionlog.Record) error {
		ref := fmt.Sprintf("%s@%d", r.PolicyID, r.PolicyVersion)
		switch {
		case r.Role == nirnay.RoleShadow:
			shadows = append(shadows, shadowOutcome{r.ParentID, ref, r.Outcome})
			return nil
		case !r.Role.ActedOn():
			return nil // a reviewer's verdict: read with the verdicts below
		case r.Outcome == nirnay.Review:
			referred[r.ID] = referral{rules: firedRules(r)}
		}
		total++
		k := armKey{r.Role, ref}
		a := arms[k]
		if a == nil {
			a = &armAcc{arm: Arm{Role: r.Role, Policy: ref, Outcomes: map[nirnay.Outcome]int64{}}, customers: map[string]struct{}{}}
			arms[k] = a
		}
		a.arm.Decisions++
		a.arm.Outcomes[r.Outcome]++
		a.customers[r.CustomerID] = struct{}{}
		outcomeOf[r.ID] = r.Outcome
		if r.Outcome == nirnay.Approve {
			a.arm.Approved++
			approvals = append(approvals, approval{a, LoanKey{r.CustomerID, r.RequestID}})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	verdict, err := verdicts(ctx, l, o.Step, o.From, o.AsOf, o.Limit)
	if err != nil {
		return nil, err
	}
	book, err := ReadLoans(ctx, db, o.From)
	if err != nil {
		return nil, err
	}
	asOf := dateOf(o.AsOf)
	for _, ap := range approvals {
		rp := &ap.acc.arm.Repayment
		rp.Approved++
		var ls []*Loan
		if ap.key.RequestID != "" {
			ls = book[ap.key]
		}
		switch label(ls, o.BadDPD, o.MatureDays, asOf) {
		case labelNoLoan:
			rp.NoLoan++
		case labelBad:
			rp.Disbursed++
			rp.Bad++
		case labelImmature:
			rp.Disbursed++
			rp.Immature++
		case labelGood:
			rp.Disbursed++
			rp.Good++
		}
	}

	c := &Comparison{Step: o.Step, From: o.From.UTC(), To: o.To.UTC(), AsOf: asOf.Format(time.DateOnly),
		BadDPD: o.BadDPD, MatureDays: o.MatureDays, Decisions: total, Arms: []Arm{}, Comparisons: []ArmComparison{}}
	for _, a := range arms {
		arm := a.arm
		arm.Customers = int64(len(a.customers))
		arm.RatesBps = map[nirnay.Outcome]*int64{}
		for _, out := range nirnay.Outcomes {
			arm.RatesBps[out] = bps(arm.Outcomes[out], arm.Decisions)
		}
		arm.ApprovalRateBps = bps(arm.Approved, arm.Decisions)
		arm.Repayment.BadRateBps = bps(arm.Repayment.Bad, arm.Repayment.Bad+arm.Repayment.Good)
		c.Arms = append(c.Arms, arm)
	}
	slices.SortFunc(c.Arms, func(a, b Arm) int {
		if a.Role != b.Role {
			return cmp.Compare(roleRank(a.Role), roleRank(b.Role))
		}
		if a.Role == nirnay.RoleChampion && a.Decisions != b.Decisions {
			return cmp.Compare(b.Decisions, a.Decisions) // the main champion first
		}
		return cmp.Compare(a.Policy, b.Policy)
	})
	if len(c.Arms) > 0 && c.Arms[0].Role == nirnay.RoleChampion {
		ch := c.Arms[0]
		for _, a := range c.Arms[1:] {
			if a.Role != nirnay.RoleChallenger {
				continue
			}
			c.Comparisons = append(c.Comparisons, ArmComparison{Champion: ch.Policy, Challenger: a.Policy,
				ApprovalRate: TwoProportion(ch.Approved, ch.Decisions, a.Approved, a.Decisions),
				BadRate: TwoProportion(ch.Repayment.Bad, ch.Repayment.Bad+ch.Repayment.Good,
					a.Repayment.Bad, a.Repayment.Bad+a.Repayment.Good)})
		}
	}

	agree := agreements{}
	for _, s := range shadows {
		g := agree.of(s.policy)
		acted, ok := outcomeOf[s.parent]
		if !ok {
			g.Orphans++
			continue
		}
		g.Add(acted, s.outcome)
	}
	c.Shadows = agree.list()
	c.Reviewers = reviewerAgreement(referred, shadows, verdict)
	c.Censoring = censoring(c)
	return c, nil
}

func (o CompareOptions) check() error {
	if err := o.Range.check(); err != nil {
		return err
	}
	if !slices.Contains(rules.Steps, o.Step) {
		return nirnay.FieldError("step", "unknown step %q; one of %v", o.Step, rules.Steps)
	}
	return nil
}

func roleRank(role nirnay.PolicyRole) int {
	if role == nirnay.RoleChampion {
		return 0
	}
	return 1
}

// censoring states, in words, which outcomes are unknown and why.
func censoring(c *Comparison) []string {
	notes := []string{
		"Only approvals have repayment outcomes: declined, review and step-up decisions have none, so bad rates compare the approved books of the arms, not the arms' whole populations.",
		fmt.Sprintf("A loan is bad when it reached %d DPD, was ever NPA or was written off; a loan not bad and disbursed fewer than %d days before %s is immature (no outcome yet), not good.", c.BadDPD, c.MatureDays, c.AsOf),
	}
	for _, a := range c.Arms {
		r := a.Repayment
		if r.Approved == 0 {
			continue
		}
		notes = append(notes, fmt.Sprintf("%s %s: %d of %d decisions have no outcome because they were not approved; of %d approvals, %d have no disbursed loan and %d only loans too young to judge, so the bad rate rests on %d labelled approvals.",
			a.Role, a.Policy, a.Decisions-a.Approved, a.Decisions, r.Approved, r.NoLoan, r.Immature, r.Bad+r.Good))
	}
	return notes
}

type outcomeLabel int

const (
	labelNoLoan outcomeLabel = iota
	labelBad
	labelImmature
	labelGood
)

// label reads an approval's outcome from its loans: bad if any disbursed
// loan is bad; else immature if any is still young and active; else good;
// no loan when none was disbursed (or all were cancelled in cooling-off).
func label(ls []*Loan, badDPD, matureDays int, asOf time.Time) outcomeLabel {
	disbursed, young := false, false
	for _, l := range ls {
		if l.DisbursedOn == "" || l.Status == loans.StatusCancelled {
			continue
		}
		disbursed = true
		if l.WorstDPD >= badDPD || l.EverNPA || l.Status == loans.StatusWrittenOff {
			return labelBad
		}
		on, err := time.Parse(time.DateOnly, l.DisbursedOn)
		if err != nil || (l.Status == loans.StatusActive && asOf.Sub(on) < time.Duration(matureDays)*24*time.Hour) {
			young = true
		}
	}
	switch {
	case !disbursed:
		return labelNoLoan
	case young:
		return labelImmature
	}
	return labelGood
}

// dateOf is t's calendar date in India, as midnight UTC of that date.
func dateOf(t time.Time) time.Time {
	y, m, d := t.In(india.Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Comparer returns Compare bound to a decision log and database, the shape
// the API takes.
func Comparer(l Decisions, db *store.DB) func(context.Context, CompareOptions) (*Comparison, error) {
	return func(ctx context.Context, o CompareOptions) (*Comparison, error) { return Compare(ctx, l, db, o) }
}
