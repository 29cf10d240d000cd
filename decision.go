package nirnay

import (
	"bytes"
	"encoding/json"
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
// acted on (champion or challenger) or one evaluated beside it (shadow).
type PolicyRole string

// The policy roles.
const (
	RoleChampion   PolicyRole = "champion"
	RoleChallenger PolicyRole = "challenger"
	RoleShadow     PolicyRole = "shadow"
)

// Valid reports whether r is one of the policy roles.
func (r PolicyRole) Valid() bool {
	switch r {
	case RoleChampion, RoleChallenger, RoleShadow:
		return true
	}
	return false
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
