package decisions_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/decisions/decisionstest"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/policies"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// velocityBundle is the shipped feature catalog with the small policies of
// testdata/velocity, which read the velocity aggregates.
func velocityBundle(t testing.TB) *decisionstest.Compiled {
	t.Helper()
	cat, err := fs.ReadFile(policies.FS, "features.yaml")
	if err != nil {
		t.Fatal(err)
	}
	m := fstest.MapFS{"features.yaml": {Data: cat}}
	var files []string
	entries, err := os.ReadDir("testdata/velocity")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile("testdata/velocity/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name()] = &fstest.MapFile{Data: b}
		if e.Name() != "deployments.yaml" {
			files = append(files, e.Name())
		}
	}
	return decisionstest.Bundle(t, m, files...)
}

// instance is one decision service on a feature store, as the service
// wires it: Source (default 2 s L1) → engine → decisions.Service, with the
// shipped velocity table counting through the Source.
type instance struct {
	svc *decisions.Service
	log *decisionlog.Log
	src *features.Source
	vel *decisions.Velocity
	reg *prometheus.Registry
}

func newInstance(t testing.TB, c *decisionstest.Compiled, st features.Store, wrap func(decisions.Aggregator) decisions.Aggregator) *instance {
	t.Helper()
	src, err := features.NewSource(features.SourceConfig{Builder: c.Builder, Store: st, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(src.Close)
	eng := engine.New(engine.Config{Features: src})
	eng.Activate(c.Deployments(t))
	l := decisionstest.Log(t, testenv.SQLite(t), decisionlog.Options{})
	var agg decisions.Aggregator = src
	if wrap != nil {
		agg = wrap(src)
	}
	reg := prometheus.NewRegistry()
	// A generous timeout: on a loaded machine a SQLite write can outlast
	// the default 50 ms, and the occurrence is then (correctly) deferred,
	// which is not what these tests are about (see the store-down test).
	vel, err := decisions.NewVelocity(c.Builder.Catalog(), agg, decisions.VelocityOptions{Logger: quiet, Registerer: reg, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	svc := decisions.New(eng, l, nil)
	svc.UseVelocity(vel)
	return &instance{svc: svc, log: l, src: src, vel: vel, reg: reg}
}

// embeddedStore is the in-process store as `serve` wires it without Redis.
func embeddedStore(t testing.TB, c *decisionstest.Compiled) *features.LocalStore {
	t.Helper()
	ctx := context.Background()
	st, err := features.NewLocalStore(ctx, testenv.SQLite(t), c.Builder.Catalog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close(ctx) })
	if err := st.KeepInMemory(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

// redisStore is a RedisStore on the harness's Redis under prefix.
func redisStore(t testing.TB, c *decisionstest.Compiled, prefix string) *features.RedisStore {
	t.Helper()
	rdb, _ := testenv.RedisClient(t)
	rs, err := features.NewRedisStore(rdb, prefix, c.Builder.Catalog(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// decided is one decision as answered and the feature values it logged.
type decided struct {
	engine.Decision
	replayed bool
	features map[string]any
}

func (in *instance) decide(t testing.TB, req engine.Request) decided {
	t.Helper()
	ctx := context.Background()
	res, err := in.svc.Decide(ctx, req)
	if err != nil {
		t.Fatalf("decide %+v: %v", req, err)
	}
	var d decided
	if err := json.Unmarshal(res.Response, &d.Decision); err != nil {
		t.Fatal(err)
	}
	d.replayed = res.Replayed
	rec, err := in.log.Get(ctx, d.DecisionID)
	if err != nil {
		t.Fatal(err)
	}
	var body decisions.Body
	if err := json.Unmarshal(rec.Body, &body); err != nil {
		t.Fatal(err)
	}
	d.features = map[string]any{}
	for _, f := range body.Features {
		d.features[f.Name] = f.Value
	}
	return d
}

// count is a logged feature value that must be a whole number.
func count(t testing.TB, d decided, name string) int {
	t.Helper()
	v, ok := d.features[name].(float64)
	if !ok {
		t.Fatalf("decision %s logged %s = %v (%T), want a number; features %v", d.DecisionID, name, d.features[name], d.features[name], d.features)
	}
	return int(v)
}

func application(id, customer string) engine.Request {
	return engine.Request{RequestID: id, CustomerID: customer, Step: "application", Input: map[string]any{"pan_hash": "PAN-" + customer}}
}

// fourApplications makes four back-to-back applications of one customer
// on the instances in turn and returns what each read.
func fourApplications(t *testing.T, customer string, on ...*instance) []decided {
	var out []decided
	for i := range 4 {
		out = append(out, on[i%len(on)].decide(t, application(customer+"-app-"+string(rune('1'+i)), customer)))
	}
	for i, d := range out {
		if got := count(t, d, "loan_applications_7d"); got != i {
			t.Errorf("application %d of %s read loan_applications_7d = %d, want %d (the ones before it)", i+1, customer, got, i)
		}
		if got := count(t, d, "pan_applications_30d"); got != i {
			t.Errorf("application %d of %s read pan_applications_30d = %d, want %d", i+1, customer, got, i)
		}
	}
	t.Logf("fourth application read loan_applications_7d = %v", out[3].features["loan_applications_7d"])
	return out
}

func TestVelocityEmbeddedReadYourWrites(t *testing.T) {
	c := velocityBundle(t)
	in := newInstance(t, c, embeddedStore(t, c), nil)
	fourApplications(t, "C-emb", in)

	// A replay answers the first decision and counts nothing again; the
	// shadow (which declines at 2) was evaluated every time and counted
	// nothing either: the fifth application reads 4 and is referred.
	if d := in.decide(t, application("C-emb-app-2", "C-emb")); !d.replayed {
		t.Fatalf("a repeated request id was decided again: %+v", d.Decision)
	}
	d := in.decide(t, application("C-emb-app-5", "C-emb"))
	if got := count(t, d, "loan_applications_7d"); got != 4 || d.Outcome != "review" || len(d.Shadow) != 1 {
		t.Errorf("fifth application read loan_applications_7d = %d and was %s with %d shadow(s); want 4, review (APPLICATION_VELOCITY) and 1",
			got, d.Outcome, len(d.Shadow))
	}
	if got := (eventsMetric(t, in, "loan_application", "applied")); got != 5 {
		t.Errorf(`nirnay_velocity_events_total{event="loan_application",result="applied"} = %v, want 5`, got)
	}
}

func TestVelocityRedisTwoInstances(t *testing.T) {
	c := velocityBundle(t)
	_, prefix := testenv.Redis(t)
	a := newInstance(t, c, redisStore(t, c, prefix), nil)
	b := newInstance(t, c, redisStore(t, c, prefix), nil)
	time.Sleep(100 * time.Millisecond) // both L1 subscriptions established
	// One instance: the fourth reads 3.
	fourApplications(t, "C-one", a)
	// A, B, A, B: each decision, right after the previous one on the other
	// instance, sees it.
	fourApplications(t, "C-two", a, b)
	const rounds = 50
	for i := range rounds {
		id := fmt.Sprintf("C-round-%d", i)
		a.decide(t, application(id+"-a", id))
		if got := count(t, b.decide(t, application(id+"-b", id)), "loan_applications_7d"); got != 1 {
			t.Errorf("round %d: the decision on B right after one on A read loan_applications_7d = %d, want 1", i, got)
		}
	}
	// B holds the customer in L1 from a decision that counts nothing (a
	// login); A counts an application: B's copy is dropped when A's
	// announcement arrives, which races with a read in the same process
	// at once (a client's next request comes a network round trip later).
	ctx := context.Background()
	stale := 0
	var lags []time.Duration
	for i := range rounds {
		id := fmt.Sprintf("C-warm-%d", i)
		b.decide(t, engine.Request{CustomerID: id, Step: "login"})
		a.decide(t, application(id+"-a", id))
		answered := time.Now()
		for first := true; ; first = false {
			v, err := b.src.Vector(ctx, features.Request{CustomerID: id, Now: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			f, _ := v.Catalog().Lookup("loan_applications_7d")
			if n, _ := v.Lookup(f.Slot, time.Now().UnixNano()); n != nil && n.Value() == int64(1) {
				lags = append(lags, time.Since(answered))
				break
			}
			if first {
				stale++
			}
			if time.Since(answered) > time.Second {
				t.Fatalf("round %d: B still reads the count from before A's application 1 s later (L1 TTL 2 s): no announcement", i)
			}
			time.Sleep(50 * time.Microsecond)
		}
		if got := count(t, b.decide(t, application(id+"-b", id)), "loan_applications_7d"); got != 1 {
			t.Errorf("round %d: the application on B once the announcement arrived read %d, want 1", i, got)
		}
	}
	slices.Sort(lags)
	t.Logf("B in L1 from a login, A applies, B reads at once: %d of %d stale; B's L1 dropped within p50 %s, max %s of A's answer",
		stale, rounds, lags[len(lags)/2], lags[len(lags)-1])
}

// flakyAggregator fails while down is set.
type flakyAggregator struct {
	decisions.Aggregator
	down  atomic.Bool
	calls atomic.Int64
}

func (f *flakyAggregator) Apply(ctx context.Context, events ...features.Event) error {
	f.calls.Add(1)
	if f.down.Load() {
		return errors.New("connection refused")
	}
	return f.Aggregator.Apply(ctx, events...)
}

func eventsMetric(t testing.TB, in *instance, event, result string) float64 {
	t.Helper()
	mfs, err := in.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "nirnay_velocity_events_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			var ev, res string
			for _, l := range m.GetLabel() {
				switch l.GetName() {
				case "event":
					ev = l.GetValue()
				case "result":
					res = l.GetValue()
				}
			}
			if ev == event && res == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no nirnay_velocity_events_total{event=%q,result=%q}", event, result)
	return 0
}

func TestVelocityStoreDownDecisionStandsAndCountsLater(t *testing.T) {
	c := velocityBundle(t)
	var flaky *flakyAggregator
	in := newInstance(t, c, embeddedStore(t, c), func(a decisions.Aggregator) decisions.Aggregator {
		flaky = &flakyAggregator{Aggregator: a}
		return flaky
	})
	flaky.down.Store(true)
	d := in.decide(t, application("down-1", "C-down"))
	if d.Outcome != "approve" {
		t.Fatalf("decision while the store is down: %s, want approve", d.Outcome)
	}
	if got := (eventsMetric(t, in, "loan_application", "deferred")); got != 1 {
		t.Errorf("deferred = %v, want 1", got)
	}
	if got := count(t, in.decide(t, application("down-2", "C-down")), "loan_applications_7d"); got != 0 {
		t.Errorf("second application while the store is down read %d, want 0 (nothing applied yet)", got)
	}
	// The store is back: Run applies both held events, once each.
	flaky.down.Store(false)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { in.vel.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for (eventsMetric(t, in, "loan_application", "retried")) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("held events not retried within 5 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if got := count(t, in.decide(t, application("down-3", "C-down")), "loan_applications_7d"); got != 2 {
		t.Errorf("third application after the retry read %d, want 2", got)
	}
}

func TestVelocityTableSignupKYCAndCounters(t *testing.T) {
	c := velocityBundle(t)
	in := newInstance(t, c, embeddedStore(t, c), nil)
	signup := func(id, cust string, risky bool) decided {
		input := map[string]any{"device_id": "dev-1", "phone_hash": "ph-1"}
		if risky {
			input["risky"] = true
		}
		return in.decide(t, engine.Request{RequestID: id, CustomerID: cust, Step: "signup", Input: input})
	}
	// A signup counts for its device whatever the outcome; a step-up that
	// asks for an OTP also counts an OTP request for the phone.
	first := signup("s1", "C-s1", false)
	second := signup("s2", "C-s2", true)
	third := signup("s3", "C-s3", false)
	if second.Outcome != "step_up" || len(second.Actions) != 1 {
		t.Fatalf("risky signup: %s %v, want step_up [otp]", second.Outcome, second.Actions)
	}
	for i, want := range []struct{ signups, otps int }{{0, 0}, {1, 0}, {2, 1}} {
		d := []decided{first, second, third}[i]
		if got := count(t, d, "signups_per_device_24h"); got != want.signups {
			t.Errorf("signup %d read signups_per_device_24h = %d, want %d", i+1, got, want.signups)
		}
		if got := count(t, d, "otp_requests_1h"); got != want.otps {
			t.Errorf("signup %d read otp_requests_1h = %d, want %d", i+1, got, want.otps)
		}
	}
	// A login step-up with [selfie, otp] counts an OTP too; logins count nothing else.
	in.decide(t, engine.Request{RequestID: "l1", CustomerID: "C-s1", Step: "login", Input: map[string]any{"phone_hash": "ph-1", "risky": true}})
	if got := count(t, in.decide(t, engine.Request{RequestID: "l2", CustomerID: "C-s1", Step: "login", Input: map[string]any{"phone_hash": "ph-1"}}), "otp_requests_1h"); got != 2 {
		t.Errorf("login after a login step-up with otp read otp_requests_1h = %d, want 2", got)
	}
	// KYC attempts count for the customer.
	for i := range 3 {
		d := in.decide(t, engine.Request{RequestID: "k" + string(rune('1'+i)), CustomerID: "C-k", Step: "kyc"})
		if got := count(t, d, "kyc_attempts_24h"); got != i {
			t.Errorf("kyc attempt %d read kyc_attempts_24h = %d, want %d", i+1, got, i)
		}
	}
	// A failed step-up challenge counted by name; the same id counts once.
	failed, err := in.vel.Counter("login_failed")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, id := range []string{"dec_x/login_failed", "dec_x/login_failed", "dec_y/login_failed"} {
		failed(ctx, decisions.Occurrence{ID: id, CustomerID: "C-l"})
	}
	failed(ctx, decisions.Occurrence{CustomerID: "C-l"}) // no id: dropped, not counted
	if got := count(t, in.decide(t, engine.Request{RequestID: "l3", CustomerID: "C-l", Step: "login"}), "login_failures_1h"); got != 2 {
		t.Errorf("login after failed challenges dec_x, dec_x again, dec_y and one without an id read login_failures_1h = %d, want 2", got)
	}
	// A repayment decision counts no payment; the lending core's Counter does.
	pay, err := in.vel.Counter("payment")
	if err != nil {
		t.Fatal(err)
	}
	in.decide(t, engine.Request{RequestID: "p1", CustomerID: "C-p", Step: "repayment"})
	pay(ctx, decisions.Occurrence{ID: "obx_1", CustomerID: "C-p"})
	if got := count(t, in.decide(t, engine.Request{RequestID: "p2", CustomerID: "C-p", Step: "repayment"}), "payments_7d"); got != 1 {
		t.Errorf("repayment decision after one repayment decision and one payment read payments_7d = %d, want 1", got)
	}
	if _, err := in.vel.Counter("login_fail"); err == nil {
		t.Errorf("Counter(login_fail) = nil error, want an error (no such event in the table)")
	}
}

func TestVelocityTableCheckedAgainstTheCatalog(t *testing.T) {
	c := velocityBundle(t)
	cat := c.Builder.Catalog()
	for _, tc := range []struct {
		rule decisions.VelocityRule
		want string
	}{
		{decisions.VelocityRule{Event: "loan_aplication", Entities: []string{"customer"}, Step: "application"}, "no aggregate of the feature catalog counts this event"},
		{decisions.VelocityRule{Event: "loan_application", Entities: []string{"device"}, Step: "application"}, "for entity device"},
		{decisions.VelocityRule{Event: "loan_application", Entities: []string{"costumer"}, Step: "application"}, `unknown entity "costumer"`},
		{decisions.VelocityRule{Event: "loan_application", Step: "application"}, "no entities"},
		{decisions.VelocityRule{Event: "loan_application", Entities: []string{"customer"}, Step: "aplication"}, `unknown step "aplication"`},
		{decisions.VelocityRule{Event: "otp_request", Entities: []string{"phone"}, Outcome: "stepup"}, `unknown outcome "stepup"`},
		{decisions.VelocityRule{Event: "sms_emi_debit", Entities: []string{"customer"}}, "is a sum of field"},
	} {
		_, err := decisions.NewVelocity(cat, &flakyAggregator{}, decisions.VelocityOptions{Rules: []decisions.VelocityRule{tc.rule}})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewVelocity(%+v): %v, want an error containing %q", tc.rule, err, tc.want)
		}
	}
	_, err := decisions.NewVelocity(cat, &flakyAggregator{}, decisions.VelocityOptions{Rules: []decisions.VelocityRule{
		{Event: "loan_application", Entities: []string{"customer", "pan"}, Step: "application"},
		{Event: "loan_application", Entities: []string{"customer"}, Step: "offer_accept"}}})
	if err == nil || !strings.Contains(err.Error(), "differ") {
		t.Errorf("two rules of one event with different entities: %v, want an error", err)
	}
	if _, err := decisions.NewVelocity(cat, &flakyAggregator{}, decisions.VelocityOptions{}); err != nil {
		t.Errorf("the shipped table against the shipped catalog: %v", err)
	}
}
