package rules

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/nirnay/nirnay"
)

func testEnv(t testing.TB) *Env {
	t.Helper()
	data, err := os.ReadFile("testdata/features.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cat, err := ParseCatalog("testdata/features.yaml", data)
	if err != nil {
		t.Fatalf("ParseCatalog: %v", err)
	}
	env, err := NewEnv(cat, Limits{})
	if err != nil {
		t.Fatalf("NewEnv: %v", err)
	}
	return env
}

const header = "id: p\nversion: 1\nstep: application\n"

// load parses and compiles src, returning the first error list.
func load(t *testing.T, env *Env, src string) (*Compiled, ErrorList) {
	t.Helper()
	p, err := ParsePolicy("p.yaml", []byte(src))
	if err == nil {
		var c *Compiled
		c, err = env.Compile(p)
		if err == nil {
			return c, nil
		}
	}
	var list ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("error %v is %T, want ErrorList", err, err)
	}
	return nil, list
}

func TestPolicyErrorsNameFileLineField(t *testing.T) {
	env := testEnv(t)
	tests := []struct {
		name      string
		src       string
		wantLine  int
		wantField string
		wantMsg   string
	}{
		{"unknown top-level key", header + "colour: red\n", 4, "colour", `unknown key "colour"`},
		{"unknown rule key", header + "rules:\n  - id: a\n    when: f.age < 21\n    outcomes: decline\n", 7, "rules[a].outcomes", `unknown key "outcomes"`},
		{"duplicate rule id", header + "rules:\n  - id: a\n    when: f.age < 21\n  - id: a\n    when: f.age > 60\n", 7, "rules[a].id", `duplicate rule id "a"`},
		{"unknown outcome", header + "rules:\n  - id: a\n    when: f.age < 21\n    outcome: deny\n", 7, "rules[a].outcome", `unknown outcome "deny"`},
		{"unknown default", header + "default: maybe\n", 4, "default", `unknown outcome "maybe"`},
		{"bad CEL", header + "rules:\n  - id: a\n    when: \"f.age <\"\n", 6, "rules[a].when", "Syntax error"},
		{"non-bool rule", header + "rules:\n  - id: a\n    when: f.age + 1\n", 6, "rules[a].when", "must be bool, is int"},
		{"unknown feature", header + "rules:\n  - id: a\n    when: f.agee < 21\n", 6, "rules[a].when", "unknown feature agee"},
		{"type mismatch", header + "rules:\n  - id: a\n    when: f.city > 3\n", 6, "rules[a].when", "no matching overload"},
		{"block scalar line", header + "rules:\n  - id: a\n    when: |\n      f.age > 3 &&\n      f.city == 4\n", 8, "rules[a].when", "no matching overload"},
		{"offer not int", header + "offer:\n  limit: \"f.ratio * 2.0\"\n", 5, "offer.limit", "must be int"},
		{"band without below", header + "score:\n  bands:\n    - {outcome: decline}\n", 6, "score.bands[0].below", "below is required"},
		{"bad version", header[:len("id: p\n")] + "version: 0\nstep: application\n", 2, "version", "positive integer"},
		{"bad id", "id: Credit_Policy\nversion: 1\nstep: application\n", 1, "id", "must match"},
		{"unknown step", "id: p\nversion: 1\nstep: checkout\n", 3, "step", `unknown step "checkout"`},
		{"missing id", "version: 1\nstep: application\n", 1, "id", "id is required"},
		{"duplicate key", header + "default: approve\ndefault: review\n", 5, "default", "duplicate key"},
		{"precedence misses outcome", header + "precedence: [decline, review, approve]\nrules:\n  - id: a\n    when: f.age < 21\n    outcome: step_up\n", 6, "rules[a].outcome", "not in precedence"},
		{"test unknown feature", header + "tests:\n  - name: t\n    features: {agee: 1}\n    expect: {outcome: approve}\n", 6, "tests[0].features.agee", "unknown feature"},
		{"test wrong type", header + "tests:\n  - name: t\n    features: {age: old}\n    expect: {outcome: approve}\n", 6, "tests[0].features.age", "want int"},
		{"test without expect", header + "tests:\n  - name: t\n", 5, "tests[0].expect", "expect is required"},
		{"invalid yaml", header + "rules: [\n", 4, "", "invalid YAML"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := load(t, env, tt.src)
			if len(errs) == 0 {
				t.Fatalf("no error for\n%s", tt.src)
			}
			e := errs[0]
			if e.File != "p.yaml" || e.Line != tt.wantLine || e.Field != tt.wantField || !strings.Contains(e.Msg, tt.wantMsg) {
				t.Errorf("got %q (file %q line %d field %q), want p.yaml line %d field %q containing %q",
					e.Error(), e.File, e.Line, e.Field, tt.wantLine, tt.wantField, tt.wantMsg)
			}
			if strings.Contains(e.Error(), "\n") {
				t.Errorf("error %q spans lines, want one line", e.Error())
			}
		})
	}
}

