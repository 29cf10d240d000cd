package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

func policyVersion(v int, decline string) string {
	return fmt.Sprintf(`id: credit
version: %d
step: application
rules:
  - {id: young, when: "f.age < %s", outcome: decline, reasons: [AGE]}
score: {base: 600}
offer:
  limit: "f.monthly_income * 3"
`, v, decline)
}

func newTestEngine(t *testing.T, fx *fixture, vec *features.Vector, deploy string, versions ...string) (*Engine, *Registry) {
	t.Helper()
	reg := NewRegistry()
	for _, src := range versions {
		if err := reg.Add(fx.compile(t, src)); err != nil {
			t.Fatal(err)
		}
	}
	d, err := rules.ParseDeployments("deployments.yaml", []byte(deploy))
	if err != nil {
		t.Fatal(err)
	}
	set, err := NewDeploymentSet(reg, d)
	if err != nil {
		t.Fatal(err)
	}
	var n atomic.Int64
	e := New(Config{
		Features: features.NewStatic(vec),
		Clock:    func() time.Time { return testNow },
		NewID:    func(time.Time) string { return fmt.Sprintf("dec_%d", n.Add(1)) },
	})
	e.Activate(set)
	return e, reg
}

func TestDecideJSONShape(t *testing.T) {
	fx := newFixture(t)
	vec, _ := fx.b.Build(map[string]any{"age": 19, "monthly_income": 40000}, testNow)
	e, _ := newTestEngine(t, fx, vec, "deployments:\n  - {step: application, champion: credit@1, shadows: [credit@2]}\n",
		policyVersion(1, "21"), policyVersion(2, "18"))
	d, err := e.Decide(context.Background(), Request{RequestID: "r-1", CustomerID: "C-1001", Step: "application", Input: map[string]any{"amount": 50000}})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(d)
	want := `{"decision_id":"dec_1","request_id":"r-1","customer_id":"C-1001","step":"application","outcome":"decline","reasons":["AGE"],"score":600,"offer":null,"actions":[],"policy":{"id":"credit","version":1,"role":"champion"},"rules":[{"id":"young","fired":true,"outcome":"decline","reasons":["AGE"]}],"shadow":[{"policy":{"id":"credit","version":2},"outcome":"approve","reasons":[],"score":600}],"evaluated_at":"2026-11-26T10:00:00Z","latency_us":0}`
	if string(got) != want {
		t.Errorf("decision JSON:\n got %s\nwant %s", got, want)
	}
	if len(d.Log.Evaluations) != 2 || d.Log.Evaluations[1].Policy.Role != nirnay.RoleShadow || d.Log.Evaluations[1].Result.Offer["limit"] != int64(120000) {
		t.Errorf("log evaluations: got %+v", d.Log.Evaluations)
	}
	obs := d.Log.Features()
	if len(obs) != 2 || obs[0].Name != "age" || obs[0].Value != int64(19) || obs[0].State != features.Present || obs[1].Name != "monthly_income" {
		t.Errorf("log features: got %+v", obs)
	}
}

func TestDecideErrors(t *testing.T) {
	fx := newFixture(t)
	vec, _ := fx.b.Build(nil, testNow)
	e, _ := newTestEngine(t, fx, vec, "deployments:\n  - {step: application, champion: credit@1}\n", policyVersion(1, "21"))
	ctx := context.Background()
	if _, err := e.Decide(ctx, Request{Step: "checkout"}); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("unknown step: got %v, want ErrInvalidRequest", err)
	}
	if _, err := e.Decide(ctx, Request{Step: "login"}); !errors.Is(err, ErrNoDeployment) {
		t.Errorf("undeployed step: got %v, want ErrNoDeployment", err)
	}
	if _, err := e.Decide(ctx, Request{Step: "application", Input: map[string]any{"device_id": 7}}); !nirnay.IsKind(err, nirnay.KindInvalid) || !strings.Contains(err.Error(), "input.device_id") {
		t.Errorf("mistyped request feature: got %v, want an invalid-request error naming input.device_id", err)
	}
	reg := NewRegistry()
	c := fx.compile(t, policyVersion(1, "21"))
	if err := reg.Add(c); err != nil {
		t.Fatal(err)
	}
	if err := reg.Add(fx.compile(t, policyVersion(1, "30"))); !errors.Is(err, ErrVersionExists) {
		t.Errorf("re-adding credit@1: got %v, want ErrVersionExists", err)
	}
	d, _ := rules.ParseDeployments("d.yaml", []byte("deployments:\n  - {step: application, champion: credit@9}\n"))
	if _, err := NewDeploymentSet(reg, d); !errors.Is(err, ErrUnknownPolicy) {
		t.Errorf("unknown version: got %v, want ErrUnknownPolicy", err)
	}
	d, _ = rules.ParseDeployments("d.yaml", []byte("deployments:\n  - {step: login, champion: credit@1}\n"))
	if _, err := NewDeploymentSet(reg, d); err == nil || !strings.Contains(err.Error(), "is a policy for step application") {
		t.Errorf("wrong step: got %v", err)
	}
}

