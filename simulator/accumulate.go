package simulator

import (
	"cmp"
	"slices"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/rules"
)

// outcomeNames are the engine's outcomes at their fixed positions.
var outcomeNames = []nirnay.Outcome{nirnay.Approve, nirnay.Review, nirnay.StepUp, nirnay.Decline}

// outcomeIndex is o's position in outcomeNames; any other outcome string
// counts as the last (decline).
func outcomeIndex(o nirnay.Outcome) int {
	if i := slices.Index(outcomeNames, o); i >= 0 {
		return i
	}
	return len(outcomeNames) - 1
}

// Bands for breakdowns: a value falls in the first band whose upper bound
// (exclusive) exceeds it; the label "missing" holds records without it.
type band struct {
	label string
	below int64
}

var scoreBands = []band{
	{"new_to_credit", 0}, {"300-599", 600}, {"600-649", 650}, {"650-699", 700},
	{"700-749", 750}, {"750-799", 800}, {"800-900", 1 << 62},
}

var incomeBands = []band{
	{"below 15000", 15000}, {"15000-24999", 25000}, {"25000-49999", 50000},
	{"50000-99999", 100000}, {"100000 and above", 1 << 62},
}

// limitBuckets split approved offer limits (rupees).
var limitBuckets = []band{
	{"0-24999", 25000}, {"25000-49999", 50000}, {"50000-99999", 100000},
	{"100000-199999", 200000}, {"200000-299999", 300000}, {"300000-500000", 500001},
	{"above 500000", 1 << 62},
}

// bandOf returns the band index, or len(bands) for "missing".
func bandOf(bands []band, v int64, ok bool) int {
	if !ok {
		return len(bands)
	}
	for i, b := range bands {
		if v < b.below {
			return i
		}
	}
	return len(bands) - 1
}

// labelled counts records and, of them, those labelled default_90d and
// those labelled fraud.
type labelled struct {
	n, defaults, fraud int64
}

// add counts one record with its labels.
func (c *labelled) add(l Labels) {
	c.n++
	if l.Default90d {
		c.defaults++
	}
	if l.Fraud {
		c.fraud++
	}
}

func (c *labelled) merge(o labelled) {
	c.n += o.n
	c.defaults += o.defaults
	c.fraud += o.fraud
}

// side is what one policy did across the replay.
type side struct {
	c         *rules.Compiled
	ruleIndex map[string]int
	outcomes  [4]int64
	errored   int64    // records where a rule errored
	approved  labelled // approvals, their defaults and fraud
	limit     int64    // sum of approved offer limits, rupees
	loss      int64    // sum of approved limits that defaulted, rupees
	offered   int64    // approvals with a limit
	ruleHits  []int64
	ruleErrs  []int64
	reasons   map[string]int64
	limits    []int64 // per limitBuckets
	rates     map[int64]int64
	tenures   map[int64]int64
}

func newSide(c *rules.Compiled) *side {
	s := &side{c: c, ruleIndex: make(map[string]int, len(c.Policy.Rules)),
		ruleHits: make([]int64, len(c.Policy.Rules)), ruleErrs: make([]int64, len(c.Policy.Rules)),
		reasons: map[string]int64{}, limits: make([]int64, len(limitBuckets)),
		rates: map[int64]int64{}, tenures: map[int64]int64{}}
	for i, r := range c.Policy.Rules {
		s.ruleIndex[r.ID] = i
	}
	return s
}

func (s *side) add(res *engine.Result, l Labels) (limit int64) {
	s.outcomes[outcomeIndex(res.Outcome)]++
	anyErr := false
	for i := range res.Rules {
		rr := &res.Rules[i]
		k, ok := s.ruleIndex[rr.ID]
		if !ok {
			continue
		}
		if rr.Fired {
			s.ruleHits[k]++
		}
		if rr.Error != "" {
			s.ruleErrs[k]++
			anyErr = true
		}
	}
	if anyErr {
		s.errored++
	}
	for _, r := range res.Reasons {
		s.reasons[r]++
	}
	if res.Outcome != nirnay.Approve {
		return 0
	}
	s.approved.add(l)
	limit = offerInt(res.Offer, "limit")
	if l.Default90d {
		s.loss += limit
	}
	if res.Offer != nil {
		if _, ok := res.Offer["limit"]; ok {
			s.offered++
			s.limit += limit
			s.limits[bandOf(limitBuckets, limit, true)]++
		}
		if v, ok := res.Offer["annual_rate_bps"].(int64); ok {
			s.rates[v]++
		}
		if v, ok := res.Offer["tenure_months"].(int64); ok {
			s.tenures[v]++
		}
	}
	return limit
}

func offerInt(offer map[string]any, key string) int64 {
	v, _ := offer[key].(int64)
	return v
}

func (s *side) merge(o *side) {
	addEach(s.outcomes[:], o.outcomes[:])
	s.errored += o.errored
	s.approved.merge(o.approved)
	s.limit += o.limit
	s.loss += o.loss
	s.offered += o.offered
	addEach(s.ruleHits, o.ruleHits)
	addEach(s.ruleErrs, o.ruleErrs)
	addCounts(s.reasons, o.reasons)
	addEach(s.limits, o.limits)
	addCounts(s.rates, o.rates)
	addCounts(s.tenures, o.tenures)
}

