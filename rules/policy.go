// Package rules is Nirnay's policy model: strict YAML parsing of policy
// files, the feature catalog and deployments; the CEL environment built from
// the catalog; compilation with a static cost check; lint and diff.
//
// Everything here is parsed and compiled once, at load or publish time, into
// immutable values that are safe for concurrent use.
package rules

import (
	"fmt"
	"regexp"
	"slices"
	"time"

	"github.com/nirnay/nirnay"
	"gopkg.in/yaml.v3"
)

// Steps lists the journey steps (§3).
var Steps = []string{"signup", "login", "kyc", "application", "offer_accept", "disbursal", "repayment", "collections", "limit_increase"}

// Reason codes the engine adds itself.
const (
	ReasonRuleError  = "RULE_ERROR"
	ReasonOfferError = "OFFER_ERROR"
)

// Policy is one parsed policy file (one version). It is immutable once
// parsed; Compile turns it into executable form.
type Policy struct {
	File        string
	Line        int
	ID          string
	Version     int
	Step        string
	Description string
	Precedence  []nirnay.Outcome // never empty after parsing: nirnay.Outcomes when not given
	Default     nirnay.Outcome   // nirnay.Approve when not given
	OnError     nirnay.Outcome   // nirnay.Review when not given
	Rules       []Rule
	Score       *Score // nil when the policy has no score section
	Offer       []OfferField
	Tests       []Test
	fieldLines  map[string]int
}

// Ref returns "id@version".
func (p *Policy) Ref() string { return fmt.Sprintf("%s@%d", p.ID, p.Version) }

// FieldLine is the line of a top-level key, or the policy's first line.
func (p *Policy) FieldLine(key string) int {
	if l, ok := p.fieldLines[key]; ok {
		return l
	}
	return p.Line
}

// Rule is one rule of a policy.
type Rule struct {
	ID       string
	When     string
	Outcome  nirnay.Outcome // "" when the rule only scores or explains
	Reasons  []string
	Score    int64
	Actions  []string
	Tags     []string
	Line     int
	WhenLine int // line of the when expression's first character
	WhenCol  int // 1-based column of the expression in WhenLine
}

// Score is a policy's scoring section.
type Score struct {
	Base  int64
	Bands []Band
}

// Band applies when score < Below (first matching band in file order).
type Band struct {
	Below   int64
	Outcome nirnay.Outcome
	Reasons []string
	Line    int
}

// OfferField is one named CEL expression of the offer, in file order.
type OfferField struct {
	Name string
	Expr string
	Line int
}

// Test is one entry of a policy's tests.
//
// Extensions beyond §4: `now` (RFC 3339; default DefaultTestNow) and `lists`
// (managed list name → entries, for in_list).
type Test struct {
	Name         string
	Features     map[string]any
	FeatureLines map[string]int
	Input        map[string]any
	Now          time.Time
	Lists        map[string][]string
	Expect       Expect
	Line         int
}

// DefaultTestNow is the decision time of a policy test without `now`.
var DefaultTestNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Expect is what a test asserts. Outcome is always compared; the others only
// when given (Has* true).
type Expect struct {
	Outcome    nirnay.Outcome
	Reasons    []string
	HasReasons bool
	Score      int64
	HasScore   bool
	Offer      map[string]any // nil with HasOffer: expect no offer
	HasOffer   bool
	Actions    []string
	HasActions bool
}

