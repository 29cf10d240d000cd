// Package jobs runs simulations in the background for the API: a bounded
// number at a time, each replaying a generated dataset or a range of the
// decision log through a baseline and a candidate policy version, with its
// progress, status and report files kept under one directory per job.
package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/simulator"
	"github.com/nirnay/nirnay/simulator/live"
)

// Defaults of Options.
const (
	DefaultMaxConcurrent = 1
	DefaultMaxQueued     = 8
	DefaultMaxCustomers  = 1_000_000
	DefaultKeep          = 200
)

// Options configures a Manager. Zero values take the defaults.
type Options struct {
	Dir           string            // jobs live in Dir/<id>/ (required)
	Builder       *features.Builder // the catalog's builder (required)
	Resolve       Resolver          // policy versions (required)
	Log           *decisionlog.Log  // for decision_log datasets; nil: they are refused
	MaxConcurrent int               // jobs running at once; default 1
	MaxQueued     int               // jobs waiting beyond those; default 8
	MaxCustomers  int64             // largest dataset, generated or read from the log; default 1,000,000
	Workers       int               // replay workers per job; default GOMAXPROCS-1 (at least 1), leaving a core to serving
	Keep          int               // finished jobs remembered; default 200 (their files stay on disk)
	Clock         func() time.Time  // default time.Now
	Logger        *slog.Logger      // default slog.Default()

	// Lists, when set, is called as each job starts for the managed lists
	// its replay reads in_list from, answering as of each record's decided
	// time (lists.NewHistory); nil: every list is empty.
	Lists func() engine.Lists
}

// Manager runs simulation jobs. It is safe for concurrent use.
type Manager struct {
	opts     Options
	sem      chan struct{}
	closed   chan struct{} // closed by Close: every job is cancelled
	stopping atomic.Bool
	wg       sync.WaitGroup

	idGen *ids.Generator // on Options.Clock

	mu   sync.Mutex
	jobs map[string]*job
	ids  []string // in creation order
}

type job struct {
	Job
	done   atomic.Int64
	cancel context.CancelFunc
	base   *rules.Compiled
	cand   *rules.Compiled
}

// New returns a Manager over opts.Dir, creating it if needed. Jobs found
// there from an earlier run are listed again; one that was queued or
// running when that run stopped is marked failed.
func New(opts Options) (*Manager, error) {
	if opts.Dir == "" || opts.Builder == nil || opts.Resolve == nil {
		return nil, errors.New("jobs: Dir, Builder and Resolve are required")
	}
	if opts.MaxConcurrent <= 0 {
		opts.MaxConcurrent = DefaultMaxConcurrent
	}
	if opts.MaxQueued <= 0 {
		opts.MaxQueued = DefaultMaxQueued
	}
	if opts.MaxCustomers <= 0 {
		opts.MaxCustomers = DefaultMaxCustomers
	}
	if opts.Workers <= 0 {
		opts.Workers = max(1, runtime.GOMAXPROCS(0)-1)
	}
	if opts.Keep <= 0 {
		opts.Keep = DefaultKeep
	}
	if opts.Clock == nil {
		opts.Clock = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if err := os.MkdirAll(opts.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("simulations dir: %w", err)
	}
	m := &Manager{opts: opts, sem: make(chan struct{}, opts.MaxConcurrent), closed: make(chan struct{}), jobs: map[string]*job{},
		idGen: ids.New(opts.Clock)}
	if err := m.load(); err != nil {
		return nil, err
	}
	return m, nil
}

// load reads the status files an earlier run left.
func (m *Manager) load() error {
	entries, err := os.ReadDir(m.opts.Dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.IsDir() || !strings.HasPrefix(e.Name(), "sim_") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(m.opts.Dir, e.Name(), "status.json"))
		if err != nil {
			continue
		}
		var j job
		if err := json.Unmarshal(b, &j.Job); err != nil || j.ID != e.Name() {
			continue
		}
		if !j.Status.finished() {
			now := m.opts.Clock().UTC()
			j.Status, j.Error, j.FinishedAt = Failed, "interrupted: the service stopped while it was "+string(j.Status), &now
			_ = m.persist(&j.Job)
		}
		j.done.Store(j.Progress.Done)
		m.jobs[j.ID] = &j
		m.ids = append(m.ids, j.ID)
	}
	slices.SortFunc(m.ids, ids.Compare) // ids are time-ordered, in either letter case
	m.trim()
	return nil
}

