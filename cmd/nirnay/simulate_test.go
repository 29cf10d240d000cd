package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/simulator"
)

func TestSimulateGenerateIsByteIdentical(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var files [][]byte
	for _, name := range []string{"a.jsonl", "b.jsonl", "c.jsonl.gz"} {
		path := filepath.Join(dir, name)
		if _, _, err := execute("simulate", "generate", "--customers", "400", "--seed", "9", "--out", path); err != nil {
			t.Fatalf("generate %s: %v", name, err)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, data)
	}
	if !bytes.Equal(files[0], files[1]) {
		t.Fatal("two generate runs with --seed 9 wrote different bytes")
	}
	if n := bytes.Count(files[0], []byte("\n")); n != 400 {
		t.Fatalf("got %d lines, want 400", n)
	}
	if len(files[2]) < 2 || files[2][0] != 0x1f || files[2][1] != 0x8b {
		t.Fatal("a .gz output is not gzip")
	}
}

func TestSimulateRunShippedPolicies(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "d.jsonl.gz")
	if _, _, err := execute("simulate", "generate", "--customers", "600", "--seed", "3", "--out", data); err != nil {
		t.Fatal(err)
	}
	var reports [][]byte
	for _, out := range []string{"r1", "r2"} {
		outDir := filepath.Join(dir, out)
		stdout, _, err := execute("simulate", "run", "--baseline", "credit-underwriting@1", "--candidate", "credit-underwriting@2",
			"--data", data, "--out", outDir, "--workers", "2")
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if !strings.HasPrefix(stdout, "600 customers:") {
			t.Errorf("stdout = %q, want a summary starting with the count", stdout)
		}
		for _, f := range []string{"report.json", "report.html", "timing.json"} {
			if _, err := os.Stat(filepath.Join(outDir, f)); err != nil {
				t.Errorf("missing %s: %v", f, err)
			}
		}
		rj, _ := os.ReadFile(filepath.Join(outDir, "report.json"))
		reports = append(reports, rj)
	}
	if !bytes.Equal(reports[0], reports[1]) {
		t.Error("two runs over the same data wrote different report.json")
	}
}

func TestSimulateRunPolicyFilesAndErrors(t *testing.T) {
	td := filepath.Join("..", "..", "simulator", "testdata")
	out := t.TempDir()
	stdout, _, err := execute("simulate", "run", "--catalog", filepath.Join(td, "features.yaml"),
		"--baseline", filepath.Join(td, "tiny-v1.yaml"), "--candidate", filepath.Join(td, "tiny-v2.yaml"),
		"--data", filepath.Join(td, "tiny.jsonl"), "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, "swap-in 2, swap-out 2") {
		t.Errorf("stdout = %q, want swap-in 2, swap-out 2", stdout)
	}
	_, _, err = execute("simulate", "run", "--baseline", "credit-underwriting@9", "--candidate", "credit-underwriting@2",
		"--data", filepath.Join(td, "tiny.jsonl"), "--out", out)
	if err == nil || !strings.Contains(err.Error(), "not in the shipped bundle") {
		t.Errorf("unknown version: got %v, want an error saying it is not in the shipped bundle", err)
	}
	_, _, err = execute("simulate", "run", "--baseline", "credit-underwriting@1", "--candidate", "signup-fraud@1",
		"--data", filepath.Join(td, "tiny.jsonl"), "--out", out)
	if err == nil || !strings.Contains(err.Error(), "step") {
		t.Errorf("policies of different steps: got %v, want an error about the step", err)
	}
}

func TestSimulateRunFromDecisionLog(t *testing.T) {
	dir := t.TempDir()
	cold := filepath.Join(dir, "cold")
	if err := os.MkdirAll(cold, 0o755); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	recs := []decisionlog.Record{
		{ID: "dec_1", CustomerID: "C1", Step: "application", Role: "champion", DecidedAt: at,
			Body: json.RawMessage(`{"input":{"amount":50000},"features":[{"name":"score","value":620,"state":"present"},{"name":"income","value":30000,"state":"present"}]}`)},
		{ID: "dec_2", CustomerID: "C1", Step: "application", Role: "shadow", DecidedAt: at,
			Body: json.RawMessage(`{"input":{"amount":50000},"features":{"score":620,"income":30000}}`)},
		{ID: "dec_3", CustomerID: "C2", Step: "application", Role: "champion", DecidedAt: at.Add(time.Hour),
			Body: json.RawMessage(`{"input":{"amount":50000},"features":{"score":700,"income":18000}}`)},
		{ID: "dec_4", CustomerID: "C3", Step: "kyc", Role: "champion", DecidedAt: at, Body: json.RawMessage(`{}`)},
		{ID: "dec_5", CustomerID: "C4", Step: "application", Role: "champion", DecidedAt: at.Add(48 * time.Hour),
			Body: json.RawMessage(`{"input":{"amount":50000},"features":{"score":700,"income":18000}}`)},
	}
	writeColdDay(t, cold, "2026-03-02", recs...)
	stdout, _ := replayTinyLog(t, dir)
	// C1 (champion only; the shadow copy is skipped) swaps out, C2 swaps in;
	// the kyc decision and C4 (outside the range, in a missing day file) are not replayed.
	if !strings.HasPrefix(stdout, "2 customers:") || !strings.Contains(stdout, "swap-in 1, swap-out 1") {
		t.Errorf("stdout = %q, want 2 customers with swap-in 1, swap-out 1", stdout)
	}
}

