package simulator

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
)

func TestRunIsDeterministic(t *testing.T) {
	t.Parallel()
	builder, base, cand := shipped(t)
	data := generated(t, 3000, 21)
	var first []byte
	for _, cfg := range []Config{
		{Baseline: base, Candidate: cand, Builder: builder, Workers: 1},
		{Baseline: base, Candidate: cand, Builder: builder, Workers: 2},
		{Baseline: base, Candidate: cand, Builder: builder, Workers: 3, AllFeatures: true},
	} {
		rep, _ := runBytes(t, cfg, data)
		got, err := rep.MarshalIndent()
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = got
			continue
		}
		if !bytes.Equal(got, first) {
			t.Fatalf("report with %d workers (all features %v) differs from the first run:\n%s\n---\n%s", cfg.Workers, cfg.AllFeatures, got, first)
		}
	}
}

func TestRunReportAddsUp(t *testing.T) {
	t.Parallel()
	builder, base, cand := shipped(t)
	const n = 3000
	rep, tim := runBytes(t, Config{Baseline: base, Candidate: cand, Builder: builder}, generated(t, n, 4))
	if rep.Records != n {
		t.Fatalf("records = %d, want %d", rep.Records, n)
	}
	var sum int64
	for _, row := range rep.Transitions {
		for _, c := range row {
			sum += c
		}
	}
	if sum != n {
		t.Errorf("transition matrix sums to %d, want %d", sum, n)
	}
	for _, who := range []string{"baseline", "candidate"} {
		var total int64
		for _, c := range rep.Outcomes[who].Counts {
			total += c
		}
		if total != n {
			t.Errorf("%s outcome counts sum to %d, want %d", who, total, n)
		}
		if rep.Outcomes[who].Counts["approve"] == 0 || rep.Outcomes[who].Counts["decline"] == 0 {
			t.Errorf("%s: want both approvals and declines on generated data, got %v", who, rep.Outcomes[who].Counts)
		}
		if rep.Outcomes[who].RuleErrorRecords != 0 {
			t.Errorf("%s: %d records had rule errors on generated data, want 0", who, rep.Outcomes[who].RuleErrorRecords)
		}
	}
	bApp, cApp := rep.Outcomes["baseline"].Counts["approve"], rep.Outcomes["candidate"].Counts["approve"]
	if got := bApp - rep.SwapOut.Count + rep.SwapIn.Count; got != cApp {
		t.Errorf("baseline approvals %d - swap-out %d + swap-in %d = %d, want candidate approvals %d", bApp, rep.SwapOut.Count, rep.SwapIn.Count, got, cApp)
	}
	// v2 tightens FOIR: its foir_above_cap fires at least as often.
	i := slices.IndexFunc(rep.Rules, func(r RuleChange) bool { return r.ID == "foir_above_cap" })
	if i < 0 || rep.Rules[i].CandidateHits < rep.Rules[i].BaselineHits || rep.Rules[i].CandidateHits == 0 {
		t.Errorf("foir_above_cap hits: %+v; want candidate >= baseline > 0", rep.Rules)
	}
	if tim.Records != n || tim.Baseline.P50NS <= 0 {
		t.Errorf("timing = %+v, want %d records and a positive p50", tim, n)
	}
}