var (
	policyIDRe = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	ruleIDRe   = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]*$`)
	offerKeyRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

var policyKeys = []string{"id", "version", "step", "description", "precedence", "default", "on_error", "rules", "score", "offer", "tests"}

// ParsePolicy parses one policy file strictly: unknown keys, duplicates,
// unknown outcomes and steps, bad ids and versions are errors. CEL is not
// checked here (see Compile). All problems come back as an ErrorList whose
// entries name file, line and field.
func ParsePolicy(file string, data []byte) (*Policy, error) {
	d := &decoder{file: file}
	root := d.document(data)
	if root == nil {
		return nil, d.errs.Err()
	}
	p := &Policy{File: file, Line: root.Line, Default: nirnay.Approve, OnError: nirnay.Review, fieldLines: map[string]int{}}
	d.mapping(root, "", policyKeys, func(key string, k, v *yaml.Node) {
		p.fieldLines[key] = k.Line
		switch key {
		case "id":
			p.ID = d.str(v, key)
			if !policyIDRe.MatchString(p.ID) {
				d.errorf(v, key, "policy id %q must match [a-z0-9-]+", p.ID)
			}
		case "version":
			if n, ok := d.integer(v, key); ok {
				if n < 1 || n > 1<<31 {
					d.errorf(v, key, "version must be a positive integer, got %d", n)
				}
				p.Version = int(n)
			}
		case "step":
			p.Step = d.oneOf(v, key, "step", Steps)
		case "description":
			p.Description = d.str(v, key)
		case "precedence":
			seen := map[nirnay.Outcome]bool{}
			for i, s := range d.strList(v, key) {
				o := nirnay.Outcome(s)
				p.Precedence = append(p.Precedence, o)
				f := fmt.Sprintf("precedence[%d]", i)
				if !o.Valid() {
					d.errorf(v, f, "unknown outcome %q (one of %v)", o, nirnay.Outcomes)
				} else if seen[o] {
					d.errorf(v, f, "outcome %q listed twice", o)
				}
				seen[o] = true
			}
		case "default":
			p.Default = d.outcome(v, key)
		case "on_error":
			p.OnError = d.outcome(v, key)
		case "rules":
			p.Rules = d.rules(v)
		case "score":
			p.Score = d.score(v)
		case "offer":
			d.mapping(v, key, nil, func(name string, k, ev *yaml.Node) {
				f := joinField(key, name)
				if !offerKeyRe.MatchString(name) {
					d.errorf(k, f, "offer field name %q must match [a-z][a-z0-9_]*", name)
				}
				if ev.Kind == yaml.ScalarNode && ev.Tag != "!!null" && ev.Value == "" {
					d.errorf(ev, f, "expression is empty")
					return
				}
				p.Offer = append(p.Offer, OfferField{Name: name, Expr: d.str(ev, f), Line: ev.Line})
			})
		case "tests":
			p.Tests = d.tests(v)
		}
	})
	for _, req := range []string{"id", "version", "step"} {
		if _, ok := p.fieldLines[req]; !ok {
			d.errorf(root, req, "%s is required", req)
		}
	}
	if p.Precedence == nil {
		p.Precedence = append([]nirnay.Outcome(nil), nirnay.Outcomes...)
	}
	d.checkPrecedence(p)
	return p, d.errs.Err()
}

// checkPrecedence requires every outcome the policy can produce to have a
// place in the precedence list.
func (d *decoder) checkPrecedence(p *Policy) {
	if _, given := p.fieldLines["precedence"]; !given {
		return
	}
	need := func(o nirnay.Outcome, line int, field string) {
		if o.Valid() && !slices.Contains(p.Precedence, o) {
			d.errs.add(d.file, line, field, "outcome %q is not in precedence %v", o, p.Precedence)
		}
	}
	need(p.OnError, p.FieldLine("on_error"), "on_error")
	for _, r := range p.Rules {
		need(r.Outcome, r.Line, "rules["+r.ID+"].outcome")
	}
	if p.Score != nil {
		for i, b := range p.Score.Bands {
			need(b.Outcome, b.Line, fmt.Sprintf("score.bands[%d].outcome", i))
		}
	}
}

func (d *decoder) outcome(n *yaml.Node, field string) nirnay.Outcome {
	o := nirnay.Outcome(d.str(n, field))
	if o != "" && !o.Valid() {
		d.errorf(n, field, "unknown outcome %q (one of %v)", o, nirnay.Outcomes)
	}
	return o
}

var ruleKeys = []string{"id", "when", "outcome", "reasons", "score", "actions", "tags", "description"}

func (d *decoder) rules(n *yaml.Node) []Rule {
	n = resolveAlias(n)
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "rules", "must be a list")
		return nil
	}
	out := make([]Rule, 0, len(n.Content))
	seen := map[string]int{}
	for i, item := range n.Content {
		field := fmt.Sprintf("rules[%d]", i)
		r := Rule{Line: item.Line}
		if item.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(item.Content); j += 2 {
				if item.Content[j].Value == "id" && ruleIDRe.MatchString(item.Content[j+1].Value) {
					field = "rules[" + item.Content[j+1].Value + "]"
				}
			}
		}
		hasWhen := false
		d.mapping(item, field, ruleKeys, func(key string, _, v *yaml.Node) {
			sub := joinField(field, key)
			switch key {
			case "id":
				r.ID = d.str(v, sub)
				if !ruleIDRe.MatchString(r.ID) {
					d.errorf(v, sub, "rule id %q must match [A-Za-z0-9_-]+", r.ID)
				} else if prev, dup := seen[r.ID]; dup {
					d.errorf(v, sub, "duplicate rule id %q (first at line %d)", r.ID, prev)
				} else {
					seen[r.ID] = v.Line
				}
			case "when":
				hasWhen = true
				r.When = d.str(v, sub)
				r.WhenLine, r.WhenCol = exprStart(v)
			case "outcome":
				r.Outcome = d.outcome(v, sub)
			case "reasons":
				r.Reasons = d.strList(v, sub)
			case "score":
				r.Score, _ = d.integer(v, sub)
			case "actions":
				r.Actions = d.strList(v, sub)
			case "tags":
				r.Tags = d.strList(v, sub)
			case "description":
				d.str(v, sub)
			}
		})
		if r.ID == "" && item.Kind == yaml.MappingNode {
			d.errorf(item, field+".id", "id is required")
		}
		if !hasWhen && item.Kind == yaml.MappingNode {
			d.errorf(item, field+".when", "when is required")
		}
		out = append(out, r)
	}
	return out
}

// exprStart returns where a scalar's text begins: block scalars (| or >)
// start on the next line.
func exprStart(n *yaml.Node) (line, col int) {
	if n.Style&(yaml.LiteralStyle|yaml.FoldedStyle) != 0 {
		return n.Line + 1, 1
	}
	col = n.Column
	if n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) != 0 {
		col++
	}
	return n.Line, col
}

func (d *decoder) score(n *yaml.Node) *Score {
	s := &Score{}
	d.mapping(n, "score", []string{"base", "bands"}, func(key string, _, v *yaml.Node) {
		switch key {
		case "base":
			s.Base, _ = d.integer(v, "score.base")
		case "bands":
			if v.Kind != yaml.SequenceNode {
				d.errorf(v, "score.bands", "must be a list")
				return
			}
			for i, item := range v.Content {
				field := fmt.Sprintf("score.bands[%d]", i)
				b := Band{Line: item.Line}
				hasBelow := false
				d.mapping(item, field, []string{"below", "outcome", "reasons"}, func(key string, _, v *yaml.Node) {
					sub := joinField(field, key)
					switch key {
					case "below":
						b.Below, hasBelow = d.integer(v, sub)
					case "outcome":
						b.Outcome = d.outcome(v, sub)
					case "reasons":
						b.Reasons = d.strList(v, sub)
					}
				})
				if !hasBelow && item.Kind == yaml.MappingNode {
					d.errorf(item, field+".below", "below is required")
				}
				s.Bands = append(s.Bands, b)
			}
		}
	})
	return s
}

func (d *decoder) tests(n *yaml.Node) []Test {
	n = resolveAlias(n)
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, "tests", "must be a list")
		return nil
	}
	var out []Test
	for i, item := range n.Content {
		field := fmt.Sprintf("tests[%d]", i)
		t := Test{Line: item.Line, Now: DefaultTestNow}
		hasExpect := false
		d.mapping(item, field, []string{"name", "features", "input", "now", "lists", "expect"}, func(key string, _, v *yaml.Node) {
			sub := joinField(field, key)
			switch key {
			case "name":
				t.Name = d.str(v, sub)
			case "features":
				t.Features, t.FeatureLines = d.stringMap(v, sub)
			case "input":
				t.Input, _ = d.stringMap(v, sub)
			case "now":
				ts, err := time.Parse(time.RFC3339Nano, d.str(v, sub))
				if err != nil {
					d.errorf(v, sub, "now must be an RFC 3339 time, got %q", v.Value)
				}
				t.Now = ts.UTC()
			case "lists":
				t.Lists = map[string][]string{}
				d.mapping(v, sub, nil, func(name string, _, lv *yaml.Node) {
					t.Lists[name] = d.anyStrings(lv, joinField(sub, name))
				})
			case "expect":
				hasExpect = true
				t.Expect = d.expect(v, sub)
			}
		})
		if t.Name == "" {
			t.Name = fmt.Sprintf("test %d", i+1)
		}
		if !hasExpect && item.Kind == yaml.MappingNode {
			d.errorf(item, field+".expect", "expect is required")
		}
		out = append(out, t)
	}
	return out
}

// anyStrings decodes a list of scalars as strings (list entries may be
// numbers such as phone numbers).
func (d *decoder) anyStrings(n *yaml.Node, field string) []string {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, field, "must be a list")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for i, item := range n.Content {
		out = append(out, d.str(item, fmt.Sprintf("%s[%d]", field, i)))
	}
	return out
}

func (d *decoder) expect(n *yaml.Node, field string) Expect {
	var e Expect
	d.mapping(n, field, []string{"outcome", "reasons", "score", "offer", "actions"}, func(key string, _, v *yaml.Node) {
		sub := joinField(field, key)
		switch key {
		case "outcome":
			e.Outcome = d.outcome(v, sub)
		case "reasons":
			e.HasReasons = true
			e.Reasons = d.strList(v, sub)
		case "score":
			e.HasScore = true
			e.Score, _ = d.integer(v, sub)
		case "offer":
			e.HasOffer = true
			if v.Tag != "!!null" {
				e.Offer, _ = d.stringMap(v, sub)
			}
		case "actions":
			e.HasActions = true
			e.Actions = d.strList(v, sub)
		}
	})
	if e.Outcome == "" {
		d.errorf(n, field+".outcome", "outcome is required")
	}
	return e
}
