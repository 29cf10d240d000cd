package main

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestCluster runs three `nirnay serve` processes on one PostgreSQL and one
// Redis, the production shape behind a load balancer, and checks that
// nothing is lost and nothing decided twice: the same request ids sent to
// every node at once, a node killed with SIGKILL under load, PostgreSQL
// and then Redis out of reach while decisions flow (cluster_outage_test.go).
// The scenarios share the cluster (starting it, with the demo data seeded,
// is most of the suite's time) and run in order; each uses request ids and
// demo customers of its own, and first checks that every node is ready.
func TestCluster(t *testing.T) {
	c := startCluster(t, 3)
	for _, sc := range []struct {
		name string
		run  func(*testing.T, *cluster)
	}{
		{"concurrent duplicates", clusterDuplicates},
		{"kill -9 under load", clusterKill9},
		{"PostgreSQL outage", clusterPostgresOutage},
		{"Redis outage", clusterRedisOutage},
	} {
		t.Run(sc.name, func(t *testing.T) {
			for _, nd := range c.nodes {
				nd.mustBeReady(t)
			}
			sc.run(t, c)
		})
	}
}

// clusterDuplicates sends each of 200 request ids (20 demo customers,
// application step) to all three nodes at the same moment: every id is
// answered with one decision id by all three, decided by exactly one of
// them (the other two replay it), and once shipped the database holds
// exactly one decision per (customer, request id).
func clusterDuplicates(t *testing.T, c *cluster) {
	const ids, customers = 200, 20
	type result struct {
		a        answer
		err      error
		inFlight int // 503s of the id being decided on another node, retried
	}
	got := make([][3]result, ids)
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for i := range ids {
		body := decisionBody(fmt.Sprintf("dup-%03d", i), 1+i%customers, 20000+(i%40)*5000)
		for j, nd := range c.nodes {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				r := &got[i][j]
				for range 50 {
					r.a, r.err = nd.decide(body, nil)
					if r.err != nil || !inFlight(r.a) {
						return
					}
					r.inFlight++
					time.Sleep(100 * time.Millisecond)
				}
			}()
		}
	}
	began := time.Now()
	close(gate)
	wg.Wait()
	took := time.Since(began)

	var (
		answered            []string
		distinct            = map[string]bool{}
		deciders            = map[int]int{} // how many nodes decided an id (answered it not replayed) → ids
		replayed, retried   int
		failures, disagreed int
	)
	for i, rs := range got {
		var dids [3]string
		fresh := 0
		for j, r := range rs {
			retried += r.inFlight
			switch {
			case r.err != nil:
				failures++
				t.Errorf("dup-%03d on %s: %v", i, c.nodes[j].name, r.err)
				continue
			case r.a.status != http.StatusOK:
				failures++
				t.Errorf("dup-%03d on %s: status %d %s", i, c.nodes[j].name, r.a.status, r.a.raw)
				continue
			}
			dids[j] = r.a.str("decision_id")
			if r.a.header.Get("Idempotent-Replayed") == "true" {
				replayed++
			} else {
				fresh++
			}
		}
		deciders[fresh]++
		if dids[0] == "" || dids[0] != dids[1] || dids[1] != dids[2] {
			disagreed++
			t.Errorf("dup-%03d: the nodes answered decisions %v; want one decision", i, dids)
		}
		if dids[0] != "" && !distinct[dids[0]] {
			distinct[dids[0]] = true
			answered = append(answered, dids[0])
		}
	}
	t.Logf("%d request ids × 3 nodes at once, answered in %v: %d answers failed, %d ids answered with different decisions, %d distinct decision ids, %d answers replayed; ids by the number of nodes that decided them: %v; %d in-flight 503s retried",
		ids, took.Round(time.Millisecond), failures, disagreed, len(distinct), replayed, deciders, retried)
	if len(distinct) != ids || deciders[1] != ids {
		t.Errorf("%d distinct decision ids, %d ids decided by exactly one node; want %d of each", len(distinct), deciders[1], ids)
	}

	stored := c.waitStored(t, answered)
	perID := c.decisionsPerRequest(t, "dup-")
	rows, requests := c.stored(t, "dup-")
	t.Logf("after shipping: %d of %d answered decisions in the database; %d decisions stored for %d request ids; request ids by decisions stored: %v",
		len(stored), len(answered), rows, requests, perID)
	if len(stored) != len(answered) || rows != ids || requests != ids || perID[1] != ids {
		t.Errorf("stored %d of %d answered decisions, %d decisions for %d request ids (by count %v); want exactly one decision for each of %d ids",
			len(stored), len(answered), rows, requests, perID, ids)
	}
}