func TestParsePolicyDefaultsAndFields(t *testing.T) {
	env := testEnv(t)
	src := header + `rules:
  - id: young
    when: f.age < 21
    outcome: decline
    reasons: [AGE_BELOW_MIN]
    score: -40
    actions: [video_kyc]
    tags: [credit]
score:
  base: 600
  bands:
    - {below: 500, outcome: decline, reasons: [LOW_SCORE]}
offer:
  limit: "min([f.monthly_income * 3, 500000])"
  tenure_months: "12"
  channel: "'sms'"
tests:
  - name: t
    now: 2026-11-26T10:00:00Z
    lists: {blocked: ["9876543210"]}
    features: {age: 19}
    expect: {outcome: decline, reasons: [AGE_BELOW_MIN], score: 560, offer: null}
`
	c, errs := load(t, env, src)
	if errs != nil {
		t.Fatalf("load: %v", errs)
	}
	p := c.Policy
	if p.Default != nirnay.Approve || p.OnError != nirnay.Review || fmt.Sprint(p.Precedence) != "[decline review step_up approve]" {
		t.Errorf("defaults: got default %s on_error %s precedence %v", p.Default, p.OnError, p.Precedence)
	}
	r := p.Rules[0]
	if r.ID != "young" || r.Score != -40 || r.Outcome != nirnay.Decline || r.Actions[0] != "video_kyc" || r.Line != 5 || r.WhenLine != 6 {
		t.Errorf("rule: got %+v", r)
	}
	if p.Score.Base != 600 || p.Score.Bands[0].Below != 500 {
		t.Errorf("score: got %+v", p.Score)
	}
	if len(p.Offer) != 3 || p.Offer[0].Name != "limit" || p.Offer[2].Name != "channel" {
		t.Errorf("offer order: got %+v", p.Offer)
	}
	tt := p.Tests[0]
	if tt.Now.Format("2006-01-02T15") != "2026-11-26T10" || tt.Lists["blocked"][0] != "9876543210" {
		t.Errorf("test extensions: got now %v lists %v", tt.Now, tt.Lists)
	}
	if !tt.Expect.HasOffer || tt.Expect.Offer != nil || !tt.Expect.HasScore || tt.Expect.Score != 560 {
		t.Errorf("expect: got %+v", tt.Expect)
	}
	if got := c.Rank(nirnay.Decline); got != 0 {
		t.Errorf("Rank(decline) = %d, want 0", got)
	}
}

