package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// The cluster tests run real `nirnay serve` processes: the test binary
// itself, started again with asNirnayEnv set, is the nirnay command (see
// TestMain), so no second build is needed and the processes carry the
// same instrumentation as the test (-race in CI).
const asNirnayEnv = "NIRNAY_TEST_RUN_AS_NIRNAY"

func TestMain(m *testing.M) {
	if os.Getenv(asNirnayEnv) == "1" {
		os.Exit(run(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// clusterRedisDB is the Redis database the cluster's processes use: serve
// keeps its keys under the fixed prefix "nirnay:", so the cluster takes a
// database of its own, emptied before and after the test (one cluster at a
// time). Other tests use database 0 under prefixes of their own.
const clusterRedisDB = 9

// clusterAdminKey is the NIRNAY_ADMIN_KEY of every node.
const clusterAdminKey = "cluster-admin-key-0123456789"

// Waits in the cluster tests are generous: the machine may be a loaded
// 2-core one running the race detector.
const (
	readyTimeout = 180 * time.Second
	shipTimeout  = 60 * time.Second
)

// cluster is several nirnay serve processes sharing one PostgreSQL
// database and one Redis database, each reached through a proxy that can
// cut it (testenv.Proxy).
type cluster struct {
	nodes  []*node
	pg     *testenv.Proxy // between the nodes and PostgreSQL
	redis  *testenv.Proxy // between the nodes and Redis
	db     *store.DB      // straight to the database (not through the proxy), for counting
	client *http.Client
}

// node is one nirnay serve process, restartable on its data dir.
type node struct {
	c    *cluster
	t    *testing.T // the test that started the cluster, for its cleanup
	name string
	dir  string // NIRNAY_DATA_DIR
	addr string // 127.0.0.1:port, kept across restarts
	url  string
	env  []string
	log  string // stdout and stderr of every run, appended

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the current run has exited
}

// startCluster starts n nodes on a fresh PostgreSQL database and the
// cluster's Redis database: the first with --demo (keys, customers,
// lists), the others once it is ready, without it. Every process is
// stopped when the test ends; a data race any of them reported fails it.
func startCluster(t *testing.T, n int) *cluster {
	t.Helper()
	if testing.Short() {
		t.Skip("starts several nirnay processes")
	}
	dbURL, _ := testenv.PostgresDatabase(t)
	redisURL, _ := testenv.Redis(t)
	pu, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	ru, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{pg: testenv.NewProxy(t, pu.Host), redis: testenv.NewProxy(t, ru.Host),
		client: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConnsPerHost: 256, IdleConnTimeout: 30 * time.Second, DisableCompression: true,
			DialContext: (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		}}}
	t.Cleanup(c.client.CloseIdleConnections)

	ctx := context.Background()
	direct := redis.NewClient(&redis.Options{Addr: ru.Host, DB: clusterRedisDB})
	t.Cleanup(func() { direct.Close() })
	if err := direct.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("empty Redis database %d: %v", clusterRedisDB, err)
	}
	t.Cleanup(func() { direct.FlushDB(context.Background()) })

	nodeDB, nodeRedis := *pu, *ru
	nodeDB.Host, nodeRedis.Host = c.pg.Addr(), c.redis.Addr()
	nodeRedis.Path = fmt.Sprintf("/%d", clusterRedisDB)
	base := []string{asNirnayEnv + "=1", "NIRNAY_DATABASE_URL=" + nodeDB.String(), "NIRNAY_REDIS_URL=" + nodeRedis.String(),
		"NIRNAY_ADMIN_KEY=" + clusterAdminKey, "NIRNAY_LOG_LEVEL=warn", "NIRNAY_LOG_FORMAT=text",
		"NIRNAY_SHUTDOWN_TIMEOUT=5s", "NIRNAY_MEMORY_LIMIT=268435456"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "NIRNAY_") {
			base = append(base, kv)
		}
	}
	root := t.TempDir()
	for i := range n {
		nd := &node{c: c, t: t, name: fmt.Sprintf("node%d", i), dir: filepath.Join(root, fmt.Sprintf("node%d", i)),
			addr: freeAddr(t), log: filepath.Join(root, fmt.Sprintf("node%d.log", i))}
		nd.url = "http://" + nd.addr
		nd.env = append(append([]string{}, base...), "NIRNAY_DATA_DIR="+nd.dir, "NIRNAY_HTTP_ADDR="+nd.addr)
		c.nodes = append(c.nodes, nd)
		t.Cleanup(nd.stop) // registered before the database connection below: runs after it closes
	}
	if c.db, err = store.Open(ctx, dbURL, ""); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.db.Close() })

	began := time.Now()
	c.nodes[0].mustStart(t, "--demo")
	c.nodes[0].mustBeReady(t)
	firstReady := time.Since(began)
	for _, nd := range c.nodes[1:] {
		nd.mustStart(t)
	}
	for _, nd := range c.nodes[1:] {
		nd.mustBeReady(t)
	}
	t.Logf("cluster of %d nodes ready in %v (the --demo node in %v)", n, time.Since(began).Round(time.Millisecond), firstReady.Round(time.Millisecond))
	for _, nd := range c.nodes { // each ensured the same bootstrap key; the demo keys are the first node's
		for _, key := range []string{clusterAdminKey, "demo-ops-key"} {
			if a, err := nd.do("GET", "/v1/decisions?limit=1", key, nil, nil); err != nil || a.status != http.StatusOK {
				t.Fatalf("%s with key %.10s…: %v %d %s", nd.name, key, err, a.status, a.raw)
			}
		}
	}
	return c
}