// Close cancels running and queued jobs and waits for them to stop.
func (m *Manager) Close() {
	if m.stopping.CompareAndSwap(false, true) {
		close(m.closed)
	}
	m.wg.Wait()
}

// Start validates spec, resolves both policy versions and queues the job.
// Errors (*nirnay.Error): KindInvalid for a malformed spec or a dataset
// over MaxCustomers, KindNotFound for an unknown policy version (naming
// the field), KindUnprocessable for versions of different steps or a
// dataset of another step, KindRateLimited when MaxConcurrent+MaxQueued
// jobs are already waiting or running.
func (m *Manager) Start(spec Spec, createdBy string) (Job, error) {
	base, cand, total, err := m.check(&spec)
	if err != nil {
		return Job{}, err
	}
	j := &job{Job: Job{Status: Queued, Spec: spec, CreatedBy: createdBy, CreatedAt: m.opts.Clock().UTC(),
		Progress: Progress{Total: total}}, base: base, cand: cand}
	// Each job has a context of its own, cancelled by Cancel or by Close.
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-m.closed:
			cancel()
		case <-ctx.Done():
		}
	}()
	j.cancel = cancel
	m.mu.Lock()
	active := 0
	for _, o := range m.jobs {
		if !o.Status.finished() {
			active++
		}
	}
	if active >= m.opts.MaxConcurrent+m.opts.MaxQueued {
		m.mu.Unlock()
		cancel()
		return Job{}, nirnay.Errorf(nirnay.KindRateLimited, "%d simulations are already queued or running; try again when one finishes", active)
	}
	j.ID = m.idGen.New("sim")
	if err := os.MkdirAll(m.dir(j.ID), 0o750); err != nil {
		m.mu.Unlock()
		cancel()
		return Job{}, fmt.Errorf("simulation dir: %w", err)
	}
	m.jobs[j.ID] = j
	m.ids = append(m.ids, j.ID)
	err = m.persist(&j.Job)
	snap := m.snapshot(j)
	m.mu.Unlock()
	if err != nil {
		return Job{}, err
	}
	m.wg.Add(1)
	go m.run(ctx, j)
	return snap, nil
}

func (m *Manager) check(spec *Spec) (base, cand *rules.Compiled, total *int64, err error) {
	resolve := func(field, ref string) (*rules.Compiled, error) {
		if ref == "" {
			return nil, nirnay.FieldError(field, "is required (id@version)")
		}
		c, err := m.opts.Resolve(ref)
		if err != nil {
			var ne *nirnay.Error
			if errors.As(err, &ne) {
				return nil, &nirnay.Error{Kind: ne.Kind, Field: field, Message: ne.Message, Err: err}
			}
			return nil, err
		}
		return c, nil
	}
	if base, err = resolve("baseline", spec.Baseline); err != nil {
		return
	}
	if cand, err = resolve("candidate", spec.Candidate); err != nil {
		return
	}
	step := base.Policy.Step
	if cand.Policy.Step != step {
		err = nirnay.Errorf(nirnay.KindUnprocessable, "baseline %s is for step %s and candidate %s for step %s; both must be for the same step",
			spec.Baseline, step, spec.Candidate, cand.Policy.Step)
		return
	}
	cat := m.opts.Builder.Catalog()
	if base.Env.Catalog != cat || cand.Env.Catalog != cat {
		err = nirnay.Errorf(nirnay.KindUnprocessable, "the policies were compiled against another feature catalog")
		return
	}
	d := spec.Dataset
	switch {
	case (d.Generate == nil) == (d.DecisionLog == nil):
		err = nirnay.FieldError("dataset", "give exactly one of generate and decision_log")
	case d.Generate != nil:
		if n := d.Generate.Customers; n < 1 || n > m.opts.MaxCustomers {
			err = nirnay.FieldError("dataset.generate.customers", "must be between 1 and %d, got %d", m.opts.MaxCustomers, n)
			return
		}
		if step != "application" {
			err = nirnay.Errorf(nirnay.KindUnprocessable, "generated customers are applications; %s is for step %s", spec.Baseline, step)
			return
		}
		n := d.Generate.Customers
		total = &n
	default:
		r := d.DecisionLog
		if m.opts.Log == nil {
			err = nirnay.Errorf(nirnay.KindUnprocessable, "the decision log is not available to this service")
			return
		}
		if r.Step == "" {
			r.Step = step
		}
		switch {
		case r.Step != step:
			err = nirnay.Errorf(nirnay.KindUnprocessable, "dataset.decision_log.step is %s but the policies are for step %s", r.Step, step)
		case r.From.IsZero() || r.To.IsZero():
			err = nirnay.FieldError("dataset.decision_log", "from and to are required (RFC 3339)")
		case !r.To.After(r.From):
			err = nirnay.FieldError("dataset.decision_log.to", "must be after from")
		}
	}
	return
}

