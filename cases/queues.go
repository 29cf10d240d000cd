package cases

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/rules"
)

// QueuesFile is the shipped queue settings in the policy bundle.
const QueuesFile = "queues.yaml"

// Queue is one review queue's settings (policies/queues.yaml).
type Queue struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	// SLAHours is how many business hours a case may wait for its verdict.
	SLAHours int `json:"sla_hours"`
	// Priority orders queues for ops: 1 is the most urgent, 5 the least.
	Priority int `json:"priority"`
	// FourEyesAbove: a case whose amount is above it needs a second,
	// different reviewer; 0 never.
	FourEyesAbove money.Paise `json:"four_eyes_above"`
	// Deciders are the API roles that may decide the queue's cases (admin
	// always may); Leads those that may reassign them.
	Deciders []string `json:"deciders"`
	Leads    []string `json:"leads"`
}

// FourEyes reports whether a case of amount needs a second reviewer.
func (q *Queue) FourEyes(amount money.Paise) bool {
	return q.FourEyesAbove > 0 && amount > q.FourEyesAbove
}

// MayDecide reports whether an API role may decide the queue's cases.
func (q *Queue) MayDecide(role string) bool {
	return role == "admin" || slices.Contains(q.Deciders, role)
}

// MayReassign reports whether an API role may reassign the queue's cases.
func (q *Queue) MayReassign(role string) bool {
	return role == "admin" || slices.Contains(q.Leads, role)
}

// Queues is the validated queue settings: the business hours SLAs run in
// and every queue by name. Immutable once loaded; safe for concurrent use.
type Queues struct {
	Hours  BusinessHours
	byName map[string]*Queue
	names  []string
}

// Get returns a queue by name.
func (qs *Queues) Get(name string) (*Queue, bool) {
	q, ok := qs.byName[name]
	return q, ok
}

// Names lists the queues in file order.
func (qs *Queues) Names() []string { return slices.Clone(qs.names) }

// All lists the queues in file order.
func (qs *Queues) All() []*Queue {
	out := make([]*Queue, 0, len(qs.names))
	for _, n := range qs.names {
		out = append(out, qs.byName[n])
	}
	return out
}

// DueAt is when a case of queue q opened at t must be decided: t plus the
// queue's SLA in business hours.
func (qs *Queues) DueAt(q *Queue, t time.Time) time.Time {
	return qs.Hours.Add(t, time.Duration(q.SLAHours)*time.Hour)
}

// QueueError is a queues file that cannot be loaded:
// "file:line: field: message", as the policy files report theirs.
type QueueError = rules.Error

// The API roles a queue may name (service, the mobile backend, never decides).
var reviewerRoles = []string{"ops", "approver", "analyst", "admin"}

var (
	queueName = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)
	clockTime = regexp.MustCompile(`^([01][0-9]|2[0-3]):([0-5][0-9])$`)
	weekdays  = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday,
		"wed": time.Wednesday, "thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}
)

// Limits of a queues file.
const (
	maxQueuesBytes = 64 << 10
	maxQueues      = 100
	maxSLAHours    = 24 * 30
	maxHolidays    = 1000
)

// DefaultQueues loads the shipped policies/queues.yaml.
func DefaultQueues() (*Queues, error) { return LoadQueues(policies.FS, QueuesFile) }

// LoadQueues reads and validates the queues file at name in fsys.
func LoadQueues(fsys fs.FS, name string) (*Queues, error) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("review queues: %w", err)
	}
	return ParseQueues(name, data)
}

// ParseQueues reads a queues file strictly. Errors are *QueueError naming
// the file, line and field: an unknown key, a key given twice, a missing
// or bad value, a queue named twice, a role that may not review, and a
// journey step without a queue (every step can refer: on_error defaults
// to review). The format:
//
//	business_hours:            # optional; these are the defaults
//	  zone: Asia/Kolkata
//	  days: [mon, tue, wed, thu, fri, sat]
//	  open: "09:30"
//	  close: "18:30"
//	  holidays: ["2026-01-26"]  # dates in the zone
//	queues:
//	  - name: application       # [a-z0-9][a-z0-9_-]*; a step's name is its default queue
//	    description: …
//	    sla_hours: 8            # business hours, 1..720
//	    priority: 2             # 1 (most urgent) .. 5; default 3
//	    four_eyes_above_paise: 20000000   # optional; 0 or absent: never
//	    deciders: [ops, approver]         # default [ops, approver]; admin always
//	    leads: [approver]                 # may reassign; default [approver]; admin always
func ParseQueues(file string, data []byte) (*Queues, error) {
	bad := func(n *yaml.Node, field, format string, a ...any) error {
		line := 0
		if n != nil {
			line = n.Line
		}
		return &QueueError{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, a...)}
	}
	if len(data) > maxQueuesBytes {
		return nil, bad(nil, "", "larger than %d bytes", maxQueuesBytes)
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, bad(nil, "", "empty file")
		}
		return nil, bad(nil, "", "%v", err)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	qs := &Queues{Hours: DefaultBusinessHours(), byName: map[string]*Queue{}}
	err := eachKey(root, "", bad, func(k, v *yaml.Node) error {
		switch k.Value {
		case "business_hours":
			return parseHours(v, &qs.Hours, bad)
		case "queues":
			if v.Kind != yaml.SequenceNode {
				return bad(v, "queues", "want a list of queues")
			}
			if len(v.Content) > maxQueues {
				return bad(v, "queues", "more than %d queues", maxQueues)
			}
			for i, item := range v.Content {
				q, err := parseQueue(item, fmt.Sprintf("queues[%d]", i), bad)
				if err != nil {
					return err
				}
				if _, dup := qs.byName[q.Name]; dup {
					return bad(item, fmt.Sprintf("queues[%d].name", i), "queue %q is given twice", q.Name)
				}
				qs.byName[q.Name] = q
				qs.names = append(qs.names, q.Name)
			}
			return nil
		}
		return bad(k, k.Value, "unknown field")
	})
	if err != nil {
		return nil, err
	}
	for _, step := range rules.Steps {
		if _, ok := qs.byName[step]; !ok {
			return nil, bad(root, "queues", "no queue for step %q (a step's referred decisions go to the queue of its name)", step)
		}
	}
	return qs, nil
}

