package engine

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

var testNow = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

type fixture struct {
	env *rules.Env
	b   *features.Builder
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	cat, env := catalogEnv(t, "testdata/features.yaml")
	b, err := features.NewBuilder(cat)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{env: env, b: b}
}

// catalogEnv is the feature catalog in the file at path and its
// expression environment.
func catalogEnv(t testing.TB, path string) (*rules.Catalog, *rules.Env) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	cat, err := rules.ParseCatalog(path, data)
	if err != nil {
		t.Fatal(err)
	}
	env, err := rules.NewEnv(cat, rules.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	return cat, env
}

// compileFile compiles the policy in the file at path.
func (fx *fixture) compileFile(t testing.TB, path string) *rules.Compiled {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return fx.compile(t, string(data))
}

func (fx *fixture) compile(t testing.TB, src string) *rules.Compiled {
	t.Helper()
	p, err := rules.ParsePolicy("p.yaml", []byte(src))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, src)
	}
	c, err := fx.env.Compile(p)
	if err != nil {
		t.Fatalf("compile: %v\n%s", err, src)
	}
	return c
}

func (fx *fixture) eval(t testing.TB, c *rules.Compiled, feats, input map[string]any) Result {
	t.Helper()
	vec, err := fx.b.Build(feats, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if vec, err = vec.WithInput(input, testNow); err != nil {
		t.Fatal(err)
	}
	res, err := Evaluate(c, Inputs{Vector: vec, Input: input, Now: testNow, Lists: StaticLists{"blocked": {"d-9"}}})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

const head = "id: p\nversion: 1\nstep: application\n"

func TestEvaluateSemantics(t *testing.T) {
	fx := newFixture(t)
	good := map[string]any{"age": 30, "monthly_income": 40000, "bureau_score": 760, "thin_file": false}
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for k, v := range good {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(m, kv[i].(string))
			} else {
				m[kv[i].(string)] = kv[i+1]
			}
		}
		return m
	}
	tests := []struct {
		name        string
		policy      string
		feats       map[string]any
		input       map[string]any
		wantOutcome nirnay.Outcome
		wantReasons []string
		wantScore   int64
		wantActions []string
		wantOffer   map[string]any
		wantRules   []string // ids of fired/errored rules, errored suffixed "!"
	}{
		{name: "nothing fires: default approve", policy: head + "rules:\n  - {id: young, when: f.age < 21, outcome: decline, reasons: [AGE]}\n",
			feats: good, wantOutcome: "approve", wantReasons: []string{}},
		{name: "nothing fires: explicit default", policy: head + "default: review\nrules:\n  - {id: young, when: f.age < 21, outcome: decline}\n",
			feats: good, wantOutcome: "review", wantReasons: []string{}},
		{name: "highest precedence wins", policy: head + `rules:
  - {id: r1, when: "true", outcome: review, reasons: [R1]}
  - {id: d1, when: "true", outcome: decline, reasons: [D1]}
  - {id: s1, when: "true", outcome: step_up, reasons: [S1], actions: [otp]}
`, feats: good, wantOutcome: "decline", wantReasons: []string{"D1"}, wantRules: []string{"r1", "d1", "s1"}},
		{name: "custom precedence", policy: head + `precedence: [approve, step_up, review, decline]
rules:
  - {id: d1, when: "true", outcome: decline, reasons: [D1]}
  - {id: s1, when: "true", outcome: step_up, reasons: [S1], actions: [otp, video_kyc]}
  - {id: s2, when: "true", outcome: step_up, reasons: [S1, S2], actions: [otp]}
`, feats: good, wantOutcome: "step_up", wantReasons: []string{"S1", "S2"}, wantActions: []string{"otp", "video_kyc"}, wantRules: []string{"d1", "s1", "s2"}},
		{name: "score and first matching band in file order", policy: head + `rules:
  - {id: young, when: f.age < 40, score: -70}
  - {id: thin, when: "!f.thin_file", score: 5}
score:
  base: 600
  bands:
    - {below: 540, outcome: review, reasons: [BORDERLINE]}
    - {below: 500, outcome: decline, reasons: [LOW]}
`, feats: good, wantOutcome: "review", wantReasons: []string{"BORDERLINE"}, wantScore: 535, wantRules: []string{"young", "thin"}},
		{name: "no band applies", policy: head + "score:\n  base: 600\n  bands:\n    - {below: 500, outcome: decline, reasons: [LOW]}\n",
			feats: good, wantOutcome: "approve", wantReasons: []string{}, wantScore: 600},
		{name: "rule reasons in file order, then band reasons, no duplicates", policy: head + `rules:
  - {id: a, when: "true", outcome: decline, reasons: [B, A], score: -100}
  - {id: r, when: "true", outcome: review, reasons: [R]}
  - {id: c, when: "true", outcome: decline, reasons: [A, C]}
score:
  base: 600
  bands:
    - {below: 550, outcome: decline, reasons: [LOW, C]}
`, feats: good, wantOutcome: "decline", wantReasons: []string{"B", "A", "C", "LOW"}, wantScore: 500, wantRules: []string{"a", "r", "c"}},
		{name: "band reasons dropped when band outcome is not final", policy: head + `rules:
  - {id: d, when: "true", outcome: decline, reasons: [D]}
score:
  base: 600
  bands:
    - {below: 650, outcome: review, reasons: [BORDERLINE]}
`, feats: good, wantOutcome: "decline", wantReasons: []string{"D"}, wantScore: 600, wantRules: []string{"d"}},
		{name: "missing feature errors: RULE_ERROR and on_error at its place", policy: head + `rules:
  - {id: thin, when: f.thin_file, outcome: review, reasons: [THIN]}
  - {id: income, when: f.monthly_income < 20000, outcome: decline, reasons: [INCOME]}
  - {id: young, when: f.age < 40, outcome: review, reasons: [YOUNG]}
`, feats: with("monthly_income", nil, "thin_file", true), wantOutcome: "review", wantReasons: []string{"THIN", "RULE_ERROR", "YOUNG"}, wantRules: []string{"thin", "income!", "young"}},
		{name: "errored rule never reads as false or true; higher outcome drops RULE_ERROR", policy: head + `rules:
  - {id: income, when: f.monthly_income < 20000, outcome: decline, reasons: [INCOME]}
  - {id: young, when: f.age < 40, outcome: decline, reasons: [YOUNG]}
`, feats: with("monthly_income", nil), wantOutcome: "decline", wantReasons: []string{"YOUNG"}, wantRules: []string{"income!", "young"}},
		{name: "custom on_error", policy: head + "on_error: decline\nrules:\n  - {id: income, when: f.monthly_income < 20000, outcome: review}\n",
			feats: with("monthly_income", nil), wantOutcome: "decline", wantReasons: []string{"RULE_ERROR"}, wantRules: []string{"income!"}},
		{name: "false && missing is absorbed", policy: head + "rules:\n  - {id: a, when: f.age > 100 && f.monthly_income > 5, outcome: decline}\n  - {id: b, when: f.age < 100 || f.monthly_income > 5, outcome: review, reasons: [B]}\n",
			feats: with("monthly_income", nil), wantOutcome: "review", wantReasons: []string{"B"}, wantRules: []string{"b"}},
		{name: "true && missing errors", policy: head + "rules:\n  - {id: a, when: f.age < 100 && f.monthly_income > 5, outcome: decline}\n",
			feats: with("monthly_income", nil), wantOutcome: "review", wantReasons: []string{"RULE_ERROR"}, wantRules: []string{"a!"}},
		{name: "catalog default fills a missing feature", policy: head + "rules:\n  - {id: enq, when: f.enquiries_30d > 3, outcome: decline}\n",
			feats: good, wantOutcome: "approve", wantReasons: []string{}},
		{name: "non-bool result at run time errors", policy: head + "rules:\n  - {id: flag, when: input.flag, outcome: decline}\n",
			feats: good, input: map[string]any{"flag": "yes"}, wantOutcome: "review", wantReasons: []string{"RULE_ERROR"}, wantRules: []string{"flag!"}},
		{name: "division by zero errors", policy: head + "rules:\n  - {id: div, when: f.monthly_income / (f.age - 30) > 1, outcome: decline}\n",
			feats: good, wantOutcome: "review", wantReasons: []string{"RULE_ERROR"}, wantRules: []string{"div!"}},
		{name: "derived feature with zero divisor is missing", policy: head + "rules:\n  - {id: foir, when: f.emi_to_income > 0.5, outcome: decline}\n",
			feats: with("monthly_income", 0, "total_emi", 100), wantOutcome: "review", wantReasons: []string{"RULE_ERROR"}, wantRules: []string{"foir!"}},
		{name: "derived feature computed", policy: head + "rules:\n  - {id: foir, when: f.emi_to_income > 0.5, outcome: decline, reasons: [FOIR]}\n",
			feats: with("total_emi", 30000), wantOutcome: "decline", wantReasons: []string{"FOIR"}, wantRules: []string{"foir"}},
		{name: "request feature and in_list", policy: head + "rules:\n  - {id: dev, when: 'in_list(\"blocked\", f.device_id)', outcome: decline, reasons: [DEVICE]}\n",
			feats: good, input: map[string]any{"device_id": "d-9"}, wantOutcome: "decline", wantReasons: []string{"DEVICE"}, wantRules: []string{"dev"}},
		{name: "in over a list feature beside in_list", policy: head + "rules:\n  - {id: bet, when: 'in_list(\"blocked\", f.device_id) && \"betting\" in f.installed_apps', outcome: decline, reasons: [BET]}\n",
			feats: with("installed_apps", []string{"com.x", "betting"}), input: map[string]any{"device_id": "d-9"}, wantOutcome: "decline", wantReasons: []string{"BET"}, wantRules: []string{"bet"}},
		{name: "in_list of a value not on the list", policy: head + "rules:\n  - {id: dev, when: 'in_list(\"blocked\", f.device_id) || \"betting\" in f.installed_apps', outcome: decline}\n",
			feats: with("installed_apps", []string{"com.x"}), input: map[string]any{"device_id": "d-1"}, wantOutcome: "approve", wantReasons: []string{}},
		{name: "offer on approve", policy: head + "offer:\n  limit: \"min([f.monthly_income * 3, 100000])\"\n  annual_rate_bps: \"f.bureau_score >= 750 ? 1800 : 2400\"\n  channel: \"'app'\"\n",
			feats: good, wantOutcome: "approve", wantReasons: []string{}, wantOffer: map[string]any{"limit": int64(100000), "annual_rate_bps": int64(1800), "channel": "app"}},
		{name: "no offer unless approve", policy: head + "rules:\n  - {id: r, when: \"true\", outcome: review, reasons: [R]}\noffer:\n  limit: \"1000\"\n",
			feats: good, wantOutcome: "review", wantReasons: []string{"R"}, wantRules: []string{"r"}},
		{name: "offer error: on_error, OFFER_ERROR, no offer", policy: head + "offer:\n  limit: \"f.monthly_income * 3\"\n  tenure_months: \"12\"\n",
			feats: with("monthly_income", nil), wantOutcome: "review", wantReasons: []string{"OFFER_ERROR"}},
		{name: "offer of a fractional double is an error", policy: head + "offer:\n  limit: \"int(f.age) + 0\"\n  annual_rate_bps: \"max([f.age, 10])\"\n  tenure_months: \"dyn(1.5)\"\n",
			feats: good, wantOutcome: "review", wantReasons: []string{"OFFER_ERROR"}},
		{name: "rule without outcome only scores", policy: head + "rules:\n  - {id: s, when: \"true\", score: 15, reasons: [S]}\nscore: {base: 10}\n",
			feats: good, wantOutcome: "approve", wantReasons: []string{}, wantScore: 25, wantRules: []string{"s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fx.compile(t, tt.policy)
			res := fx.eval(t, c, tt.feats, tt.input)
			if res.Outcome != tt.wantOutcome {
				t.Errorf("outcome: got %s, want %s (rules %+v)", res.Outcome, tt.wantOutcome, res.Rules)
			}
			if !slices.Equal(res.Reasons, tt.wantReasons) || res.Reasons == nil {
				t.Errorf("reasons: got %#v, want %#v", res.Reasons, tt.wantReasons)
			}
			if res.Score != tt.wantScore {
				t.Errorf("score: got %d, want %d", res.Score, tt.wantScore)
			}
			wantActions := tt.wantActions
			if wantActions == nil {
				wantActions = []string{}
			}
			if !slices.Equal(res.Actions, wantActions) {
				t.Errorf("actions: got %#v, want %#v", res.Actions, wantActions)
			}
			gotOffer, _ := json.Marshal(res.Offer)
			wantOffer, _ := json.Marshal(tt.wantOffer)
			if string(gotOffer) != string(wantOffer) {
				t.Errorf("offer: got %s, want %s", gotOffer, wantOffer)
			}
			var ids []string
			for _, r := range res.Rules {
				id := r.ID
				if r.Error != "" {
					id += "!"
					if r.Fired {
						t.Errorf("rule %s both fired and errored", r.ID)
					}
				}
				ids = append(ids, id)
			}
			if !slices.Equal(ids, tt.wantRules) {
				t.Errorf("rules: got %v, want %v", ids, tt.wantRules)
			}
		})
	}
}