func (m *Manager) dir(id string) string { return filepath.Join(m.opts.Dir, id) }

// persist writes a job's status file atomically.
func (m *Manager) persist(j *Job) error {
	b, err := json.MarshalIndent(j, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(m.dir(j.ID), "status.json.tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o640); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(m.dir(j.ID), "status.json"))
}

// transition changes a job's status under the lock and persists it.
func (m *Manager) transition(j *job, fn func(*Job)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	fn(&j.Job)
	j.Progress.Done = j.done.Load()
	if err := m.persist(&j.Job); err != nil {
		m.opts.Logger.Error("simulation status not saved", "simulation", j.ID, "err", err)
	}
	if j.Status.finished() {
		m.trim()
	}
}

// trim forgets the oldest finished jobs beyond Keep. Call with mu held.
func (m *Manager) trim() {
	finished := 0
	for _, id := range m.ids {
		if m.jobs[id].Status.finished() {
			finished++
		}
	}
	for i := 0; finished > m.opts.Keep && i < len(m.ids); {
		id := m.ids[i]
		if m.jobs[id].Status.finished() {
			delete(m.jobs, id)
			m.ids = slices.Delete(m.ids, i, i+1)
			finished--
			continue
		}
		i++
	}
}

func (m *Manager) run(ctx context.Context, j *job) {
	defer m.wg.Done()
	defer j.cancel()
	select {
	case m.sem <- struct{}{}:
		defer func() { <-m.sem }()
	case <-ctx.Done():
		m.finish(j, nil, nil, ctx.Err())
		return
	}
	if ctx.Err() != nil {
		m.finish(j, nil, nil, ctx.Err())
		return
	}
	m.transition(j, func(x *Job) {
		now := m.opts.Clock().UTC()
		x.Status, x.StartedAt = Running, &now
	})
	rep, tim, err := m.replay(ctx, j)
	if err == nil {
		err = simulator.WriteReport(m.dir(j.ID), rep, tim)
	}
	m.finish(j, rep, tim, err)
}

func (m *Manager) finish(j *job, rep *simulator.Report, tim *simulator.Timing, err error) {
	m.transition(j, func(x *Job) {
		now := m.opts.Clock().UTC()
		x.FinishedAt = &now
		switch {
		case err == nil:
			x.Status = Done
			x.Summary = summarise(rep, tim)
		case errors.Is(err, context.Canceled) && m.stopping.Load():
			x.Status, x.Error = Failed, "interrupted: the service stopped"
		case errors.Is(err, context.Canceled):
			x.Status, x.Error = Cancelled, "cancelled"
		default:
			x.Status, x.Error = Failed, safeMessage(err)
			m.opts.Logger.Warn("simulation failed", "simulation", x.ID, "err", err)
		}
	})
}

// safeMessage is what a client is told of a failure: a *nirnay.Error's
// message, or the replay's own error (which names the record at fault and
// never holds credentials).
func safeMessage(err error) string {
	var ne *nirnay.Error
	if errors.As(err, &ne) && ne.Kind != nirnay.KindInternal {
		return ne.Message
	}
	msg := err.Error()
	if len(msg) > 500 {
		msg = msg[:500] + "…"
	}
	return msg
}

func (m *Manager) replay(ctx context.Context, j *job) (*simulator.Report, *simulator.Timing, error) {
	cfg := simulator.Config{Baseline: j.base, Candidate: j.cand, Builder: m.opts.Builder, Workers: m.opts.Workers,
		Progress: func(done int64) { j.done.Store(done) }}
	if m.opts.Lists != nil {
		cfg.Lists = m.opts.Lists()
	}
	d := j.Spec.Dataset
	if g := d.Generate; g != nil {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(simulator.Generate(pw, int(g.Customers), g.Seed, nil)) }()
		defer pr.CloseWithError(errors.New("simulation ended"))
		dr, err := simulator.NewDatasetReader(pr, 0, false)
		if err != nil {
			return nil, nil, err
		}
		return simulator.Run(ctx, cfg, simulator.DatasetSource(dr, "generated"))
	}
	r := d.DecisionLog
	src, err := live.NewSource(ctx, live.FromLog(m.opts.Log), live.Range{Step: r.Step, From: r.From, To: r.To},
		live.SourceOptions{Limit: int(m.opts.MaxCustomers)})
	var rep *simulator.Report
	var tim *simulator.Timing
	if err == nil {
		defer src.Close()
		rep, tim, err = simulator.Run(ctx, cfg, src)
	}
	if errors.Is(err, live.ErrTooMany) {
		err = nirnay.Errorf(nirnay.KindInvalid, "the range holds more than %d decisions; narrow it", m.opts.MaxCustomers)
	}
	return rep, tim, err
}

func summarise(r *simulator.Report, t *simulator.Timing) *Summary {
	s := &Summary{Records: r.Records, Skipped: r.Skipped, SwapIn: r.SwapIn.Count, SwapOut: r.SwapOut.Count,
		BaselineApproveBps:  r.Outcomes["baseline"].RatesBps[nirnay.Approve],
		CandidateApproveBps: r.Outcomes["candidate"].RatesBps[nirnay.Approve],
		BaselineBadRateBps:  r.Risk["baseline"].BadRateBps, CandidateBadRateBps: r.Risk["candidate"].BadRateBps}
	if t != nil {
		s.CustomersPerSecond = t.CustomersPerSec
	}
	return s
}

func (m *Manager) snapshot(j *job) Job {
	out := j.Job
	out.Progress.Done = j.done.Load()
	if out.Status == Done && out.Progress.Total == nil {
		n := out.Progress.Done
		out.Progress.Total = &n
	}
	return out
}

func notFound(id string) error {
	return nirnay.Errorf(nirnay.KindNotFound, "simulation %s not found", id)
}

// Get returns a job's current state; KindNotFound for an unknown id.
func (m *Manager) Get(id string) (Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, ok := m.jobs[id]
	if !ok {
		return Job{}, notFound(id)
	}
	return m.snapshot(j), nil
}

// List returns the jobs remembered, newest first.
func (m *Manager) List() []Job {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Job, 0, len(m.ids))
	for i := len(m.ids) - 1; i >= 0; i-- {
		out = append(out, m.snapshot(m.jobs[m.ids[i]]))
	}
	return out
}