// eachKey walks a mapping node, refusing keys given twice.
func eachKey(n *yaml.Node, path string, bad func(*yaml.Node, string, string, ...any) error, fn func(k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return bad(n, strings.TrimSuffix(path, "."), "want a mapping")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if seen[k.Value] {
			return bad(k, path+k.Value, "given twice")
		}
		seen[k.Value] = true
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func parseQueue(n *yaml.Node, path string, bad func(*yaml.Node, string, string, ...any) error) (*Queue, error) {
	q := &Queue{Priority: 3, Deciders: []string{"ops", "approver"}, Leads: []string{"approver"}}
	hasSLA := false
	err := eachKey(n, path+".", bad, func(k, v *yaml.Node) error {
		field := path + "." + k.Value
		switch k.Value {
		case "name":
			if !queueName.MatchString(v.Value) || v.Kind != yaml.ScalarNode {
				return bad(v, field, "%q is not a queue name ([a-z0-9][a-z0-9_-]*, at most 63 characters)", v.Value)
			}
			q.Name = v.Value
		case "description":
			q.Description = v.Value
		case "sla_hours":
			hasSLA = true
			return intIn(v, field, 1, maxSLAHours, &q.SLAHours, bad)
		case "priority":
			return intIn(v, field, 1, 5, &q.Priority, bad)
		case "four_eyes_above_paise":
			var p int
			if err := intIn(v, field, 0, 1<<53, &p, bad); err != nil {
				return err
			}
			q.FourEyesAbove = money.Paise(p)
		case "deciders", "leads":
			roles, err := roleList(v, field, bad)
			if err != nil {
				return err
			}
			if k.Value == "deciders" {
				q.Deciders = roles
			} else {
				q.Leads = roles
			}
		default:
			return bad(k, field, "unknown field")
		}
		return nil
	})
	switch {
	case err != nil:
		return nil, err
	case q.Name == "":
		return nil, bad(n, path+".name", "is required")
	case !hasSLA:
		return nil, bad(n, path+".sla_hours", "is required")
	}
	return q, nil
}

func intIn(v *yaml.Node, field string, lo, hi int, dst *int, bad func(*yaml.Node, string, string, ...any) error) error {
	n, err := strconv.Atoi(v.Value)
	if v.Kind != yaml.ScalarNode || err != nil || n < lo || n > hi {
		return bad(v, field, "%q is not a whole number in %d..%d", v.Value, lo, hi)
	}
	*dst = n
	return nil
}

func roleList(v *yaml.Node, field string, bad func(*yaml.Node, string, string, ...any) error) ([]string, error) {
	if v.Kind != yaml.SequenceNode {
		return nil, bad(v, field, "want a list of roles")
	}
	out := []string{}
	for _, r := range v.Content {
		if !slices.Contains(reviewerRoles, r.Value) {
			return nil, bad(r, field, "role %q may not review cases; one of %v", r.Value, reviewerRoles)
		}
		out = append(out, r.Value)
	}
	return out, nil
}

func parseHours(n *yaml.Node, h *BusinessHours, bad func(*yaml.Node, string, string, ...any) error) error {
	err := eachKey(n, "business_hours.", bad, func(k, v *yaml.Node) error {
		field := "business_hours." + k.Value
		switch k.Value {
		case "zone":
			loc, err := time.LoadLocation(v.Value)
			if err != nil || v.Value == "" || v.Value == "Local" {
				return bad(v, field, "%q is not an IANA time zone", v.Value)
			}
			h.Zone = loc
		case "days":
			if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
				return bad(v, field, "want a list of days (mon, tue, …)")
			}
			h.Days = [7]bool{}
			for _, d := range v.Content {
				wd, ok := weekdays[d.Value]
				if !ok {
					return bad(d, field, "%q is not a day (sun, mon, tue, wed, thu, fri, sat)", d.Value)
				}
				h.Days[wd] = true
			}
		case "open", "close":
			m := clockTime.FindStringSubmatch(v.Value)
			if m == nil {
				return bad(v, field, "%q is not a time of day HH:MM", v.Value)
			}
			hh, _ := strconv.Atoi(m[1])
			mm, _ := strconv.Atoi(m[2])
			d := time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute
			if k.Value == "open" {
				h.Open = d
			} else {
				h.Close = d
			}
		case "holidays":
			if v.Kind != yaml.SequenceNode || len(v.Content) > maxHolidays {
				return bad(v, field, "want a list of at most %d dates YYYY-MM-DD", maxHolidays)
			}
			h.Holidays = map[string]bool{}
			for _, d := range v.Content {
				if _, err := time.Parse(time.DateOnly, d.Value); err != nil {
					return bad(d, field, "%q is not a date YYYY-MM-DD", d.Value)
				}
				h.Holidays[d.Value] = true
			}
		default:
			return bad(k, field, "unknown field")
		}
		return nil
	})
	if err != nil {
		return err
	}
	if h.Close <= h.Open {
		return bad(n, "business_hours.close", "must be after open")
	}
	return nil
}