func TestChallengerSplitIsStable(t *testing.T) {
	fx := newFixture(t)
	vec, _ := fx.b.Build(map[string]any{"age": 30, "monthly_income": 1000}, testNow)
	e, _ := newTestEngine(t, fx, vec, "deployments:\n  - step: application\n    champion: credit@1\n    challengers: [{policy: credit@2, percent: 10}]\n",
		policyVersion(1, "21"), policyVersion(2, "18"))
	ctx := context.Background()
	challengers := 0
	for i := 0; i < 2000; i++ {
		id := fmt.Sprintf("C-%d", i)
		d, err := e.Decide(ctx, Request{CustomerID: id, Step: "application"})
		if err != nil {
			t.Fatal(err)
		}
		wantRole := nirnay.RoleChampion
		if Bucket(id, "application") < 10 {
			wantRole = nirnay.RoleChallenger
			challengers++
		}
		if d.Policy.Role != wantRole || (wantRole == nirnay.RoleChallenger) != (d.Policy.Version == 2) {
			t.Fatalf("%s: got %+v, want role %s", id, d.Policy, wantRole)
		}
		again, _ := e.Decide(ctx, Request{CustomerID: id, Step: "application"})
		if again.Policy != d.Policy {
			t.Fatalf("%s: assignment changed from %+v to %+v", id, d.Policy, again.Policy)
		}
	}
	if challengers < 140 || challengers > 260 {
		t.Errorf("challenger share: got %d of 2000, want about 200", challengers)
	}
}

func TestActivateSwapsWhileDeciding(t *testing.T) {
	fx := newFixture(t)
	vec, _ := fx.b.Build(map[string]any{"age": 19, "monthly_income": 1000}, testNow)
	e, reg := newTestEngine(t, fx, vec, "deployments:\n  - {step: application, champion: credit@1}\n", policyVersion(1, "21"), policyVersion(2, "18"))
	sets := make([]*DeploymentSet, 2)
	for i := range sets {
		d, _ := rules.ParseDeployments("d.yaml", []byte(fmt.Sprintf("deployments:\n  - {step: application, champion: credit@%d}\n", i+1)))
		var err error
		if sets[i], err = NewDeploymentSet(reg, d); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 300; i++ {
				d, err := e.Decide(context.Background(), Request{CustomerID: "C-1", Step: "application"})
				if err != nil {
					errs <- err.Error()
					return
				}
				// Version 1 declines a 19-year-old, version 2 approves: never mixed.
				if (d.Policy.Version == 1) != (d.Outcome == "decline") {
					errs <- fmt.Sprintf("version %d gave %s", d.Policy.Version, d.Outcome)
					return
				}
			}
		}()
	}
	for i := 0; i < 300; i++ {
		e.Activate(sets[i%2])
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
}

// Evaluation is deterministic: the same policy, vector, input and now give
// byte-identical decisions, however often and on whichever vector copy.
func TestEvaluationIsDeterministic(t *testing.T) {
	fx := newFixture(t)
	c := fx.compileFile(t, "testdata/credit.yaml")
	rapid.Check(t, func(rt *rapid.T) {
		feats := map[string]any{}
		for _, name := range []string{"age", "monthly_income", "bureau_score", "enquiries_30d", "total_emi"} {
			if rapid.Bool().Draw(rt, name+"_present") {
				feats[name] = rapid.IntRange(-10, 900000).Draw(rt, name)
			}
		}
		if rapid.Bool().Draw(rt, "thin_present") {
			feats["thin_file"] = rapid.Bool().Draw(rt, "thin_file")
		}
		input := map[string]any{"device_id": rapid.SampledFrom([]string{"d-1", "d-9"}).Draw(rt, "device")}
		lists := StaticLists{"blocked_devices": {"d-9"}}
		eval := func(trace bool) Result {
			vec, err := fx.b.Build(feats, testNow)
			if err != nil {
				rt.Fatal(err)
			}
			if vec, err = vec.WithInput(input, testNow); err != nil {
				rt.Fatal(err)
			}
			res, err := Evaluate(c, Inputs{Vector: vec, Input: input, Now: testNow, Lists: lists, Trace: trace})
			if err != nil {
				rt.Fatal(err)
			}
			return res
		}
		first, _ := json.Marshal(eval(false))
		second, _ := json.Marshal(eval(false))
		if string(first) != string(second) {
			rt.Fatalf("same inputs, different results:\n%s\n%s", first, second)
		}
		traced := eval(true)
		traced.Rules = nil
		plain := eval(false)
		plain.Rules = nil
		a, _ := json.Marshal(traced)
		b, _ := json.Marshal(plain)
		if string(a) != string(b) {
			rt.Fatalf("trace changed the decision:\n%s\n%s", a, b)
		}
	})
}