// replayTinyLog replays the decision log under dir from 1 to 3 March 2026
// through the simulator's tiny@1 and tiny@2 and returns the standard
// output and the report directory.
func replayTinyLog(t *testing.T, dir string, flags ...string) (stdout, out string) {
	t.Helper()
	td := filepath.Join("..", "..", "simulator", "testdata")
	out = t.TempDir()
	args := append([]string{"simulate", "run", "--catalog", filepath.Join(td, "features.yaml"),
		"--baseline", filepath.Join(td, "tiny-v1.yaml"), "--candidate", filepath.Join(td, "tiny-v2.yaml"),
		"--from-log", dir, "--from", "2026-03-01", "--to", "2026-03-03", "--out", out}, flags...)
	stdout, _, err := execute(args...)
	if err != nil {
		t.Fatal(err)
	}
	return stdout, out
}

// writeColdDay writes recs as the decision log's cold file of day
// (YYYY-MM-DD) under dir.
func writeColdDay(t *testing.T, dir, day string, recs ...decisionlog.Record) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	enc := json.NewEncoder(zw)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, day+".jsonl.gz"), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestSimulateRunFromDecisionLogReportsReviewers: referred decisions of
// the cold tier are compared with the verdicts in the days after the
// range (up to --verdict-days), in report.json, report.html and stdout.
func TestSimulateRunFromDecisionLogReportsReviewers(t *testing.T) {
	dir := t.TempDir()
	at := time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)
	referral := func(id, customer string, at time.Time, features string) decisionlog.Record {
		return decisionlog.Record{ID: id, CustomerID: customer, Step: "application", Role: "champion", Outcome: "review", DecidedAt: at,
			Rules: []string{"low_income"}, Body: json.RawMessage(`{"input":{"amount":50000},"features":` + features + `}`)}
	}
	verdict := func(id, of, outcome string, at time.Time) decisionlog.Record {
		return decisionlog.Record{ID: id, ParentID: of, CustomerID: "C", Step: "application", Role: "manual", Outcome: nirnay.Outcome(outcome), DecidedAt: at, Body: json.RawMessage(`{}`)}
	}
	// C1: tiny@1 approves, tiny@2 declines (score 620 < 650); the reviewer approved.
	// C2: tiny@1 refers (income 18000 < 20000), tiny@2 approves; the reviewer declined.
	// C3: referred, reviewed 20 days later: past the 14-day window.
	writeColdDay(t, dir, "2026-03-02",
		referral("dec_1", "C1", at, `{"score":620,"income":30000}`),
		referral("dec_2", "C2", at.Add(time.Hour), `{"score":700,"income":18000}`),
		referral("dec_3", "C3", at.Add(2*time.Hour), `{"score":700,"income":18000}`))
	writeColdDay(t, dir, "2026-03-04", verdict("dec_v2", "dec_2", "decline", at.Add(48*time.Hour)))
	writeColdDay(t, dir, "2026-03-05", verdict("dec_v1", "dec_1", "approve", at.Add(72*time.Hour)))
	writeColdDay(t, dir, "2026-03-22", verdict("dec_v3", "dec_3", "approve", at.Add(20*24*time.Hour)))
	stdout, out := replayTinyLog(t, dir)
	if !strings.Contains(stdout, "3 referred, 2 with a verdict: the baseline agrees on 1 (50.00%), the candidate on 0 (0.00%) and still refers 0") {
		t.Errorf("stdout = %q, want the agreement with the reviewers", stdout)
	}
	var rep struct {
		Reviewers *simulator.Reviewers `json:"reviewers"`
	}
	rj, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if err := json.Unmarshal(rj, &rep); err != nil || rep.Reviewers == nil {
		t.Fatalf("report.json reviewers: %v, %s", err, rj)
	}
	rv := rep.Reviewers
	b, c := rv.Baseline, rv.Candidate
	if rv.Referred != 3 || rv.Reviewed != 2 || b.Agree != 1 || b.StillRefers != 1 || b.Disagree != 0 ||
		c.Agree != 0 || c.StillRefers != 0 || c.Disagree != 2 || c.Matrix[nirnay.Decline][nirnay.Approve] != 1 ||
		len(rv.Rules) != 1 || rv.Rules[0].Rule != "low_income" || rv.Rules[0].Approved != 1 || rv.VerdictsUntil == nil ||
		!rv.VerdictsUntil.Equal(time.Date(2026, 3, 17, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("reviewers = %s; want 3 referred, 2 reviewed until 2026-03-17; baseline 1 agree, 1 still refers; candidate 2 disagree; low_income 1 of 2 approved", rj)
	}
	page, _ := os.ReadFile(filepath.Join(out, "report.html"))
	if !strings.Contains(string(page), "Agreement with the reviewers") || !strings.Contains(string(page), "<td>low_income</td><td>2</td><td>1</td><td>50.00%</td>") {
		t.Errorf("report.html lacks the reviewers section or its rule row")
	}

	// With a 30-day window C3's verdict counts.
	stdout, _ = replayTinyLog(t, dir, "--verdict-days", "30")
	if !strings.Contains(stdout, "3 referred, 3 with a verdict") {
		t.Errorf("--verdict-days 30: stdout = %q, want 3 referred, 3 with a verdict", stdout)
	}
}
