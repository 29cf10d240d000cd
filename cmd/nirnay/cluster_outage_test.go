package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nirnay/nirnay/store"
)

// clusterPostgresOutage cuts every node off PostgreSQL while decisions
// flow for 3 s: decisions without a request_id are still answered (logged
// locally, and readable on the node that made them); a new request_id is
// 503 with Retry-After, as is a retry elsewhere of one decided before the
// cut (never a second decision, never a 500). Once PostgreSQL is back,
// everything decided during the outage is shipped exactly once, and the
// refused request ids are decided once each when the client retries them.
func clusterPostgresOutage(t *testing.T, c *cluster) {
	// Before the cut: a decision with a request id on every node (its key
	// now cached there), shipped and read on every node (the ops key too).
	var before []sent
	for j := range c.nodes {
		s := c.send(decisionBody(fmt.Sprintf("pg-before-%d", j), 401+j, 50000), j, nil)
		if s.err != nil || s.node != j {
			t.Fatalf("before the cut: %+v", s)
		}
		before = append(before, s)
	}
	c.waitStored(t, []string{before[0].decisionID, before[1].decisionID, before[2].decisionID})
	for _, s := range before {
		for _, nd := range c.nodes {
			if a, err := nd.getDecision(s.decisionID); err != nil || a.status != http.StatusOK {
				t.Fatalf("before the cut, %s on %s: %v %d %s", s.decisionID, nd.name, err, a.status, a.raw)
			}
		}
	}

	type outageResult struct {
		kind   string // "no id", "new id", "retry"
		node   int
		body   map[string]any
		a      answer
		err    error
		readOK bool // the node that made it could read it back during the outage
	}
	var (
		results []outageResult
		mu      sync.Mutex
		wg      sync.WaitGroup
		next    atomic.Int64
	)
	c.pg.Cut()
	cutAt := time.Now()
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(cutAt) < 3*time.Second {
				i := int(next.Add(1) - 1)
				r := outageResult{node: i % len(c.nodes)}
				switch {
				case i%10 == 9: // a retry, on another node, of an id decided before the cut
					r.kind, r.body = "retry", decisionBody(fmt.Sprintf("pg-before-%d", (r.node+1)%3), 401+(r.node+1)%3, 50000)
				case i%2 == 1:
					r.kind, r.body = "new id", decisionBody(fmt.Sprintf("pg-out-%04d", i), 410+i%40, 30000+(i%20)*5000)
				default:
					r.kind, r.body = "no id", decisionBody("", 410+i%40, 30000+(i%20)*5000)
				}
				nd := c.nodes[r.node]
				r.a, r.err = nd.decide(r.body, nil)
				if r.kind == "no id" && r.err == nil && r.a.status == http.StatusOK {
					g, err := nd.getDecision(r.a.str("decision_id"))
					r.readOK = err == nil && g.status == http.StatusOK
				}
				mu.Lock()
				results = append(results, r)
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	c.pg.Restore()
	restoredAt := time.Now()

	counts := map[string]int{}
	var outageIDs []string
	var refused []outageResult
	for _, r := range results {
		status := "error"
		if r.err == nil {
			status = fmt.Sprint(r.a.status)
		}
		counts[r.kind+" "+status]++
		switch {
		case r.err != nil:
			t.Errorf("%s on %s during the outage: %v", r.kind, c.nodes[r.node].name, r.err)
		case r.kind == "no id":
			if r.a.status != http.StatusOK {
				t.Errorf("a decision without request_id on %s during the outage: %d %s; want 200", c.nodes[r.node].name, r.a.status, r.a.raw)
				continue
			}
			outageIDs = append(outageIDs, r.a.str("decision_id"))
			if !r.readOK {
				counts["no id, not readable on its node"]++
				t.Errorf("decision %s not readable on %s, which made it, during the outage", r.a.str("decision_id"), c.nodes[r.node].name)
			}
		case r.kind == "retry" && r.a.status == http.StatusOK:
			if want := before[(r.node+1)%3].decisionID; r.a.str("decision_id") != want {
				t.Errorf("retry of %v on %s during the outage: decision %s, want %s", r.body["request_id"], c.nodes[r.node].name, r.a.str("decision_id"), want)
			}
		case r.a.status != http.StatusServiceUnavailable || r.a.header.Get("Retry-After") == "":
			t.Errorf("%s %v on %s during the outage: %d (Retry-After %q) %s; want 503 with Retry-After", r.kind, r.body["request_id"],
				c.nodes[r.node].name, r.a.status, r.a.header.Get("Retry-After"), r.a.raw)
		case r.kind == "new id":
			refused = append(refused, r)
		}
	}
	t.Logf("PostgreSQL cut for %v: answers by request kind and status: %v", restoredAt.Sub(cutAt).Round(time.Millisecond), counts)
	if counts["no id 200"] == 0 || counts["new id 503"] == 0 || counts["retry 503"] == 0 {
		t.Errorf("want decisions without request_id answered, and new and retried request ids refused, during the outage; got %v", counts)
	}

	// Stored exactly once: every answered id (the id is the table's key),
	// and as many decisions without a request id in the outage's time as
	// were answered (none lost, none stored under another id).
	stored := c.waitStored(t, outageIDs)
	shipped := time.Since(restoredAt)
	var noID int
	if err := c.db.Reader().QueryRow(`SELECT count(*) FROM decisions WHERE role <> 'shadow' AND request_id = ''
		AND customer_id BETWEEN 'C00000410' AND 'C00000449' AND decided_at BETWEEN $1 AND $2`,
		store.Instant(cutAt.Add(-time.Second)), store.Instant(restoredAt.Add(time.Second))).Scan(&noID); err != nil {
		t.Fatal(err)
	}
	outRows, _ := c.stored(t, "pg-out-")
	t.Logf("after PostgreSQL is back: %d of %d decisions made during the outage stored within %v, %d decisions without request_id stored for that time; %d decisions stored for the %d request ids refused",
		len(stored), len(outageIDs), shipped.Round(time.Millisecond), noID, outRows, len(refused))
	if len(stored) != len(outageIDs) || noID != len(outageIDs) || outRows != 0 {
		t.Errorf("%d of %d outage decisions stored, %d stored in all; %d decisions for refused request ids; want all, exactly once, and none for the refused",
			len(stored), len(outageIDs), noID, outRows)
	}

	// The client retries what was refused: one decision each.
	var retriedIDs []string
	for _, r := range refused {
		s := c.send(r.body, r.node+1, nil)
		if s.err != nil {
			t.Error(s.err)
			continue
		}
		retriedIDs = append(retriedIDs, s.decisionID)
	}
	c.waitStored(t, retriedIDs)
	perID := c.decisionsPerRequest(t, "pg-out-")
	beforePerID := c.decisionsPerRequest(t, "pg-before-")
	t.Logf("the %d refused request ids retried: %d answered; request ids by decisions stored: %v; the ids decided before the cut: %v",
		len(refused), len(retriedIDs), perID, beforePerID)
	if len(retriedIDs) != len(refused) || perID[1] != len(refused) || len(perID) != 1 || beforePerID[1] != 3 || len(beforePerID) != 1 {
		t.Errorf("refused ids retried: %d of %d answered, stored %v; before the cut: %v; want one decision each", len(retriedIDs), len(refused), perID, beforePerID)
	}
}

// clusterRedisOutage cuts every node off Redis while decisions flow:
// every decision is still answered (no 5xx); a customer each node decided
// for before the cut is decided on the feature values the node held,
// marked "stale" in the decision log with those values, rather than on
// missing features that make the rules error (RULE_ERROR); once Redis is
// back their features are read fresh ("present") again.
func clusterRedisOutage(t *testing.T, c *cluster) {
	const held = 601 // the customer every node decides for before the cut
	body := func(id string) map[string]any { return decisionBody(id, held, 100000) }
	// Before the cut: one decision on each node, and what it read.
	var before []map[string]usedFeature
	for j, nd := range c.nodes {
		a, err := nd.decide(body(fmt.Sprintf("rd-before-%d", j)), nil)
		if err != nil || a.status != http.StatusOK {
			t.Fatalf("before the cut on %s: %v %d %s", nd.name, err, a.status, a.raw)
		}
		fs := c.featuresOf(t, nd, a.str("decision_id"))
		if n := countState(fs, "present"); n < 10 {
			t.Fatalf("before the cut, %s read only %d features present for C%08d: %v", nd.name, n, held, fs)
		}
		before = append(before, fs)
		if bad := ruleErrors(a); bad > 0 {
			t.Fatalf("before the cut, %s: %d rules errored: %s", nd.name, bad, a.raw)
		}
	}

	c.redis.Cut()
	cutAt := time.Now()
	time.Sleep(2500 * time.Millisecond) // past L1's 2 s: the nodes must read the store, and cannot

	// Decisions keep flowing: the held customer on every node, and others.
	var (
		statuses = map[string]int{}
		errored  = map[string]int{} // "held" / "other" → decisions with rules in error
		mismatch []string
		stale    = map[string]int{} // node → features stale with their value, for the held customer
	)
	for round := range 3 {
		for j, nd := range c.nodes {
			a, err := nd.decide(body(fmt.Sprintf("rd-out-%d-%d", j, round)), nil)
			if err != nil || a.status != http.StatusOK {
				t.Fatalf("the held customer on %s during the outage: %v %d %s", nd.name, err, a.status, a.raw)
			}
			statuses[fmt.Sprint(a.status)]++
			if n := ruleErrors(a); n > 0 {
				errored["held"]++
				t.Errorf("C%08d on %s during the outage: %d rules errored (reasons %v); want it decided on the values held", held, nd.name, n, a.body["reasons"])
			}
			fs := c.featuresOf(t, nd, a.str("decision_id"))
			for name, f := range before[j] {
				got := fs[name]
				switch {
				case f.State != "present":
				case got.State == "stale" && fmt.Sprint(got.Value) == fmt.Sprint(f.Value):
					if round == 0 {
						stale[nd.name]++
					}
				case got.State == "present" && fmt.Sprint(got.Value) == fmt.Sprint(f.Value):
					// a request feature, from the input
				default:
					mismatch = append(mismatch, fmt.Sprintf("%s %s: %v %s before, %v %s during", nd.name, name, f.Value, f.State, got.Value, got.State))
				}
			}
			for k := range 10 {
				cust := 620 + 10*j + k
				o, err := nd.decide(decisionBody(fmt.Sprintf("rd-other-%d-%d-%d", j, round, k), cust, 50000), nil)
				if err != nil {
					t.Fatalf("C%08d on %s during the outage: %v", cust, nd.name, err)
				}
				statuses[fmt.Sprint(o.status)]++
				if o.status >= 500 {
					t.Errorf("C%08d on %s during the outage: %d %s", cust, nd.name, o.status, o.raw)
				}
				if ruleErrors(o) > 0 {
					errored["other"]++
				}
			}
		}
	}
	sort.Strings(mismatch)
	t.Logf("Redis cut for %v: answers by status %v; decisions with rules in error: %v (of 9 for the held customer, 90 for customers the nodes never read); held customer's features stale with the values held, by node: %v; %d differing from before",
		time.Since(cutAt).Round(time.Millisecond), statuses, errored, stale, len(mismatch))
	if len(mismatch) > 0 {
		t.Errorf("features of C%08d during the outage differ from those held: %s", held, strings.Join(mismatch[:min(10, len(mismatch))], "; "))
	}
	for _, nd := range c.nodes {
		if stale[nd.name] < 10 {
			t.Errorf("%s decided C%08d on %d features stale with the values held; want at least 10", nd.name, held, stale[nd.name])
		}
	}

	c.redis.Restore()
	restoredAt := time.Now()
	for j, nd := range c.nodes {
		deadline := time.Now().Add(30 * time.Second)
		for round := 0; ; round++ {
			a, err := nd.decide(body(fmt.Sprintf("rd-after-%d-%d", j, round)), nil)
			if err != nil || a.status != http.StatusOK {
				t.Fatalf("after Redis is back, on %s: %v %d %s", nd.name, err, a.status, a.raw)
			}
			fs := c.featuresOf(t, nd, a.str("decision_id"))
			if countState(fs, "stale") == 0 && countState(fs, "present") >= countState(before[j], "present") {
				t.Logf("%s reads C%08d's features fresh again %v after Redis is back (%d present)", nd.name, held,
					time.Since(restoredAt).Round(time.Millisecond), countState(fs, "present"))
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still decides C%08d on %d stale features 30 s after Redis is back", nd.name, held, countState(fs, "stale"))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
}

// usedFeature is one feature value a logged decision read.
type usedFeature struct {
	Value any    `json:"value"`
	State string `json:"state"`
}

// featuresOf reads a decision on nd and returns the features it used.
func (c *cluster) featuresOf(t *testing.T, nd *node, decisionID string) map[string]usedFeature {
	t.Helper()
	a, err := nd.getDecision(decisionID)
	if err != nil || a.status != http.StatusOK {
		t.Fatalf("read %s on %s: %v %d %s", decisionID, nd.name, err, a.status, a.raw)
	}
	var d struct {
		Features []struct {
			Name string `json:"name"`
			usedFeature
		} `json:"features"`
	}
	if err := json.Unmarshal(a.raw, &d); err != nil {
		t.Fatal(err)
	}
	out := map[string]usedFeature{}
	for _, f := range d.Features {
		out[f.Name] = f.usedFeature
	}
	return out
}

func countState(fs map[string]usedFeature, state string) int {
	n := 0
	for _, f := range fs {
		if f.State == state && f.Value != nil {
			n++
		}
	}
	return n
}

// ruleErrors counts the rules in error in a decision answer, and a
// RULE_ERROR reason.
func ruleErrors(a answer) int {
	n := 0
	rules, _ := a.body["rules"].([]any)
	for _, r := range rules {
		if m, ok := r.(map[string]any); ok && m["error"] != nil && m["error"] != "" {
			n++
		}
	}
	if reasons, ok := a.body["reasons"].([]any); ok {
		for _, r := range reasons {
			if r == "RULE_ERROR" {
				n++
			}
		}
	}
	return n
}
