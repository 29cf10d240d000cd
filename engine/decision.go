package engine

import (
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/features"
)

// Request asks for one decision (§6).
type Request struct {
	RequestID  string         `json:"request_id"`
	CustomerID string         `json:"customer_id"`
	Step       string         `json:"step"`
	Input      map[string]any `json:"input"`
	Trace      bool           `json:"trace"`
	// DecisionID, when set, is the id the decision gets (the decision
	// service claims it for the request before deciding); else one is made.
	DecisionID string `json:"-"`
}

// PolicyRef names the policy version that produced a result and its role
// (champion, challenger or shadow; omitted inside shadow entries).
type PolicyRef struct {
	ID      string            `json:"id"`
	Version int               `json:"version"`
	Role    nirnay.PolicyRole `json:"role,omitempty"`
}

// ShadowResult is what a shadow policy would have decided; never acted on.
type ShadowResult struct {
	Policy  PolicyRef      `json:"policy"`
	Outcome nirnay.Outcome `json:"outcome"`
	Reasons []string       `json:"reasons"`
	Score   int64          `json:"score"`
}

// Decision is one decision: a plain value shared by the API, the decision
// log and the simulator. Its JSON is exactly the §6 response; reasons,
// actions, rules and shadow are [] (never null) and offer is null when
// there is none. Log holds what the decision log needs beyond the
// response and is not part of the JSON.
type Decision struct {
	DecisionID  string         `json:"decision_id"`
	RequestID   string         `json:"request_id"`
	CustomerID  string         `json:"customer_id"`
	Step        string         `json:"step"`
	Outcome     nirnay.Outcome `json:"outcome"`
	Reasons     []string       `json:"reasons"`
	Score       int64          `json:"score"`
	Offer       nirnay.Offer   `json:"offer"`
	Actions     []string       `json:"actions"`
	Policy      PolicyRef      `json:"policy"`
	Rules       []RuleResult   `json:"rules"`
	Shadow      []ShadowResult `json:"shadow"`
	EvaluatedAt time.Time      `json:"evaluated_at"` // UTC, RFC 3339
	LatencyUS   int64          `json:"latency_us"`

	Log LogDetail `json:"-"`
}

// LogDetail is the part of a decision kept for the decision log and
// simulator: the request input, the feature values actually used with
// their ages, every evaluation (acted-on policy first, then shadows) and
// timings.
type LogDetail struct {
	Input       map[string]any
	Evaluations []Evaluation
	FetchNanos  int64 // time spent getting the vector
	EvalNanos   int64 // time spent evaluating all policies

	vec   *features.Vector
	reads []int
	now   time.Time
}

// Features reports every feature any evaluated policy of the step reads,
// in catalog order, with its value, age and state as of the decision time.
// It is computed on demand (the vector is immutable), so decisions that
// are not logged do not pay for it.
func (l *LogDetail) Features() []features.Observation {
	out := make([]features.Observation, len(l.reads))
	for i, slot := range l.reads {
		out[i] = l.vec.Observe(slot, l.now)
	}
	return out
}

// Evaluation is one policy's full result within a decision.
type Evaluation struct {
	Policy PolicyRef
	Result Result
}
