package simulator

import (
	"bytes"
	"cmp"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/rules"
)

// Report is the outcome of a replay (report.json). It holds only counts,
// rates and amounts derived from the data and the policies, never timings,
// so identical inputs give byte-identical JSON. Counts are integers; rates
// are integers in basis points of the stated denominator (null when the
// denominator is zero), rounded half up; money is a rupee decimal string
// with two places.
type Report struct {
	Baseline    PolicyInfo                                  `json:"baseline"`
	Candidate   PolicyInfo                                  `json:"candidate"`
	Step        string                                      `json:"step"`
	Records     int64                                       `json:"records"`         // records replayed
	Skipped     int64                                       `json:"skipped_records"` // records of another step
	Population  Population                                  `json:"population"`
	Outcomes    map[string]OutcomeRates                     `json:"outcomes"`    // "baseline" | "candidate" → rates
	Transitions map[nirnay.Outcome]map[nirnay.Outcome]int64 `json:"transitions"` // baseline outcome → candidate outcome → count
	SwapIn      Swap                                        `json:"swap_in"`     // not approved by the baseline, approved by the candidate
	SwapOut     Swap                                        `json:"swap_out"`    // approved by the baseline, not by the candidate
	Risk        map[string]Risk                             `json:"risk"`        // "baseline" | "candidate"
	Rules       []RuleChange                                `json:"rules"`
	Reasons     []ReasonChange                              `json:"reasons"`
	Offers      Offers                                      `json:"offers"`
	ByScoreBand []BandRow                                   `json:"by_score_band"`
	ByIncome    []BandRow                                   `json:"by_income_band"`
	Reviewers   *Reviewers                                  `json:"reviewers,omitempty"` // replays of the decision log with verdicts only
}

// PolicyInfo names a replayed policy version.
type PolicyInfo struct {
	ID          string `json:"id"`
	Version     int    `json:"version"`
	Description string `json:"description"`
	Rules       int    `json:"rules"`
}

// Population describes the replayed customers' labels.
type Population struct {
	Customers      int64  `json:"customers"`
	Defaults       int64  `json:"defaults"`
	DefaultRateBps *int64 `json:"default_rate_bps"`
	Fraud          int64  `json:"fraud"`
	FraudRateBps   *int64 `json:"fraud_rate_bps"`
}

// OutcomeRates counts one policy's outcomes; rates are of all records.
type OutcomeRates struct {
	Counts           map[nirnay.Outcome]int64  `json:"counts"`
	RatesBps         map[nirnay.Outcome]*int64 `json:"rates_bps"`
	RuleErrorRecords int64                     `json:"rule_error_records"` // records on which some rule errored
}

// Swap is one direction of approval change.
type Swap struct {
	Count      int64     `json:"count"`
	Defaults   int64     `json:"defaults"`
	BadRateBps *int64    `json:"bad_rate_bps"`
	Fraud      int64     `json:"fraud"`
	Examples   []Example `json:"examples"` // the first ones in data order, at most 10
}

// Example is one swapped customer.
type Example struct {
	CustomerID string          `json:"customer_id"`
	Baseline   ExampleDecision `json:"baseline"`
	Candidate  ExampleDecision `json:"candidate"`
}

// ExampleDecision is what one policy decided for an example customer.
type ExampleDecision struct {
	Outcome nirnay.Outcome `json:"outcome"`
	Reasons []string       `json:"reasons"`
	Score   int64          `json:"score"`
	Limit   *string        `json:"limit"` // rupees; null without an offer
}

// Risk is the labelled performance of one policy's approvals. Expected
// loss is the sum of the approved limits of the customers who defaulted
// (exposure at default, loss given default taken as 100%).
type Risk struct {
	Approved      int64  `json:"approved"`
	Defaults      int64  `json:"defaults"`
	BadRateBps    *int64 `json:"bad_rate_bps"`
	Fraud         int64  `json:"fraud"`
	FraudRateBps  *int64 `json:"fraud_rate_bps"`
	ApprovedLimit string `json:"approved_limit"`
	ExpectedLoss  string `json:"expected_loss"`
	LossRateBps   *int64 `json:"loss_rate_bps"` // expected loss over approved limit
	AverageLimit  string `json:"average_limit"`
}

// RuleChange compares one rule's hit rate (of all records) across the two
// versions; a rule present in only one has zero hits in the other.
type RuleChange struct {
	ID               string `json:"id"`
	InBaseline       bool   `json:"in_baseline"`
	InCandidate      bool   `json:"in_candidate"`
	BaselineHits     int64  `json:"baseline_hits"`
	CandidateHits    int64  `json:"candidate_hits"`
	BaselineRateBps  *int64 `json:"baseline_rate_bps"`
	CandidateRateBps *int64 `json:"candidate_rate_bps"`
	ChangeBps        int64  `json:"change_bps"`
	BaselineErrors   int64  `json:"baseline_errors"`
	CandidateErrors  int64  `json:"candidate_errors"`
}