// Cancel stops a queued or running job (it becomes cancelled once its
// workers stop) and returns its state. Cancelling a finished job is a
// KindConflict.
func (m *Manager) Cancel(id string) (Job, error) {
	m.mu.Lock()
	j, ok := m.jobs[id]
	if !ok {
		m.mu.Unlock()
		return Job{}, notFound(id)
	}
	if j.Status.finished() {
		st := j.Status
		m.mu.Unlock()
		return Job{}, nirnay.Errorf(nirnay.KindConflict, "simulation %s is already %s", id, st)
	}
	cancel := j.cancel
	m.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	return m.Get(id)
}

// Report files of a finished job.
const (
	ReportJSON = "report.json"
	ReportHTML = "report.html"
	TimingJSON = "timing.json"
)

// ReadReport returns one of a done job's files (ReportJSON, ReportHTML,
// TimingJSON). KindNotFound for an unknown id, KindConflict while the job
// is not done.
func (m *Manager) ReadReport(id, name string) ([]byte, error) {
	j, err := m.Get(id)
	if err != nil {
		return nil, err
	}
	if j.Status != Done {
		return nil, nirnay.Errorf(nirnay.KindConflict, "simulation %s is %s; its report exists once it is done", id, j.Status)
	}
	if name != ReportJSON && name != ReportHTML && name != TimingJSON {
		return nil, nirnay.Errorf(nirnay.KindNotFound, "no report %q", name)
	}
	b, err := os.ReadFile(filepath.Join(m.dir(id), name))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nirnay.Errorf(nirnay.KindNotFound, "the report files of simulation %s are gone", id)
	}
	return b, err
}
