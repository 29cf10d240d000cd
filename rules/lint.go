package rules

import (
	"fmt"

	"cel.dev/cel-go/common/types"
	"github.com/nirnay/nirnay"
)

// Lint finds things in a compiled policy that are legal but probably
// wrong. Each warning names file, line and field; none stops a publish.
func Lint(c *Compiled) []*Error {
	p := c.Policy
	var w ErrorList
	warn := func(line int, field, format string, args ...any) {
		w.add(p.File, line, field, "warning: "+format, args...)
	}
	seenWhen := map[string]string{}
	for i := range c.Rules {
		cr := &c.Rules[i]
		r := cr.Rule
		field := "rules[" + r.ID + "]"
		if prg := cr.Program; prg != nil {
			if v, _, err := prg.Eval(map[string]any{}); err == nil && v == types.False && len(cr.Reads) == 0 {
				warn(r.WhenLine, field+".when", "can never fire (always false)")
			}
		}
		if r.Outcome == "" && r.Score == 0 {
			warn(r.Line, field, "has no outcome and no score: it only explains")
		}
		if r.Outcome == "" && len(r.Reasons) > 0 {
			warn(r.Line, field+".reasons", "reasons are never reported: the rule has no outcome")
		}
		if len(r.Actions) > 0 && r.Outcome != nirnay.StepUp {
			warn(r.Line, field+".actions", "actions on a %q rule (actions are for step_up)", r.Outcome)
		}
		if r.Outcome == nirnay.StepUp && len(r.Actions) == 0 {
			warn(r.Line, field+".actions", "step_up rule without actions: the app will not know what to ask for")
		}
		if prev, dup := seenWhen[r.When]; dup {
			warn(r.WhenLine, field+".when", "same condition as rule %s", prev)
		} else {
			seenWhen[r.When] = r.ID
		}
	}
	if p.Score != nil {
		for i, b := range p.Score.Bands {
			if b.Outcome == "" && len(b.Reasons) > 0 {
				warn(b.Line, fmt.Sprintf("score.bands[%d].reasons", i), "reasons are never reported: the band has no outcome")
			}
			for j := 0; j < i; j++ {
				if p.Score.Bands[j].Below >= b.Below {
					warn(b.Line, fmt.Sprintf("score.bands[%d]", i), "never applies: band %d (below %d) matches first", j, p.Score.Bands[j].Below)
					break
				}
			}
		}
	}
	if len(p.Offer) > 0 && p.Default != nirnay.Approve && !producesApprove(p) {
		warn(p.FieldLine("offer"), "offer", "the policy never approves, so the offer is never made")
	}
	if len(p.Tests) == 0 {
		warn(p.Line, "tests", "policy has no tests")
	}
	return w
}

func producesApprove(p *Policy) bool {
	for _, r := range p.Rules {
		if r.Outcome == nirnay.Approve {
			return true
		}
	}
	if p.Score != nil {
		for _, b := range p.Score.Bands {
			if b.Outcome == nirnay.Approve {
				return true
			}
		}
	}
	return p.OnError == nirnay.Approve
}
