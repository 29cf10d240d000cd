package engine

import (
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sync"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/rules"
)

// Errors of policy resolution.
var (
	ErrVersionExists = errors.New("policy version already registered (published versions are immutable)")
	ErrUnknownPolicy = errors.New("policy version not registered")
	ErrNoDeployment  = errors.New("no policy deployed for step")
)

// Registry holds compiled policy versions by id@version. A version, once
// added, is never replaced. Safe for concurrent use.
type Registry struct {
	mu sync.RWMutex
	m  map[rules.PolicyRef]*rules.Compiled
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{m: map[rules.PolicyRef]*rules.Compiled{}}
}

// Add registers a compiled version; ErrVersionExists if id@version is
// already there.
func (r *Registry) Add(c *rules.Compiled) error {
	ref := rules.PolicyRef{ID: c.Policy.ID, Version: c.Policy.Version}
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.m[ref]; ok {
		return fmt.Errorf("%s: %w", ref, ErrVersionExists)
	}
	r.m[ref] = c
	return nil
}

// Get returns a registered version.
func (r *Registry) Get(ref rules.PolicyRef) (*rules.Compiled, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	c, ok := r.m[ref]
	return c, ok
}

// DeploymentSet is the resolved, immutable set of active policies for
// every step. The engine swaps it whole.
type DeploymentSet struct {
	steps map[string]*stepDeployment
}

type stepDeployment struct {
	champion    *rules.Compiled
	challengers []weighted
	shadows     []*rules.Compiled
	reads       []int // union of slots all of the step's policies read
}

type weighted struct {
	c       *rules.Compiled
	cumPerc uint64 // cumulative percent, 1..100
}

// NewDeploymentSet resolves deployments against the registry. Every
// referenced version must be registered and be a policy for that step.
func NewDeploymentSet(reg *Registry, d *rules.Deployments) (*DeploymentSet, error) {
	set := &DeploymentSet{steps: map[string]*stepDeployment{}}
	for _, dep := range d.Steps {
		get := func(ref rules.PolicyRef) (*rules.Compiled, error) {
			c, ok := reg.Get(ref)
			if !ok {
				return nil, fmt.Errorf("%s:%d: step %s: %s: %w", d.File, dep.Line, dep.Step, ref, ErrUnknownPolicy)
			}
			if c.Policy.Step != dep.Step {
				return nil, fmt.Errorf("%s:%d: step %s: %s is a policy for step %s", d.File, dep.Line, dep.Step, ref, c.Policy.Step)
			}
			return c, nil
		}
		sd := &stepDeployment{}
		var err error
		if sd.champion, err = get(dep.Champion); err != nil {
			return nil, err
		}
		cum := uint64(0)
		for _, ch := range dep.Challengers {
			c, err := get(ch.Policy)
			if err != nil {
				return nil, err
			}
			cum += uint64(ch.Percent)
			sd.challengers = append(sd.challengers, weighted{c: c, cumPerc: cum})
		}
		for _, ref := range dep.Shadows {
			c, err := get(ref)
			if err != nil {
				return nil, err
			}
			sd.shadows = append(sd.shadows, c)
		}
		sd.reads = unionReads(sd)
		set.steps[dep.Step] = sd
	}
	return set, nil
}

func unionReads(sd *stepDeployment) []int {
	seen := map[int]bool{}
	add := func(c *rules.Compiled) {
		for _, s := range c.Reads() {
			seen[s] = true
		}
	}
	add(sd.champion)
	for _, w := range sd.challengers {
		add(w.c)
	}
	for _, c := range sd.shadows {
		add(c)
	}
	out := make([]int, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}

// Bucket is a customer's stable bucket 0..99 for a step: FNV-1a 64 of
// customerID + "/" + step, mod 100.
func Bucket(customerID, step string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(customerID))
	h.Write([]byte{'/'})
	h.Write([]byte(step))
	return h.Sum64() % 100
}

// resolve picks the acting policy for a customer: the first challenger
// whose cumulative percent exceeds the customer's bucket, else the champion.
func (sd *stepDeployment) resolve(customerID, step string) (*rules.Compiled, nirnay.PolicyRole) {
	if len(sd.challengers) > 0 {
		b := Bucket(customerID, step)
		for _, w := range sd.challengers {
			if b < w.cumPerc {
				return w.c, nirnay.RoleChallenger
			}
		}
	}
	return sd.champion, nirnay.RoleChampion
}
