package nirnay

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Outcome is what a rule, band, policy or reviewer decides. Its string
// values are the §6 wire values; every package compares outcomes through
// these constants, never through literals.
type Outcome string

// The outcomes.
const (
	Approve Outcome = "approve"
	Review  Outcome = "review"
	StepUp  Outcome = "step_up"
	Decline Outcome = "decline"
)

// Outcomes lists the outcomes in their default precedence, highest first.
var Outcomes = []Outcome{Decline, Review, StepUp, Approve}

// Valid reports whether o is one of the outcomes.
func (o Outcome) Valid() bool {
	switch o {
	case Approve, Review, StepUp, Decline:
		return true
	}
	return false
}

// PolicyRole is the part a policy version played in a decision: the one
// acted on (champion or challenger), one evaluated beside it (shadow), or
// the policy whose referred decision a reviewer decided (manual: the
// verdict of a manual review case, DESIGN §15).
type PolicyRole string

// The policy roles.
const (
	RoleChampion   PolicyRole = "champion"
	RoleChallenger PolicyRole = "challenger"
	RoleShadow     PolicyRole = "shadow"
	RoleManual     PolicyRole = "manual"
)

// Valid reports whether r is one of the policy roles.
func (r PolicyRole) Valid() bool {
	switch r {
	case RoleChampion, RoleChallenger, RoleShadow, RoleManual:
		return true
	}
	return false
}

// ActedOn reports whether a decision of role r is acted on by the journey
// (champion or challenger): the decisions that open a review case when
// their outcome is review. Shadows are never acted on; a manual verdict
// resolves a case and opens none.
func (r PolicyRole) ActedOn() bool { return r == RoleChampion || r == RoleChallenger }

// CaseIDOf is the id of the manual review case a referred decision opens:
// "case_" and the decision id's ULID ("dec_01J…" → "case_01J…"), so a
// decision has at most one case and its id is known as soon as the
// decision is.
func CaseIDOf(decisionID string) string {
	if rest, ok := strings.CutPrefix(decisionID, "dec_"); ok {
		return "case_" + rest
	}
	return "case_" + decisionID
}

// Offer is what an approving decision offers: the policy's offer fields by
// name (§4). The integer fields (limit in whole rupees, annual_rate_bps,
// tenure_months) are int64, checked when the policy compiles; nil is no
// offer.
type Offer map[string]any

// Int reads an integer field of the offer; false when it is absent.
func (o Offer) Int(name string) (int64, bool) {
	v, ok := o[name].(int64)
	return v, ok
}

// UnmarshalJSON reads an offer stored as JSON back with its whole numbers
// as int64 (other numbers float64), so Int answers for a stored offer as
// it does for the engine's.
func (o *Offer) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				m[k] = i
			} else if f, err := n.Float64(); err == nil {
				m[k] = f
			}
		}
	}
	*o = m
	return nil
}