// ReasonChange compares how often a reason code was given.
type ReasonChange struct {
	Code      string `json:"code"`
	Baseline  int64  `json:"baseline"`
	Candidate int64  `json:"candidate"`
	Change    int64  `json:"change"`
}

// Offers compares the offers of approvals.
type Offers struct {
	LimitBuckets  []Bucket `json:"limit_buckets"`
	AnnualRateBps []Bucket `json:"annual_rate_bps"`
	TenureMonths  []Bucket `json:"tenure_months"`
}

// Bucket is one bar of a distribution.
type Bucket struct {
	Bucket    string `json:"bucket"`
	Baseline  int64  `json:"baseline"`
	Candidate int64  `json:"candidate"`
}

// BandRow is one row of a breakdown; approve rates are of the band's
// customers, bad rates of the band's approvals.
type BandRow struct {
	Band                    string `json:"band"`
	Customers               int64  `json:"customers"`
	Defaults                int64  `json:"defaults"`
	BaselineApproved        int64  `json:"baseline_approved"`
	CandidateApproved       int64  `json:"candidate_approved"`
	BaselineApproveRateBps  *int64 `json:"baseline_approve_rate_bps"`
	CandidateApproveRateBps *int64 `json:"candidate_approve_rate_bps"`
	BaselineBadRateBps      *int64 `json:"baseline_bad_rate_bps"`
	CandidateBadRateBps     *int64 `json:"candidate_bad_rate_bps"`
}

// MarshalIndent encodes the report as indented JSON with a final newline.
func (r *Report) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// bps is num/den in basis points, rounded half up; nil when den is 0.
func bps(num, den int64) *int64 {
	if den == 0 {
		return nil
	}
	v := (num*20000 + den) / (2 * den)
	return &v
}

func rupees(r int64) string { return money.Paise(r * 100).String() }

func rupeesDiv(num, den int64) string {
	if den == 0 {
		return "0.00"
	}
	// paise, rounded half up
	return money.Paise((num*200 + den) / (2 * den)).String()
}

func policyInfo(c *rules.Compiled) PolicyInfo {
	p := c.Policy
	return PolicyInfo{ID: p.ID, Version: p.Version, Description: p.Description, Rules: len(p.Rules)}
}

func (a *accumulator) report() *Report {
	n := a.records.n
	r := &Report{
		Baseline:  policyInfo(a.base.c),
		Candidate: policyInfo(a.cand.c),
		Step:      a.base.c.Policy.Step,
		Records:   n,
		Skipped:   a.skipped,
		Population: Population{Customers: n, Defaults: a.records.defaults, DefaultRateBps: bps(a.records.defaults, n),
			Fraud: a.records.fraud, FraudRateBps: bps(a.records.fraud, n)},
		Outcomes:    map[string]OutcomeRates{"baseline": outcomeRates(a.base, n), "candidate": outcomeRates(a.cand, n)},
		Transitions: map[nirnay.Outcome]map[nirnay.Outcome]int64{},
		SwapIn:      swapReport(&a.swapIn),
		SwapOut:     swapReport(&a.swapOut),
		Risk:        map[string]Risk{"baseline": riskOf(a.base), "candidate": riskOf(a.cand)},
	}
	for i, bo := range outcomeNames {
		row := map[nirnay.Outcome]int64{}
		for j, co := range outcomeNames {
			row[co] = a.transitions[i][j]
		}
		r.Transitions[bo] = row
	}
	r.Rules = ruleChanges(a.base, a.cand, n)
	r.Reasons = reasonChanges(a.base, a.cand)
	r.Offers = offers(a.base, a.cand)
	r.ByScoreBand = bandRows(scoreBands, a.byScore)
	r.ByIncome = bandRows(incomeBands, a.byIncome)
	r.Reviewers = a.reviews.report()
	return r
}

func outcomeRates(s *side, n int64) OutcomeRates {
	o := OutcomeRates{Counts: map[nirnay.Outcome]int64{}, RatesBps: map[nirnay.Outcome]*int64{}, RuleErrorRecords: s.errored}
	for i, name := range outcomeNames {
		o.Counts[name] = s.outcomes[i]
		o.RatesBps[name] = bps(s.outcomes[i], n)
	}
	return o
}

func swapReport(s *swapSet) Swap {
	out := Swap{Count: s.n, Defaults: s.defaults, BadRateBps: bps(s.defaults, s.n), Fraud: s.fraud, Examples: []Example{}}
	for _, e := range s.examples {
		out.Examples = append(out.Examples, Example{CustomerID: e.customerID, Baseline: exampleDecision(e.base), Candidate: exampleDecision(e.cand)})
	}
	return out
}