// sent is what a load-balancing client made of one request.
type sent struct {
	requestID  string
	decisionID string
	node       int // the node that answered it
	attempts   int
	refused    int // attempts on a node that was not listening
	broken     int // attempts cut off without an answer (the node died with it in flight)
	status503  int
	inFlight   int // 503s of the id being decided on another node
	took       time.Duration
	err        error
}

// send posts body as a client behind a load balancer does: to node first,
// and, with the same request id, to the next node when a node does not
// answer or answers 503, or again after a pause while the id is being
// decided on another node (503). It gives up after a minute. wrote, when
// not nil, is called once the first attempt has been written.
func (c *cluster) send(body map[string]any, first int, wrote func()) (s sent) {
	s = sent{requestID: fmt.Sprint(body["request_id"])}
	began := time.Now()
	defer func() { s.took = time.Since(began) }()
	deadline := began.Add(time.Minute)
	for k := first; ; {
		s.attempts++
		nd := c.nodes[k%len(c.nodes)]
		a, err := nd.decide(body, wrote)
		wrote = nil
		next := true // try the next node
		switch {
		case err == nil && a.status == http.StatusOK:
			s.decisionID, s.node = a.str("decision_id"), k%len(c.nodes)
			return s
		case err != nil && errors.Is(err, syscall.ECONNREFUSED):
			s.refused++
		case err != nil:
			s.broken++
		case inFlight(a):
			s.inFlight++
			next = false
			time.Sleep(200 * time.Millisecond)
		case a.status == http.StatusServiceUnavailable:
			s.status503++
		default:
			s.err = fmt.Errorf("%s on %s: status %d %s", s.requestID, nd.name, a.status, a.raw)
			return s
		}
		if time.Now().After(deadline) {
			s.err = fmt.Errorf("%s: %w in a minute (%d attempts, last: %v %d %.200s)", s.requestID, errNoAnswer, s.attempts, err, a.status, a.raw)
			return s
		}
		if next {
			if k++; (k-first)%len(c.nodes) == 0 {
				time.Sleep(100 * time.Millisecond) // every node failed it once: pause before the next round
			}
		}
	}
}

