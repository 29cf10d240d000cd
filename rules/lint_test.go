package rules

import (
	"strings"
	"testing"
)

func TestLintWarnings(t *testing.T) {
	env := testEnv(t)
	c, errs := load(t, env, header+`rules:
  - {id: never, when: "1 > 2", outcome: decline}
  - {id: silent, when: f.age > 3, reasons: [X]}
  - {id: ask, when: f.age > 4, outcome: step_up}
score:
  bands:
    - {below: 500, outcome: decline}
    - {below: 400, outcome: review}
`)
	if errs != nil {
		t.Fatal(errs)
	}
	var got []string
	for _, w := range Lint(c) {
		got = append(got, w.Error())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		"p.yaml:5: rules[never].when: warning: can never fire",
		"p.yaml:6: rules[silent].reasons: warning: reasons are never reported",
		"p.yaml:7: rules[ask].actions: warning: step_up rule without actions",
		"p.yaml:11: score.bands[1]: warning: never applies",
		"p.yaml:1: tests: warning: policy has no tests",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("lint warnings lack %q; got:\n%s", want, all)
		}
	}
}

func TestDiff(t *testing.T) {
	a, err := ParsePolicy("a.yaml", []byte(header+"rules:\n  - {id: x, when: f.age < 21, outcome: decline}\n  - {id: y, when: f.age > 60}\nscore: {base: 600, bands: [{below: 500, outcome: decline}]}\n"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ParsePolicy("b.yaml", []byte("id: p\nversion: 2\nstep: application\nprecedence: [decline, step_up, review, approve]\nrules:\n  - {id: y, when: f.age > 60}\n  - {id: x, when: f.age < 21, outcome: review}\nscore: {base: 600, bands: [{below: 520, outcome: decline}]}\noffer: {limit: \"1\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := Diff(a, b)
	text := d.Text()
	for _, want := range []string{"p@1 -> p@2", "changed precedence", "changed rules.order: [x y] -> [y x]", `rule changed: x.outcome: "decline" -> "review"`, "band changed: score.bands[0].below: 500 -> 520", "offer added: limit"} {
		if !strings.Contains(text, want) {
			t.Errorf("diff lacks %q:\n%s", want, text)
		}
	}
	if same := Diff(a, a); !same.Empty() || !strings.Contains(same.Text(), "no differences") {
		t.Errorf("diff of a policy with itself: got %s", same.Text())
	}
}
