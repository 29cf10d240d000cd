package jobs_test

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisions/decisionstest"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/simulator/jobs"
)

// shipped returns a builder and a registry with the shipped
// credit-underwriting versions.
func shipped(t *testing.T) (*features.Builder, *engine.Registry) {
	t.Helper()
	c := decisionstest.Bundle(t, policies.FS, "credit-underwriting-v1.yaml", "credit-underwriting-v2.yaml")
	return c.Builder, c.Registry
}

func waitDone(t *testing.T, m *jobs.Manager, id string) jobs.Job {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		j, err := m.Get(id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == jobs.Done || j.Status == jobs.Failed || j.Status == jobs.Cancelled {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s still %s after 60s", id, j.Status)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestJobsSurviveARestart(t *testing.T) {
	t.Parallel()
	b, reg := shipped(t)
	dir := t.TempDir()
	opts := jobs.Options{Dir: dir, Builder: b, Resolve: jobs.RegistryResolver(reg), MaxCustomers: 1000}
	m, err := jobs.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	j, err := m.Start(jobs.Spec{Baseline: "credit-underwriting@1", Candidate: "credit-underwriting@2",
		Dataset: jobs.Dataset{Generate: &jobs.Generate{Customers: 300, Seed: 5}}}, "key-1")
	if err != nil {
		t.Fatal(err)
	}
	done := waitDone(t, m, j.ID)
	if done.Status != jobs.Done || done.Summary.Records != 300 || done.CreatedBy != "key-1" {
		t.Fatalf("job = %+v; want done with 300 records", done)
	}
	for _, f := range []string{"report.json", "report.html", "timing.json", "status.json"} {
		if _, err := os.Stat(filepath.Join(dir, j.ID, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	m.Close()

	// A job the previous run left running is failed on the next start.
	stale := "sim_00000000000000000000000000"
	if err := os.MkdirAll(filepath.Join(dir, stale), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, stale, "status.json"), []byte(`{"id": "`+stale+`", "status": "running"}`), 0o640); err != nil {
		t.Fatal(err)
	}
	m2, err := jobs.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	list := m2.List()
	if len(list) != 2 || list[0].ID != j.ID || list[1].ID != stale {
		t.Fatalf("after restart: %+v; want the done job then the interrupted one", list)
	}
	if list[1].Status != jobs.Failed || !strings.Contains(list[1].Error, "interrupted") {
		t.Errorf("interrupted job = %s %q; want failed, interrupted", list[1].Status, list[1].Error)
	}
	rep, err := m2.ReadReport(j.ID, jobs.ReportJSON)
	if err != nil || !strings.Contains(string(rep), `"records": 300`) {
		t.Errorf("report after restart: %v, %.80s", err, rep)
	}
	if _, err := m2.ReadReport(stale, jobs.ReportJSON); !nirnay.IsKind(err, nirnay.KindConflict) {
		t.Errorf("report of a failed job: %v; want a conflict", err)
	}
}

func TestJobsQueueIsBounded(t *testing.T) {
	t.Parallel()
	b, reg := shipped(t)
	m, err := jobs.New(jobs.Options{Dir: t.TempDir(), Builder: b, Resolve: jobs.RegistryResolver(reg), MaxConcurrent: 1, MaxQueued: 1, MaxCustomers: 1_000_000})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	spec := jobs.Spec{Baseline: "credit-underwriting@1", Candidate: "credit-underwriting@2",
		Dataset: jobs.Dataset{Generate: &jobs.Generate{Customers: 1_000_000, Seed: 1}}}
	a, err := m.Start(spec, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Start(spec, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := m.Start(spec, ""); !nirnay.IsKind(err, nirnay.KindRateLimited) {
		t.Fatalf("third job with one running and one queued: %v; want rate-limited", err)
	}
	if _, err := m.Cancel(a.ID); err != nil {
		t.Fatal(err)
	}
	if got := waitDone(t, m, a.ID); got.Status != jobs.Cancelled {
		t.Errorf("cancelled job ended %s", got.Status)
	}
}

// blockedAt is a managed list that holds every pincode from a time on, and
// records the times it was asked about.
type blockedAt struct {
	from time.Time
	mu   sync.Mutex
	seen map[time.Time]bool
}

func (b *blockedAt) Contains(list, _ string, at time.Time) (bool, error) {
	b.mu.Lock()
	b.seen[at] = true
	b.mu.Unlock()
	return list == "blocked_pincodes" && !at.Before(b.from), nil
}

// TestJobsReadListsAsOfEachRecord: a job's replay asks the job's lists
// about each record at its own decided time, so a pincode blocked after
// the records were decided changes nothing, and one blocked before
// declines every application.
func TestJobsReadListsAsOfEachRecord(t *testing.T) {
	t.Parallel()
	b, reg := shipped(t)
	var made []*blockedAt
	var from time.Time
	m, err := jobs.New(jobs.Options{Dir: t.TempDir(), Builder: b, Resolve: jobs.RegistryResolver(reg), MaxCustomers: 1000,
		Lists: func() engine.Lists {
			l := &blockedAt{from: from, seen: map[time.Time]bool{}}
			made = append(made, l)
			return l
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	run := func() jobs.Job {
		j, err := m.Start(jobs.Spec{Baseline: "credit-underwriting@1", Candidate: "credit-underwriting@2",
			Dataset: jobs.Dataset{Generate: &jobs.Generate{Customers: 200, Seed: 5}}}, "key-1")
		if err != nil {
			t.Fatal(err)
		}
		return waitDone(t, m, j.ID)
	}
	from = time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC) // after every generated decision
	later := run()
	from = time.Time{} // before every one
	before := run()
	if len(made) != 2 {
		t.Fatalf("Lists was called %d times for two jobs, want once per job", len(made))
	}
	bps := func(p *int64) int64 {
		if p == nil {
			return -1
		}
		return *p
	}
	if later.Status != jobs.Done || bps(later.Summary.BaselineApproveBps) <= 0 {
		t.Errorf("pincodes blocked after the records: %+v; want done with some approvals", later)
	}
	if before.Status != jobs.Done || bps(before.Summary.BaselineApproveBps) != 0 || bps(before.Summary.CandidateApproveBps) != 0 {
		t.Errorf("every pincode blocked before the records: baseline %d bps, candidate %d bps approved; want 0 and 0",
			bps(before.Summary.BaselineApproveBps), bps(before.Summary.CandidateApproveBps))
	}
	if len(made[0].seen) < 2 {
		t.Errorf("the lists were asked at %d distinct times over 200 records; want each record's own time", len(made[0].seen))
	}
}

// TestJobsOfEitherCaseLoadInTimeOrder: simulation ids were lower case
// before they were upper case like every other id; a restart still orders
// the jobs by time, so the oldest is the one trimmed past Keep.
func TestJobsOfEitherCaseLoadInTimeOrder(t *testing.T) {
	t.Parallel()
	b, reg := shipped(t)
	dir := t.TempDir()
	gen := ids.New(nil)
	at := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	older := strings.ToLower(gen.At("sim", at))
	newer := gen.At("sim", at.Add(time.Minute))
	if strings.Compare(older, newer) < 0 {
		t.Fatalf("test needs ids whose bytes sort the other way: %q, %q", older, newer)
	}
	for _, id := range []string{older, newer} {
		if err := os.MkdirAll(filepath.Join(dir, id), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, id, "status.json"), []byte(`{"id": "`+id+`", "status": "done"}`), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	m, err := jobs.New(jobs.Options{Dir: dir, Builder: b, Resolve: jobs.RegistryResolver(reg), Keep: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	if list := m.List(); len(list) != 1 || list[0].ID != newer {
		t.Errorf("jobs %q (older, lower case) and %q loaded with Keep 1: got %+v, want only the newer", older, newer, list)
	}
}