// addEach adds each count of src to the count at its index in dst (as
// long as src).
func addEach(dst, src []int64) {
	for i, n := range src {
		dst[i] += n
	}
}

// addCounts adds each count of src to the count of its key in dst.
func addCounts[K comparable](dst, src map[K]int64) {
	for k, n := range src {
		dst[k] += n
	}
}

// bandStats is one breakdown row: the band's customers, and those the
// baseline and the candidate approved.
type bandStats struct {
	customers, baseApproved, candApproved labelled
}

func (b *bandStats) merge(o *bandStats) {
	b.customers.merge(o.customers)
	b.baseApproved.merge(o.baseApproved)
	b.candApproved.merge(o.candApproved)
}

// swapSet counts customers whose approval changed one way.
type swapSet struct {
	labelled
	examples []example // the earliest in source order, at most maxExamples
}

const maxExamples = 10

type example struct {
	seq        int64
	customerID string
	base, cand decisionSummary
}

type decisionSummary struct {
	outcome nirnay.Outcome
	reasons []string
	score   int64
	limit   int64
	offered bool
}

func summarize(r *engine.Result) decisionSummary {
	d := decisionSummary{outcome: r.Outcome, reasons: r.Reasons, score: r.Score}
	if r.Offer != nil {
		d.limit, d.offered = offerInt(r.Offer, "limit"), true
	}
	return d
}

func (s *swapSet) add(seq int64, id string, base, cand *engine.Result, l Labels) {
	s.labelled.add(l)
	if len(s.examples) < maxExamples || seq < s.examples[len(s.examples)-1].seq {
		s.examples = append(s.examples, example{seq: seq, customerID: id, base: summarize(base), cand: summarize(cand)})
		s.trim()
	}
}

func (s *swapSet) trim() {
	slices.SortFunc(s.examples, func(a, b example) int { return cmp.Compare(a.seq, b.seq) })
	if len(s.examples) > maxExamples {
		s.examples = s.examples[:maxExamples]
	}
}

func (s *swapSet) merge(o *swapSet) {
	s.labelled.merge(o.labelled)
	s.examples = append(s.examples, o.examples...)
	s.trim()
}

// accumulator gathers one worker's share of a replay. Every field is a
// sum (or the earliest examples), so merging in any order gives the same
// totals.
type accumulator struct {
	records         labelled // replayed records, with their labels
	skipped         int64
	base, cand      *side
	transitions     [4][4]int64
	swapIn, swapOut swapSet
	byScore         []bandStats
	byIncome        []bandStats
	reviews         *reviewAcc
	buildNS         histogram
	baseNS, candNS  histogram
}

func newAccumulator(base, cand *rules.Compiled) *accumulator {
	return &accumulator{base: newSide(base), cand: newSide(cand),
		byScore: make([]bandStats, len(scoreBands)+1), byIncome: make([]bandStats, len(incomeBands)+1),
		reviews: newReviewAcc()}
}

func (a *accumulator) add(seq int64, rec *Record, base, cand *engine.Result, scoreBand, incomeBand int) {
	l := rec.Labels
	a.records.add(l)
	a.base.add(base, l)
	a.cand.add(cand, l)
	bi, ci := outcomeIndex(base.Outcome), outcomeIndex(cand.Outcome)
	a.transitions[bi][ci]++
	if rec.Referral != nil {
		a.reviews.add(rec.Referral, base.Outcome, cand.Outcome)
	}
	bApp, cApp := base.Outcome == nirnay.Approve, cand.Outcome == nirnay.Approve
	switch {
	case !bApp && cApp:
		a.swapIn.add(seq, rec.CustomerID, base, cand, l)
	case bApp && !cApp:
		a.swapOut.add(seq, rec.CustomerID, base, cand, l)
	}
	for _, bs := range []*bandStats{&a.byScore[scoreBand], &a.byIncome[incomeBand]} {
		bs.customers.add(l)
		if bApp {
			bs.baseApproved.add(l)
		}
		if cApp {
			bs.candApproved.add(l)
		}
	}
}

func (a *accumulator) merge(o *accumulator) {
	a.records.merge(o.records)
	a.skipped += o.skipped
	a.base.merge(o.base)
	a.cand.merge(o.cand)
	for i := range a.transitions {
		addEach(a.transitions[i][:], o.transitions[i][:])
	}
	a.swapIn.merge(&o.swapIn)
	a.swapOut.merge(&o.swapOut)
	for i := range a.byScore {
		a.byScore[i].merge(&o.byScore[i])
	}
	for i := range a.byIncome {
		a.byIncome[i].merge(&o.byIncome[i])
	}
	a.reviews.merge(o.reviews)
	a.buildNS.merge(&o.buildNS)
	a.baseNS.merge(&o.baseNS)
	a.candNS.merge(&o.candNS)
}
