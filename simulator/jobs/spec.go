package jobs

import (
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/rules"
)

// Status is where a job stands.
type Status string

// The statuses. A job moves queued → running → done | failed | cancelled
// (or queued → cancelled).
const (
	Queued    Status = "queued"
	Running   Status = "running"
	Done      Status = "done"
	Failed    Status = "failed"
	Cancelled Status = "cancelled"
)

func (s Status) finished() bool { return s == Done || s == Failed || s == Cancelled }

// Spec is what to simulate.
type Spec struct {
	Baseline  string  `json:"baseline"`  // id@version
	Candidate string  `json:"candidate"` // id@version
	Dataset   Dataset `json:"dataset"`
}

// Dataset is exactly one of a generated dataset or a decision-log range.
type Dataset struct {
	Generate    *Generate `json:"generate,omitempty"`
	DecisionLog *LogRange `json:"decision_log,omitempty"`
}

// Generate asks for Customers synthetic customers (simulator.Generate)
// from Seed.
type Generate struct {
	Customers int64  `json:"customers"`
	Seed      uint64 `json:"seed"`
}

// LogRange replays the acted-on decisions of Step decided in [From, To).
// Step defaults to the policies' step.
type LogRange struct {
	Step string    `json:"step"`
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
}

// Job is a simulation's state as the API shows it.
type Job struct {
	ID         string     `json:"id"`
	Status     Status     `json:"status"`
	Spec       Spec       `json:"spec"`
	CreatedBy  string     `json:"created_by,omitempty"`
	Progress   Progress   `json:"progress"`
	Error      string     `json:"error,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at"`
	FinishedAt *time.Time `json:"finished_at"`
	Summary    *Summary   `json:"summary,omitempty"`
}

// Progress counts records replayed; Total is null when unknown (a
// decision-log range).
type Progress struct {
	Done  int64  `json:"done"`
	Total *int64 `json:"total"`
}

// Summary is the headline of a finished report.
type Summary struct {
	Records             int64  `json:"records"`
	Skipped             int64  `json:"skipped_records"`
	BaselineApproveBps  *int64 `json:"baseline_approve_bps"`
	CandidateApproveBps *int64 `json:"candidate_approve_bps"`
	SwapIn              int64  `json:"swap_in"`
	SwapOut             int64  `json:"swap_out"`
	BaselineBadRateBps  *int64 `json:"baseline_bad_rate_bps"`
	CandidateBadRateBps *int64 `json:"candidate_bad_rate_bps"`
	CustomersPerSecond  int64  `json:"customers_per_sec"`
}

// Resolver finds a compiled policy version by "id@version". It returns a
// *nirnay.Error: KindInvalid for a malformed reference, KindNotFound for a
// version it does not have.
type Resolver func(ref string) (*rules.Compiled, error)

// RegistryResolver resolves among the approved versions of a registry
// (governance keeps every approved version, the shipped bundle's included,
// compiled there).
func RegistryResolver(reg *engine.Registry) Resolver {
	return func(ref string) (*rules.Compiled, error) {
		r, err := rules.ParsePolicyRef(ref)
		if err != nil {
			return nil, nirnay.Errorf(nirnay.KindInvalid, "%q is not id@version", ref)
		}
		c, ok := reg.Get(r)
		if !ok {
			return nil, nirnay.Errorf(nirnay.KindNotFound, "policy version %s is not an approved version", r)
		}
		return c, nil
	}
}
