package rules

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// PolicyRef names one policy version, written "id@version".
type PolicyRef struct {
	ID      string
	Version int
}

func (r PolicyRef) String() string { return fmt.Sprintf("%s@%d", r.ID, r.Version) }

// ParsePolicyRef parses "id@version".
func ParsePolicyRef(s string) (PolicyRef, error) {
	id, v, ok := strings.Cut(s, "@")
	n, err := strconv.Atoi(v)
	if !ok || err != nil || n < 1 || !policyIDRe.MatchString(id) {
		return PolicyRef{}, fmt.Errorf("policy reference %q must be id@version, e.g. credit-underwriting@3", s)
	}
	return PolicyRef{ID: id, Version: n}, nil
}

// Challenger receives Percent of a step's customers (1–100).
type Challenger struct {
	Policy  PolicyRef
	Percent int
}

// Deployment is the active policy set of one journey step.
type Deployment struct {
	Step        string
	Champion    PolicyRef
	Challengers []Challenger
	Shadows     []PolicyRef
	Line        int
}

// Deployments is a parsed deployments.yaml:
//
//	deployments:
//	  - step: application
//	    champion: credit-underwriting@3
//	    challengers: [{policy: credit-underwriting@4, percent: 10}]
//	    shadows: [credit-underwriting@5]
//
// Each step appears at most once; challenger percents sum to at most 100.
type Deployments struct {
	File  string
	Steps []Deployment
}

// ParseDeployments parses deployments.yaml strictly.
func ParseDeployments(file string, data []byte) (*Deployments, error) {
	d := &decoder{file: file}
	root := d.document(data)
	ds := &Deployments{File: file}
	if root == nil {
		return ds, d.errs.Err()
	}
	d.mapping(root, "", []string{"deployments"}, func(_ string, _, v *yaml.Node) {
		if v.Kind != yaml.SequenceNode {
			d.errorf(v, "deployments", "must be a list")
			return
		}
		seen := map[string]bool{}
		for i, item := range v.Content {
			dep := d.deployment(item, fmt.Sprintf("deployments[%d]", i))
			if dep.Step != "" && seen[dep.Step] {
				d.errorf(item, fmt.Sprintf("deployments[%d].step", i), "step %q deployed twice", dep.Step)
			}
			seen[dep.Step] = true
			ds.Steps = append(ds.Steps, dep)
		}
	})
	return ds, d.errs.Err()
}

func (d *decoder) ref(n *yaml.Node, field string) PolicyRef {
	r, err := ParsePolicyRef(d.str(n, field))
	if err != nil && n != nil && n.Kind == yaml.ScalarNode {
		d.errorf(n, field, "%v", err)
	}
	return r
}

func (d *decoder) deployment(n *yaml.Node, field string) Deployment {
	dep := Deployment{Line: n.Line}
	d.mapping(n, field, []string{"step", "champion", "challengers", "shadows"}, func(key string, _, v *yaml.Node) {
		sub := joinField(field, key)
		switch key {
		case "step":
			dep.Step = d.oneOf(v, sub, "step", Steps)
		case "champion":
			dep.Champion = d.ref(v, sub)
		case "challengers":
			if v.Kind != yaml.SequenceNode {
				d.errorf(v, sub, "must be a list")
				return
			}
			total := 0
			for i, c := range v.Content {
				cf := fmt.Sprintf("%s[%d]", sub, i)
				var ch Challenger
				d.mapping(c, cf, []string{"policy", "percent"}, func(key string, _, cv *yaml.Node) {
					switch key {
					case "policy":
						ch.Policy = d.ref(cv, cf+".policy")
					case "percent":
						p, ok := d.integer(cv, cf+".percent")
						if ok && (p < 1 || p > 100) {
							d.errorf(cv, cf+".percent", "percent must be 1..100, got %d", p)
						}
						ch.Percent = int(p)
					}
				})
				total += ch.Percent
				dep.Challengers = append(dep.Challengers, ch)
			}
			if total > 100 {
				d.errorf(v, sub, "challenger percents sum to %d, more than 100", total)
			}
		case "shadows":
			if v.Kind != yaml.SequenceNode {
				d.errorf(v, sub, "must be a list")
				return
			}
			for i, s := range v.Content {
				dep.Shadows = append(dep.Shadows, d.ref(s, fmt.Sprintf("%s[%d]", sub, i)))
			}
		}
	})
	if dep.Step == "" || dep.Champion.ID == "" {
		d.errorf(n, field, "step and champion are required")
	}
	return dep
}

// FileKind tells what a YAML file in a bundle holds.
type FileKind int

// Kinds of bundle files.
const (
	KindPolicy FileKind = iota
	KindCatalog
	KindDeployments
	KindQueues
	KindNotifications
)

// DetectKind looks at a YAML document's top-level keys: a file whose only
// key is "features" is a catalog, "deployments" a deployments file; one
// with a "queues" key and no "rules" the manual review queues (package
// cases), one with a "notifications" key and no "rules" the messages
// domain events send (package comms); anything else is read as a policy.
func DetectKind(data []byte) FileKind {
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return KindPolicy
	}
	root := doc.Content[0]
	if root.Kind == yaml.MappingNode {
		queues, notifications, rules := false, false, false
		for i := 0; i+1 < len(root.Content); i += 2 {
			switch root.Content[i].Value {
			case "queues":
				queues = true
			case "notifications":
				notifications = true
			case "rules":
				rules = true
			}
		}
		switch {
		case queues && !rules:
			return KindQueues
		case notifications && !rules:
			return KindNotifications
		}
	}
	if root.Kind != yaml.MappingNode || len(root.Content) != 2 {
		return KindPolicy
	}
	switch root.Content[0].Value {
	case "features":
		return KindCatalog
	case "deployments":
		return KindDeployments
	}
	return KindPolicy
}