func TestStaleFeatureIsMissing(t *testing.T) {
	fx := newFixture(t)
	c := fx.compile(t, head+"rules:\n  - {id: low, when: f.bureau_score < 650, outcome: decline, reasons: [LOW]}\n")
	for _, tc := range []struct {
		age  time.Duration
		want nirnay.Outcome
	}{{719 * time.Hour, "decline"}, {721 * time.Hour, "review"}} {
		vec, err := fx.b.BuildObserved(map[string]features.Observed{"bureau_score": {Value: 600, AsOf: testNow.Add(-tc.age)}}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Evaluate(c, Inputs{Vector: vec, Now: testNow})
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != tc.want {
			t.Errorf("bureau_score observed %v ago (max_age 720h): got %s, want %s", tc.age, res.Outcome, tc.want)
		}
	}
}

func TestTraceListsEveryRuleWithItsFeatures(t *testing.T) {
	fx := newFixture(t)
	c := fx.compile(t, head+"rules:\n  - {id: young, when: f.age < 21 && f.monthly_income > 0, outcome: decline}\n  - {id: thin, when: f.thin_file, outcome: review}\n")
	vec, _ := fx.b.Build(map[string]any{"age": 30}, testNow)
	res, err := Evaluate(c, Inputs{Vector: vec, Now: testNow, Trace: true})
	if err != nil {
		t.Fatal(err)
	}
	got, _ := json.Marshal(res.Rules)
	want := `[{"id":"young","fired":false,"features":{"age":30,"monthly_income":null}},{"id":"thin","fired":false,"error":"no such attribute(s): f.thin_file","features":{"thin_file":null}}]`
	if string(got) != want {
		t.Errorf("trace:\n got %s\nwant %s", got, want)
	}
}

func TestRunTests(t *testing.T) {
	fx := newFixture(t)
	c := fx.compileFile(t, "testdata/credit.yaml")
	for _, r := range RunTests(c, fx.b) {
		if !r.Passed() {
			t.Errorf("policy test failed: %s", r)
		}
	}
	bad := fx.compile(t, head+`rules:
  - {id: young, when: f.age < 21, outcome: decline, reasons: [AGE]}
tests:
  - name: wrong expectations
    features: {age: 19}
    expect: {outcome: approve, reasons: [X], score: 3, offer: {limit: 5}, actions: [otp]}
`)
	res := RunTests(bad, fx.b)
	if len(res) != 1 || res[0].Passed() {
		t.Fatalf("got %v, want one failed test", res)
	}
	msg := res[0].String()
	for _, want := range []string{"p.yaml:7: p@1: wrong expectations:", "outcome: got decline, want approve", "reasons: got [AGE], want [X]", "score: got 0, want 3", "actions: got [], want [otp]", "offer: got none"} {
		if !strings.Contains(msg, want) {
			t.Errorf("failure %q does not mention %q", msg, want)
		}
	}
}