func TestCostCeiling(t *testing.T) {
	env := testEnv(t)
	low, err := NewEnv(env.Catalog, Limits{MaxCost: 50, MaxListSize: 1000, MaxStringSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	src := header + "rules:\n  - id: betting\n    when: f.apps.exists(a, a.startsWith('bet'))\n"
	if _, errs := load(t, env, src); errs != nil {
		t.Fatalf("default limits: %v", errs)
	}
	_, errs := load(t, low, src)
	if len(errs) == 0 || !strings.Contains(errs[0].Msg, "exceeds the ceiling 50") || errs[0].Line != 6 {
		t.Fatalf("got %v, want a cost ceiling error at line 6", errs)
	}
}

func TestParseCatalog(t *testing.T) {
	env := testEnv(t)
	cat := env.Catalog
	f, ok := cat.Lookup("bureau_score")
	if !ok || f.Slot != 2 || f.MaxAge.Hours() != 720 || f.Default != int64(0) || f.Entity != "customer" || f.Source != SourceOnline {
		t.Errorf("bureau_score: got %+v", f)
	}
	if slot, ok := cat.SlotOfVar("f.apps"); !ok || slot != 6 {
		t.Errorf("SlotOfVar(f.apps) = %d, %v; want 6, true", slot, ok)
	}
	bad := []struct{ src, want string }{
		{"features:\n  - name: a\n    type: integer\n", "3: features[a].type: unknown type"},
		{"features:\n  - name: a\n    type: int\n  - name: a\n    type: int\n", "4: features[a].name: duplicate feature"},
		{"features:\n  - name: a\n    type: int\n    colour: red\n", `4: features[a].colour: unknown key "colour"`},
		{"features:\n  - name: a\n    type: int\n    default: x\n", "4: features[a].default: want int"},
		{"features:\n  - name: a\n    type: int\n    source: derived\n", "2: features[a].expr: a derived feature needs expr"},
		{"features:\n  - name: a\n    type: int\n    max_age: soon\n", `4: features[a].max_age: invalid duration "soon"`},
	}
	for _, b := range bad {
		_, err := ParseCatalog("c.yaml", []byte(b.src))
		if err == nil || !strings.Contains(err.Error(), "c.yaml:"+b.want) {
			t.Errorf("ParseCatalog(%q): got %v, want containing c.yaml:%s", b.src, err, b.want)
		}
	}
}

func TestParseDeployments(t *testing.T) {
	src := `deployments:
  - step: application
    champion: credit-underwriting@3
    challengers: [{policy: credit-underwriting@4, percent: 10}]
    shadows: [credit-underwriting@5]
`
	d, err := ParseDeployments("d.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	dep := d.Steps[0]
	if dep.Champion.String() != "credit-underwriting@3" || dep.Challengers[0].Percent != 10 || dep.Shadows[0].Version != 5 {
		t.Errorf("got %+v", dep)
	}
	bad := []struct{ src, want string }{
		{"deployments:\n  - step: application\n    champion: credit\n", "d.yaml:3: deployments[0].champion: policy reference"},
		{"deployments:\n  - step: application\n    champion: a@1\n    challengers: [{policy: a@2, percent: 60}, {policy: a@3, percent: 50}]\n", "sum to 110"},
		{"deployments:\n  - step: application\n    champion: a@1\n  - step: application\n    champion: a@2\n", `step "application" deployed twice`},
	}
	for _, b := range bad {
		if _, err := ParseDeployments("d.yaml", []byte(b.src)); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseDeployments: got %v, want containing %q", err, b.want)
		}
	}
	if DetectKind([]byte(src)) != KindDeployments || DetectKind([]byte("features: []\n")) != KindCatalog || DetectKind([]byte(header)) != KindPolicy {
		t.Error("DetectKind misclassifies")
	}
}

func FuzzParsePolicy(f *testing.F) {
	env := testEnv(f)
	f.Add([]byte(header + "rules:\n  - id: a\n    when: f.age < 21\n    outcome: decline\n"))
	f.Add([]byte(header + "score: {base: 1, bands: [{below: 2, outcome: review}]}\noffer: {limit: \"min([f.age])\"}\n"))
	f.Add([]byte("id: [\n"))
	f.Add([]byte(header + "tests: [{name: x, features: {age: 1}, expect: {outcome: approve}}]\n"))
	f.Add([]byte(header + "rules:\n  - &x {id: a, when: \"f.apps.exists(x, x == 'a')\"}\n  - *x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy("fuzz.yaml", data)
		if p == nil {
			if err == nil {
				t.Fatal("nil policy without error")
			}
			return
		}
		c, err := env.Compile(p)
		if err == nil && c == nil {
			t.Fatal("nil compiled policy without error")
		}
		if c != nil {
			Lint(c)
		}
	})
}

func FuzzCompileExpr(f *testing.F) {
	env := testEnv(f)
	for _, s := range []string{"f.age < 21", "f.apps.exists(a, a == f.city)", "in_list('x', f.city)", "max([f.ratio, 1.0]) > 2.0", "f.last_login < now - duration('24h')", "input.amount > 3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		_, _ = env.CompileExpr(src)
	})
}

func TestPerStepOnlyForOnlineStringLists(t *testing.T) {
	_, err := ParseCatalog("f.yaml", []byte("features:\n  - {name: a, type: list<string>, per_step: true}\n  - {name: b, type: int, per_step: true}\n  - {name: c, type: list<string>, source: request, per_step: true}\n  - {name: d, type: list<string>, per_step: maybe}\n"))
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"features[b].per_step", "features[c].per_step", "features[d].per_step: must be true or false"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
	if strings.Contains(err.Error(), "features[a]") {
		t.Errorf("a valid per_step feature was refused: %v", err)
	}
}
