package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const policyTestCatalog = "../../engine/testdata/features.yaml"

func runPolicy(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	stdout, stderr, err := execute(args...)
	var ee *exitError
	if err != nil && !errors.As(err, &ee) {
		stderr += err.Error() // an exit code's message is printed by main
	}
	return stdout, stderr, exitCode(err)
}

func writeFile(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPolicyTestCommand(t *testing.T) {
	t.Parallel()
	out, errOut, code := runPolicy(t, "policy", "test", "--catalog", policyTestCatalog, "../../engine/testdata/credit.yaml")
	if code != 0 || !strings.HasSuffix(out, "5 passed, 0 failed\n") {
		t.Errorf("passing tests: got code %d stdout %q stderr %q, want 0 and final line \"5 passed, 0 failed\"", code, out, errOut)
	}
	dir := t.TempDir()
	writeFile(t, dir, "p.yaml", `id: p
version: 1
step: login
rules:
  - {id: young, when: f.age < 21, outcome: decline, reasons: [AGE]}
tests:
  - {name: ok, features: {age: 30}, expect: {outcome: approve}}
  - {name: wrong, features: {age: 19}, expect: {outcome: approve}}
`)
	out, _, code = runPolicy(t, "policy", "test", "--catalog", policyTestCatalog, dir)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 1 || lines[len(lines)-1] != "1 passed, 1 failed" || !strings.Contains(out, "wrong: outcome: got decline, want approve") {
		t.Errorf("failing test: got code %d stdout %q, want 1 with the failure and \"1 passed, 1 failed\"", code, out)
	}
	writeFile(t, dir, "q.yaml", "id: q\nversion: 1\nstep: login\nbogus: 1\n")
	_, errOut, code = runPolicy(t, "policy", "test", "--catalog", policyTestCatalog, filepath.Join(dir, "q.yaml"))
	if code != 1 || !strings.Contains(errOut, `q.yaml:4: bogus: unknown key "bogus"`) {
		t.Errorf("load error: got code %d stderr %q", code, errOut)
	}
}

func TestPolicyLintCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bad := writeFile(t, dir, "bad.yaml", "id: p\nversion: 1\nstep: login\nrules:\n  - {id: a, when: f.nope > 1}\n  - {id: b, when: f.age + 1}\n")
	out, _, code := runPolicy(t, "policy", "lint", "--catalog", policyTestCatalog, bad)
	for _, want := range []string{bad + ":5: rules[a].when: unknown feature nope", bad + ":6: rules[b].when: must be bool, is int"} {
		if !strings.Contains(out, want) {
			t.Errorf("lint output %q lacks %q", out, want)
		}
	}
	if code != 1 {
		t.Errorf("lint exit code: got %d, want 1", code)
	}
	out, _, code = runPolicy(t, "policy", "lint", "--catalog", policyTestCatalog, "../../engine/testdata/credit.yaml")
	if code != 0 || !strings.Contains(out, "0 errors") {
		t.Errorf("clean lint: got code %d output %q", code, out)
	}
}

func TestPolicyDiffCommand(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a := writeFile(t, dir, "a.yaml", "id: p\nversion: 1\nstep: login\nrules:\n  - {id: x, when: f.age < 21, outcome: decline}\n  - {id: y, when: f.age > 60, outcome: review}\n")
	b := writeFile(t, dir, "b.yaml", "id: p\nversion: 2\nstep: login\ndefault: review\nrules:\n  - {id: x, when: f.age < 18, outcome: decline}\n  - {id: z, when: f.age > 70, outcome: review}\noffer: {limit: \"1000\"}\n")
	out, _, code := runPolicy(t, "policy", "diff", a, b)
	for _, want := range []string{"p@1 -> p@2", `changed default: "approve" -> "review"`, "rule added: z", "rule removed: y", `rule changed: x.when: "f.age < 21" -> "f.age < 18"`, "offer added: limit"} {
		if !strings.Contains(out, want) {
			t.Errorf("diff output %q lacks %q", out, want)
		}
	}
	if code != 0 {
		t.Errorf("diff exit code %d", code)
	}
	out, _, _ = runPolicy(t, "policy", "diff", "--json", a, b)
	var d struct {
		RulesAdded   []string              `json:"rules_added"`
		RulesChanged []struct{ ID string } `json:"rules_changed"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil || len(d.RulesAdded) != 1 || d.RulesChanged[0].ID != "x" {
		t.Errorf("diff --json: got %q (%v)", out, err)
	}
}

func TestPolicyEvalAndBench(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	feats := writeFile(t, dir, "f.json", `{"age": 30, "monthly_income": 40000, "bureau_score": 760, "thin_file": false}`)
	input := writeFile(t, dir, "in.json", `{"device_id": "d-1", "amount": 50000}`)
	args := []string{"policy", "eval", "--catalog", policyTestCatalog, "--policy", "../../engine/testdata/credit.yaml", "--features", feats, "--input", input, "--now", "2026-11-26T10:00:00Z"}
	out, errOut, code := runPolicy(t, args...)
	if code != 0 {
		t.Fatalf("eval: code %d stderr %q", code, errOut)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatalf("eval output %q: %v", out, err)
	}
	if d["outcome"] != "approve" || d["score"] != 700.0 || d["evaluated_at"] != "2026-11-26T10:00:00Z" {
		t.Errorf("eval decision: got %v", d)
	}
	if offer, _ := d["offer"].(map[string]any); offer["limit"] != 120000.0 {
		t.Errorf("eval offer: got %v, want limit 120000", d["offer"])
	}
	again, _, _ := runPolicy(t, args...)
	if again != out {
		t.Errorf("eval is not deterministic:\n%s\n%s", out, again)
	}
	out, errOut, code = runPolicy(t, "policy", "bench", "--catalog", policyTestCatalog, "--policy", "../../engine/testdata/credit.yaml", "--features", feats, "-n", "200")
	var b map[string]float64
	if code != 0 || json.Unmarshal([]byte(out), &b) != nil {
		t.Fatalf("bench: code %d out %q err %q", code, out, errOut)
	}
	if b["decisions"] != 200 || b["p50_ns"] <= 0 || b["p99_ns"] < b["p50_ns"] || b["decisions_per_sec"] <= 0 {
		t.Errorf("bench: got %v", b)
	}
}
