package rules

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
)

// Change is one changed field; From or To is nil when the field was added
// or removed.
type Change struct {
	Field string `json:"field"`
	From  any    `json:"from"`
	To    any    `json:"to"`
}

// RuleChange lists the changed fields of a rule present in both versions.
type RuleChange struct {
	ID      string   `json:"id"`
	Changes []Change `json:"changes"`
}

// PolicyDiff is what changed from one policy version to another.
type PolicyDiff struct {
	From         string       `json:"from"` // id@version
	To           string       `json:"to"`
	Changes      []Change     `json:"changes"` // id, step, description, precedence, default, on_error, score.base, rule order
	RulesAdded   []string     `json:"rules_added"`
	RulesRemoved []string     `json:"rules_removed"`
	RulesChanged []RuleChange `json:"rules_changed"`
	Bands        []Change     `json:"bands"`
	Offer        []Change     `json:"offer"`
}

// Empty reports whether the versions decide alike (tests are not compared).
func (d *PolicyDiff) Empty() bool {
	return len(d.Changes)+len(d.RulesAdded)+len(d.RulesRemoved)+len(d.RulesChanged)+len(d.Bands)+len(d.Offer) == 0
}

// Diff compares two parsed policies. Lists in the result are never nil.
func Diff(a, b *Policy) *PolicyDiff {
	d := &PolicyDiff{From: a.Ref(), To: b.Ref(), Changes: []Change{}, RulesAdded: []string{},
		RulesRemoved: []string{}, RulesChanged: []RuleChange{}, Bands: []Change{}, Offer: []Change{}}
	cmp := func(dst *[]Change, field string, x, y any) {
		if !reflect.DeepEqual(x, y) {
			*dst = append(*dst, Change{Field: field, From: x, To: y})
		}
	}
	cmp(&d.Changes, "id", a.ID, b.ID)
	cmp(&d.Changes, "step", a.Step, b.Step)
	cmp(&d.Changes, "description", a.Description, b.Description)
	cmp(&d.Changes, "precedence", a.Precedence, b.Precedence)
	cmp(&d.Changes, "default", string(a.Default), string(b.Default))
	cmp(&d.Changes, "on_error", string(a.OnError), string(b.OnError))
	cmp(&d.Changes, "score.base", scoreBase(a), scoreBase(b))

	ra, rb := ruleIndex(a), ruleIndex(b)
	common := sharedRules(a, rb, &d.RulesRemoved)
	commonB := sharedRules(b, ra, &d.RulesAdded)
	if !slices.Equal(common, commonB) {
		d.Changes = append(d.Changes, Change{Field: "rules.order", From: common, To: commonB})
	}
	for _, id := range commonB {
		x, y := ra[id], rb[id]
		var ch []Change
		cmp(&ch, "when", x.When, y.When)
		cmp(&ch, "outcome", string(x.Outcome), string(y.Outcome))
		cmp(&ch, "reasons", nilIfEmpty(x.Reasons), nilIfEmpty(y.Reasons))
		cmp(&ch, "score", x.Score, y.Score)
		cmp(&ch, "actions", nilIfEmpty(x.Actions), nilIfEmpty(y.Actions))
		cmp(&ch, "tags", nilIfEmpty(x.Tags), nilIfEmpty(y.Tags))
		if len(ch) > 0 {
			d.RulesChanged = append(d.RulesChanged, RuleChange{ID: id, Changes: ch})
		}
	}

	ba, bb := bands(a), bands(b)
	for i := 0; i < max(len(ba), len(bb)); i++ {
		f := fmt.Sprintf("score.bands[%d]", i)
		switch {
		case i >= len(ba):
			d.Bands = append(d.Bands, Change{Field: f, To: bandText(bb[i])})
		case i >= len(bb):
			d.Bands = append(d.Bands, Change{Field: f, From: bandText(ba[i])})
		default:
			cmp(&d.Bands, f+".below", ba[i].Below, bb[i].Below)
			cmp(&d.Bands, f+".outcome", string(ba[i].Outcome), string(bb[i].Outcome))
			cmp(&d.Bands, f+".reasons", nilIfEmpty(ba[i].Reasons), nilIfEmpty(bb[i].Reasons))
		}
	}

	oa, ob := offerIndex(a), offerIndex(b)
	for _, f := range a.Offer {
		if _, ok := ob[f.Name]; !ok {
			d.Offer = append(d.Offer, Change{Field: f.Name, From: f.Expr})
		}
	}
	for _, f := range b.Offer {
		old, ok := oa[f.Name]
		switch {
		case !ok:
			d.Offer = append(d.Offer, Change{Field: f.Name, To: f.Expr})
		case old != f.Expr:
			d.Offer = append(d.Offer, Change{Field: f.Name, From: old, To: f.Expr})
		}
	}
	return d
}

func scoreBase(p *Policy) any {
	if p.Score == nil {
		return nil
	}
	return p.Score.Base
}

func bands(p *Policy) []Band {
	if p.Score == nil {
		return nil
	}
	return p.Score.Bands
}

func bandText(b Band) string {
	return fmt.Sprintf("below %d → %s %v", b.Below, b.Outcome, b.Reasons)
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func ruleIndex(p *Policy) map[string]*Rule {
	m := make(map[string]*Rule, len(p.Rules))
	for i := range p.Rules {
		m[p.Rules[i].ID] = &p.Rules[i]
	}
	return m
}

// sharedRules returns the ids of p's rules that other holds too, in p's
// order, and appends the ids of the rest to only.
func sharedRules(p *Policy, other map[string]*Rule, only *[]string) []string {
	var shared []string
	for _, r := range p.Rules {
		if _, ok := other[r.ID]; ok {
			shared = append(shared, r.ID)
		} else {
			*only = append(*only, r.ID)
		}
	}
	return shared
}

func offerIndex(p *Policy) map[string]string {
	m := make(map[string]string, len(p.Offer))
	for _, f := range p.Offer {
		m[f.Name] = f.Expr
	}
	return m
}

// Text renders the diff for people, one change a line.
func (d *PolicyDiff) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s -> %s\n", d.From, d.To)
	if d.Empty() {
		b.WriteString("no differences\n")
		return b.String()
	}
	show := func(v any) string {
		if v == nil {
			return "(none)"
		}
		if s, ok := v.(string); ok {
			return fmt.Sprintf("%q", s)
		}
		return fmt.Sprint(v)
	}
	for _, c := range d.Changes {
		fmt.Fprintf(&b, "changed %s: %s -> %s\n", c.Field, show(c.From), show(c.To))
	}
	for _, id := range d.RulesAdded {
		fmt.Fprintf(&b, "rule added: %s\n", id)
	}
	for _, id := range d.RulesRemoved {
		fmt.Fprintf(&b, "rule removed: %s\n", id)
	}
	for _, rc := range d.RulesChanged {
		for _, c := range rc.Changes {
			fmt.Fprintf(&b, "rule changed: %s.%s: %s -> %s\n", rc.ID, c.Field, show(c.From), show(c.To))
		}
	}
	for _, c := range d.Bands {
		fmt.Fprintf(&b, "band changed: %s: %s -> %s\n", c.Field, show(c.From), show(c.To))
	}
	for _, c := range d.Offer {
		verb := "changed"
		if c.From == nil {
			verb = "added"
		} else if c.To == nil {
			verb = "removed"
		}
		fmt.Fprintf(&b, "offer %s: %s: %s -> %s\n", verb, c.Field, show(c.From), show(c.To))
	}
	return b.String()
}