func exampleDecision(d decisionSummary) ExampleDecision {
	e := ExampleDecision{Outcome: d.outcome, Reasons: d.reasons, Score: d.score}
	if e.Reasons == nil {
		e.Reasons = []string{}
	}
	if d.offered {
		s := rupees(d.limit)
		e.Limit = &s
	}
	return e
}

func riskOf(s *side) Risk {
	return Risk{
		Approved: s.approved.n, Defaults: s.approved.defaults, BadRateBps: bps(s.approved.defaults, s.approved.n),
		Fraud: s.approved.fraud, FraudRateBps: bps(s.approved.fraud, s.approved.n),
		ApprovedLimit: rupees(s.limit), ExpectedLoss: rupees(s.loss), LossRateBps: bps(s.loss, s.limit),
		AverageLimit: rupeesDiv(s.limit, s.offered),
	}
}

// ruleChanges lists the baseline's rules in file order, then the
// candidate's rules the baseline does not have, in file order.
func ruleChanges(base, cand *side, n int64) []RuleChange {
	var out []RuleChange
	add := func(id string) {
		rc := RuleChange{ID: id}
		if k, ok := base.ruleIndex[id]; ok {
			rc.InBaseline, rc.BaselineHits, rc.BaselineErrors = true, base.ruleHits[k], base.ruleErrs[k]
		}
		if k, ok := cand.ruleIndex[id]; ok {
			rc.InCandidate, rc.CandidateHits, rc.CandidateErrors = true, cand.ruleHits[k], cand.ruleErrs[k]
		}
		rc.BaselineRateBps, rc.CandidateRateBps = bps(rc.BaselineHits, n), bps(rc.CandidateHits, n)
		if rc.BaselineRateBps != nil {
			rc.ChangeBps = *rc.CandidateRateBps - *rc.BaselineRateBps
		}
		out = append(out, rc)
	}
	for _, r := range base.c.Policy.Rules {
		add(r.ID)
	}
	for _, r := range cand.c.Policy.Rules {
		if _, ok := base.ruleIndex[r.ID]; !ok {
			add(r.ID)
		}
	}
	if out == nil {
		out = []RuleChange{}
	}
	return out
}

func reasonChanges(base, cand *side) []ReasonChange {
	out := []ReasonChange{}
	for _, c := range sortedUnion(base.reasons, cand.reasons) {
		b, k := base.reasons[c], cand.reasons[c]
		out = append(out, ReasonChange{Code: c, Baseline: b, Candidate: k, Change: k - b})
	}
	return out
}

func offers(base, cand *side) Offers {
	o := Offers{LimitBuckets: []Bucket{}, AnnualRateBps: intBuckets(base.rates, cand.rates), TenureMonths: intBuckets(base.tenures, cand.tenures)}
	for i, b := range limitBuckets {
		o.LimitBuckets = append(o.LimitBuckets, Bucket{Bucket: b.label, Baseline: base.limits[i], Candidate: cand.limits[i]})
	}
	return o
}

func intBuckets(base, cand map[int64]int64) []Bucket {
	out := []Bucket{}
	for _, k := range sortedUnion(base, cand) {
		out = append(out, Bucket{Bucket: strconv.FormatInt(k, 10), Baseline: base[k], Candidate: cand[k]})
	}
	return out
}

// sortedUnion returns the keys of a and b, each once, in order.
func sortedUnion[K cmp.Ordered, V any](a, b map[K]V) []K {
	keys := slices.AppendSeq(slices.Collect(maps.Keys(a)), maps.Keys(b))
	slices.Sort(keys)
	return slices.Compact(keys)
}

func bandRows(bands []band, stats []bandStats) []BandRow {
	out := []BandRow{}
	for i, st := range stats {
		label := "missing"
		if i < len(bands) {
			label = bands[i].label
		}
		if i == len(bands) && st.customers.n == 0 {
			continue
		}
		out = append(out, BandRow{
			Band: label, Customers: st.customers.n, Defaults: st.customers.defaults,
			BaselineApproved: st.baseApproved.n, CandidateApproved: st.candApproved.n,
			BaselineApproveRateBps: bps(st.baseApproved.n, st.customers.n), CandidateApproveRateBps: bps(st.candApproved.n, st.customers.n),
			BaselineBadRateBps: bps(st.baseApproved.defaults, st.baseApproved.n), CandidateBadRateBps: bps(st.candApproved.defaults, st.candApproved.n),
		})
	}
	return out
}

// WriteReport writes report.json, report.html and timing.json into dir.
func WriteReport(dir string, r *Report, t *Timing) error {
	rj, err := r.MarshalIndent()
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.json"), rj, 0o644); err != nil {
		return err
	}
	var page bytes.Buffer
	if err := WriteHTML(&page, r); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, "report.html"), page.Bytes(), 0o644); err != nil {
		return err
	}
	if t == nil {
		return nil
	}
	tj, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "timing.json"), append(tj, '\n'), 0o644)
}