// freeAddr is a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(testenv.FreePort(t))
}

// start runs the node's process with args after "serve"; mustStart
// fails the test when it cannot.
func (nd *node) start(args ...string) error {
	out, err := os.OpenFile(nd.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer out.Close() // the child has its own copy
	fmt.Fprintf(out, "==== %s: serve %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(args, " "))
	cmd := exec.Command(os.Args[0], append([]string{"serve"}, args...)...)
	cmd.Env, cmd.Stdout, cmd.Stderr = nd.env, out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s: start: %w", nd.name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	nd.mu.Lock()
	nd.cmd, nd.done = cmd, done
	nd.mu.Unlock()
	return nil
}

func (nd *node) mustStart(t *testing.T, args ...string) {
	t.Helper()
	if err := nd.start(args...); err != nil {
		t.Fatal(err)
	}
}

// waitReady waits until the node answers /readyz with 200; the error
// (with the node's log) says why not: the process exited or readyTimeout
// passed. mustBeReady fails the test instead.
func (nd *node) waitReady() error {
	nd.mu.Lock()
	done := nd.done
	nd.mu.Unlock()
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := nd.c.client.Get(nd.url + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		select {
		case <-done:
			return fmt.Errorf("%s exited before it was ready:\n%s", nd.name, nd.logTail())
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %v (last: %v):\n%s", nd.name, readyTimeout, err, nd.logTail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (nd *node) mustBeReady(t *testing.T) {
	t.Helper()
	if err := nd.waitReady(); err != nil {
		t.Fatal(err)
	}
}

// kill9 kills the node's process with SIGKILL and waits for it to be gone.
func (nd *node) kill9() {
	nd.mu.Lock()
	cmd, done := nd.cmd, nd.done
	nd.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
}

// stop ends the node's process (SIGTERM, then SIGKILL after a while) and
// fails the test if any run of it reported a data race; when the test has
// failed it shows the end of the node's log.
func (nd *node) stop() {
	nd.mu.Lock()
	cmd, done := nd.cmd, nd.done
	nd.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
		}
	}
	if b, err := os.ReadFile(nd.log); err == nil && bytes.Contains(b, []byte("WARNING: DATA RACE")) {
		nd.t.Errorf("%s reported a data race:\n%s", nd.name, b)
	} else if nd.t.Failed() {
		nd.t.Logf("%s's log, last lines:\n%s", nd.name, nd.logTail())
	}
}

// logTail is the last lines the node's runs wrote.
func (nd *node) logTail() string {
	b, _ := os.ReadFile(nd.log)
	if len(b) > 8000 {
		b = b[len(b)-8000:]
	}
	return string(b)
}

// answer is one HTTP answer from a node.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

func (a answer) str(key string) string {
	s, _ := a.body[key].(string)
	return s
}

// do sends a JSON body (nil for none) with the bearer key and returns the
// answer; err is a transport error (the node did not answer). wrote, when
// not nil, is called once the request has been written to the node.
func (nd *node) do(method, path, key string, body any, wrote func()) (answer, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return answer{}, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, nd.url+path, rd)
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", "application/json")
	if wrote != nil {
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			WroteRequest: func(httptrace.WroteRequestInfo) { wrote() }}))
	}
	resp, err := nd.c.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	if len(raw) > 0 && json.Unmarshal(raw, &a.body) != nil {
		return a, fmt.Errorf("%s %s on %s: answer %d is not a JSON object: %.200s", method, path, nd.name, resp.StatusCode, raw)
	}
	return a, nil
}