// The hand-built dataset under testdata has known swaps against the tiny
// policies: C2 and C3 swap out (score 600-649), C4 and C7 swap in (income
// 15000-19999 no longer referred).
func TestRunTinyDatasetKnownSwaps(t *testing.T) {
	t.Parallel()
	catData, err := os.ReadFile("testdata/features.yaml")
	if err != nil {
		t.Fatal(err)
	}
	builder, base, cand := compileWith(t, "testdata/features.yaml", catData, policyFromFile(t, "testdata/tiny-v1.yaml"), policyFromFile(t, "testdata/tiny-v2.yaml"))
	d, err := OpenFile("testdata/tiny.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	rep, _, err := Run(context.Background(), Config{Baseline: base, Candidate: cand, Builder: builder}, DatasetSource(d, "tiny.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	ids := func(s Swap) []string {
		var out []string
		for _, e := range s.Examples {
			out = append(out, e.CustomerID)
		}
		return out
	}
	if rep.SwapIn.Count != 2 || !slices.Equal(ids(rep.SwapIn), []string{"C4", "C7"}) {
		t.Errorf("swap-in = %d %v, want 2 [C4 C7]", rep.SwapIn.Count, ids(rep.SwapIn))
	}
	if rep.SwapOut.Count != 2 || !slices.Equal(ids(rep.SwapOut), []string{"C2", "C3"}) {
		t.Errorf("swap-out = %d %v, want 2 [C2 C3]", rep.SwapOut.Count, ids(rep.SwapOut))
	}
	wantT := map[nirnay.Outcome]map[nirnay.Outcome]int64{
		"approve": {"approve": 1, "decline": 2},
		"review":  {"approve": 2, "review": 1, "decline": 1},
		"decline": {"decline": 1},
	}
	for from, row := range rep.Transitions {
		for to, got := range row {
			if want := wantT[from][to]; got != want {
				t.Errorf("transition %s -> %s = %d, want %d", from, to, got, want)
			}
		}
	}
	rb, rc := rep.Risk["baseline"], rep.Risk["candidate"]
	if rb.Approved != 3 || rb.Defaults != 1 || *rb.BadRateBps != 3333 || rb.ExpectedLoss != "100000.00" || rb.ApprovedLimit != "220000.00" {
		t.Errorf("baseline risk = %+v, want 3 approved, 1 default, 3333 bps, loss 100000.00 of 220000.00", rb)
	}
	if rc.Approved != 3 || rc.Fraud != 1 || rc.ExpectedLoss != "32000.00" || rc.ApprovedLimit != "128000.00" {
		t.Errorf("candidate risk = %+v, want 3 approved, 1 fraud, loss 32000.00 of 128000.00", rc)
	}
	hits := map[string][2]int64{}
	for _, r := range rep.Rules {
		hits[r.ID] = [2]int64{r.BaselineHits, r.CandidateHits}
	}
	want := map[string][2]int64{"low_score": {1, 4}, "low_income": {4, 0}, "very_low_income": {0, 1}}
	for id, w := range want {
		if hits[id] != w {
			t.Errorf("rule %s hits (baseline, candidate) = %v, want %v", id, hits[id], w)
		}
	}
	ex := rep.SwapOut.Examples[0]
	if ex.Baseline.Outcome != "approve" || ex.Candidate.Outcome != "decline" || !slices.Equal(ex.Candidate.Reasons, []string{"LOW_SCORE"}) || *ex.Baseline.Limit != "60000.00" {
		t.Errorf("swap-out example = %+v, want approve (limit 60000.00) -> decline [LOW_SCORE]", ex)
	}
}

func TestRunRejectsBadRecords(t *testing.T) {
	t.Parallel()
	builder, base, cand := shipped(t)
	cfg := Config{Baseline: base, Candidate: cand, Builder: builder}
	for name, line := range map[string]string{
		"unknown feature": `{"customer_id":"C1","decided_at":"2026-01-01T00:00:00Z","features":{"no_such_feature":1},"input":{}}`,
		"wrong type":      `{"customer_id":"C1","decided_at":"2026-01-01T00:00:00Z","features":{"age":"old"},"input":{}}`,
		"no clock":        `{"customer_id":"C1","features":{},"input":{}}`,
		"not json":        `{"customer_id":`,
	} {
		d, _ := NewDatasetReader(strings.NewReader(line+"\n"), 0, false)
		_, _, err := Run(context.Background(), cfg, DatasetSource(d, "bad.jsonl"))
		if err == nil || !strings.Contains(err.Error(), "bad.jsonl:1") {
			t.Errorf("%s: got error %v, want one naming bad.jsonl:1", name, err)
		}
	}
}

func TestGzipDatasetRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "d.jsonl.gz")
	w, err := CreateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := Generate(w, 500, 2, nil); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	n := 0
	err = ReadFile(path, func(r *Record) error {
		got.Write(AppendJSON(nil, r))
		got.WriteByte('\n')
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if want := generated(t, 500, 2); n != 500 || !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("read back %d records from gzip, differing from the generated bytes", n)
	}
}

func TestWriteReportFiles(t *testing.T) {
	t.Parallel()
	builder, base, cand := shipped(t)
	rep, tim := runBytes(t, Config{Baseline: base, Candidate: cand, Builder: builder}, generated(t, 500, 9))
	dir := t.TempDir()
	if err := WriteReport(dir, rep, tim); err != nil {
		t.Fatal(err)
	}
	page, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	html := string(page)
	for _, want := range []string{"<svg", "Transition matrix", "credit-underwriting@1", "foir_above_cap", "Swap-out"} {
		if !strings.Contains(html, want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	for _, bad := range []string{"<script", "src=", "<link", "@import"} {
		if strings.Contains(html, bad) {
			t.Errorf("report.html contains %q; it must be self-contained", bad)
		}
	}
	rj, _ := os.ReadFile(filepath.Join(dir, "report.json"))
	if strings.Contains(string(rj), "_ns") || strings.Contains(string(rj), "wall_seconds") {
		t.Error("report.json carries timings; they belong in timing.json")
	}
	if _, err := os.Stat(filepath.Join(dir, "timing.json")); err != nil {
		t.Error(err)
	}
}

func TestRecordFromLog(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	body := []byte(`{"decision_id":"dec_1","outcome":"approve","input":{"amount":50000,"tenure_months":12},
		"features":[{"name":"age","value":32,"state":"present"},{"name":"bureau_score","value":null,"state":"missing"},
		{"name":"city_tier","value":3,"state":"default"},{"name":"monthly_income","value":60000}],"labels":{"default_90d":true}}`)
	r, err := RecordFromLog("C-9", "application", at, body)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Features) != 2 || r.Features["age"] != int64(32) || r.Features["monthly_income"] != int64(60000) {
		t.Errorf("features = %v, want age 32 and monthly_income 60000 only", r.Features)
	}
	if r.Input["amount"] != int64(50000) || !r.Labels.Default90d || r.Labels.Fraud || !r.DecidedAt.Equal(at) {
		t.Errorf("record = %+v", r)
	}
	r, err = RecordFromLog("C-9", "application", at, []byte(`{"features":{"age":40},"input":{}}`))
	if err != nil || r.Features["age"] != int64(40) {
		t.Errorf("object features: got %v, %v; want age 40", r, err)
	}
}