// clusterKill9 sends decisions round-robin at 200/s for 6 s and, halfway,
// a burst of 30 more to one node, which is killed with SIGKILL while they
// are in flight and restarted on its data dir at once; the client retries
// what failed on another node with the same request id. Every answered
// decision is then readable on every node and stored once, and no request
// id has two decisions.
//
// A request the node had claimed but not yet logged when it died is
// answered only once its claim is taken over, 10 s after it was made (the
// decision service's claimTakeover): the other nodes answer 503 meanwhile,
// which the client waits out. With the burst in flight at the kill that
// happens in most runs, and is most of this scenario's time.
func clusterKill9(t *testing.T, c *cluster) {
	const rate, seconds, burst = 200, 6, 30
	const total = rate*seconds + burst
	victim := c.nodes[1]
	results := make([]sent, total)
	var (
		wg        sync.WaitGroup
		sem       = make(chan struct{}, 256) // bounds the requests in flight
		restarted = make(chan error, 1)
		killedAt  time.Duration
		readyAt   time.Duration
	)
	request := func(i, first int, wrote func()) {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			body := decisionBody(fmt.Sprintf("k9-%04d", i), 101+i%200, 20000+(i%40)*5000)
			results[i] = c.send(body, first, wrote)
		}()
	}
	start := time.Now()
	for i := range rate * seconds {
		time.Sleep(time.Until(start.Add(time.Duration(i) * time.Second / rate)))
		if i == rate*seconds/2 {
			// The burst: killed once a third of it has reached the node,
			// so some of it is surely in flight there.
			var written atomic.Int64
			for b := range burst {
				request(rate*seconds+b, 1, func() { written.Add(1) })
			}
			for deadline := time.Now().Add(5 * time.Second); written.Load() < burst/3 && time.Now().Before(deadline); {
				time.Sleep(100 * time.Microsecond)
			}
			victim.kill9()
			killedAt = time.Since(start)
			go func() { // restarted at once, on its data dir, while the load goes on
				err := victim.start()
				if err == nil {
					err = victim.waitReady()
				}
				readyAt = time.Since(start)
				restarted <- err
			}()
		}
		request(i, i, nil)
	}
	wg.Wait()
	loadTook := time.Since(start)
	if err := <-restarted; err != nil {
		t.Fatalf("restart after kill -9: %v", err)
	}
	t.Logf("%s killed at %v, restarted and ready %v later", victim.name, killedAt.Round(time.Millisecond), (readyAt - killedAt).Round(time.Millisecond))

	var (
		ids                                          []string
		byDecision                                   = map[string]string{} // decision id → request id
		byRequest                                    = map[string]string{}
		retried, refused, broken, unavail, inFlights int
		failed, sameDecision                         int
		longest                                      time.Duration
		byNode                                       = map[string]int{}
	)
	for _, s := range results {
		if s.err != nil {
			failed++
			t.Error(s.err)
			continue
		}
		if s.attempts > 1 {
			retried++
		}
		longest = max(longest, s.took)
		refused += s.refused
		broken += s.broken
		unavail += s.status503
		inFlights += s.inFlight
		byNode[c.nodes[s.node].name]++
		if prev, ok := byDecision[s.decisionID]; ok {
			sameDecision++
			t.Errorf("request ids %s and %s answered with the same decision %s", prev, s.requestID, s.decisionID)
		}
		byDecision[s.decisionID] = s.requestID
		byRequest[s.requestID] = s.decisionID
		ids = append(ids, s.decisionID)
	}
	t.Logf("%d requests (%d/s for %ds and a burst of %d at %s) in %v: %d answered (by node %v), %d failed; %d retried: %d attempts refused, %d cut off in flight, %d answered 503, %d in-flight 503s waited out (longest wait %v)",
		total, rate, seconds, burst, victim.name, loadTook.Round(time.Millisecond), len(ids), byNode, failed,
		retried, refused, broken, unavail, inFlights, longest.Round(time.Millisecond))
	if len(ids) != total || sameDecision > 0 {
		t.Errorf("%d of %d requests answered, %d answers repeating another request's decision; want all answered, each its own", len(ids), total, sameDecision)
	}
	if broken == 0 {
		t.Errorf("no request was cut off in flight by the kill")
	}

	// Every answered decision is readable, on any node.
	var unreadable []string
	var mu sync.Mutex
	work := make(chan int)
	for w := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				nd := c.nodes[(i+w)%len(c.nodes)]
				a, err := nd.getDecision(ids[i])
				if err != nil || a.status != http.StatusOK || a.str("decision_id") != ids[i] || a.str("request_id") != byDecision[ids[i]] {
					mu.Lock()
					unreadable = append(unreadable, fmt.Sprintf("%s on %s: %v %d %.200s", ids[i], nd.name, err, a.status, a.raw))
					mu.Unlock()
				}
			}
		}()
	}
	for i := range ids {
		work <- i
	}
	close(work)
	wg.Wait()
	sort.Strings(unreadable)
	t.Logf("read back: %d of %d answered decisions readable with their request id", len(ids)-len(unreadable), len(ids))
	if len(unreadable) > 0 {
		t.Errorf("%d answered decisions not readable, e.g. %s", len(unreadable), strings.Join(unreadable[:min(5, len(unreadable))], "; "))
	}

	// Stored once each, one decision per request id, and that decision is the answered one.
	stored := c.waitStored(t, ids)
	perID := c.decisionsPerRequest(t, "k9-")
	rows, requests := c.stored(t, "k9-")
	mismatched := 0
	for reqID, decID := range c.storedByRequest(t, "k9-") {
		if want := byRequest[reqID]; want != "" && want != decID {
			mismatched++
			t.Errorf("%s: stored decision %s, answered %s", reqID, decID, want)
		}
	}
	t.Logf("after shipping: %d of %d answered decisions in the database; %d decisions stored for %d request ids (request ids by decisions stored: %v); %d stored decisions differ from the answer",
		len(stored), len(ids), rows, requests, perID, mismatched)
	if len(stored) != len(ids) || rows != total || requests != total || perID[1] != total {
		t.Errorf("stored %d of %d answered decisions, %d decisions for %d request ids (by count %v); want exactly one decision for each of %d ids",
			len(stored), len(ids), rows, requests, perID, total)
	}
}