// decisionBody is a demo customer's application decision, as the README's
// curl example sends it: customer C%08d with their device, PAN, phone and
// bank account. An empty requestID sends none.
func decisionBody(requestID string, customer, amount int) map[string]any {
	body := map[string]any{"customer_id": fmt.Sprintf("C%08d", customer), "step": "application",
		"input": map[string]any{"amount": amount, "tenure_months": 12, "device_id": fmt.Sprintf("D%08d", customer),
			"pan_hash": fmt.Sprintf("PAN%08d", customer), "phone_hash": fmt.Sprintf("PH%08d", customer),
			"account_hash": fmt.Sprintf("BA%08d", customer)}}
	if requestID != "" {
		body["request_id"] = requestID
	}
	return body
}

// decide posts a decision with the demo service key (wrote as for do).
func (nd *node) decide(body map[string]any, wrote func()) (answer, error) {
	return nd.do("POST", "/v1/decisions", "demo-service-key", body, wrote)
}

// inFlight reports whether a is the 503 of a request id another instance
// is deciding right now, which a client retries shortly.
func inFlight(a answer) bool {
	return a.status == http.StatusServiceUnavailable && strings.Contains(a.str("detail"), "being decided by another instance")
}

// getDecision reads a decision by id with the ops key.
func (nd *node) getDecision(id string) (answer, error) {
	return nd.do("GET", "/v1/decisions/"+id, "demo-ops-key", nil, nil)
}

// stored counts the acted-on decisions in the database whose request id
// starts with prefix: rows, and distinct (customer, request id) pairs.
func (c *cluster) stored(t *testing.T, prefix string) (rows, requests int) {
	t.Helper()
	err := c.db.Reader().QueryRow(`SELECT count(*), count(DISTINCT customer_id || '/' || request_id) FROM decisions
		WHERE role <> 'shadow' AND request_id LIKE $1`, prefix+"%").Scan(&rows, &requests)
	if err != nil {
		t.Fatalf("count stored decisions: %v", err)
	}
	return rows, requests
}

// storedIDs returns, for each of ids found in the database, how many rows
// it has there.
func (c *cluster) storedIDs(t *testing.T, ids []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for start := 0; start < len(ids); start += 500 {
		chunk := ids[start:min(start+500, len(ids))]
		args := make([]any, len(chunk))
		ph := make([]string, len(chunk))
		for i, id := range chunk {
			args[i], ph[i] = id, fmt.Sprintf("$%d", i+1)
		}
		rows, err := c.db.Reader().Query(`SELECT id, count(*) FROM decisions WHERE id IN (`+strings.Join(ph, ",")+`) GROUP BY id`, args...)
		if err != nil {
			t.Fatalf("read stored decisions: %v", err)
		}
		for rows.Next() {
			var id string
			var n int
			if err := rows.Scan(&id, &n); err != nil {
				t.Fatal(err)
			}
			out[id] = n
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// waitStored waits until every one of ids is in the database (shipped by
// whichever node decided it), or shipTimeout passes; it returns the
// stored rows per id as storedIDs does.
func (c *cluster) waitStored(t *testing.T, ids []string) map[string]int {
	t.Helper()
	deadline := time.Now().Add(shipTimeout)
	for {
		got := c.storedIDs(t, ids)
		if len(got) == len(ids) || time.Now().After(deadline) {
			return got
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// decisionsPerRequest counts the request ids starting with prefix by how
// many acted-on decisions the database holds for each: {1: 200} is one
// decision for each of 200 ids.
func (c *cluster) decisionsPerRequest(t *testing.T, prefix string) map[int]int {
	t.Helper()
	return testenv.Pairs[int, int](t, c.db.Reader(), `SELECT n, count(*) FROM (SELECT count(*) AS n FROM decisions
		WHERE role <> 'shadow' AND request_id LIKE $1 GROUP BY customer_id, request_id) per GROUP BY n`, prefix+"%")
}

// storedByRequest maps each request id starting with prefix to the id of
// its stored acted-on decision (the last one, should there be several).
func (c *cluster) storedByRequest(t *testing.T, prefix string) map[string]string {
	t.Helper()
	return testenv.Pairs[string, string](t, c.db.Reader(), `SELECT request_id, id FROM decisions WHERE role <> 'shadow' AND request_id LIKE $1`, prefix+"%")
}

// errNoAnswer is a request no node answered within the client's retries.
var errNoAnswer = errors.New("no node answered")
