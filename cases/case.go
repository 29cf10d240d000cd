// Package cases is Nirnay's manual review (DESIGN §15): every acted-on
// decision whose outcome is review opens one case in a queue; ops claim
// cases (or take the next one), release or reassign them and decide them
// with reasons and a note, two different reviewers above a queue's
// four-eyes amount. The verdict is itself a decision (policy role
// manual, parent the reviewed decision) in the decision log, and a
// case_decided domain event through the outbox lets the journey resume
// on it (the lending core waits on referred applications, disbursals
// and limit increases).
//
// Cases are opened by the decision log's shipper (Opener), in the
// transaction that writes the referred decision to the database: a
// decision the service acknowledged is in its local segment before the
// answer, ships after any crash or restart, and its case comes into
// being with its row, once (the case id is derived from the decision id,
// decision_id is unique, the insert does nothing when it exists).
package cases

import (
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/money"
)

// Status is where a case is in its work.
type Status string

// The case statuses: open (waiting for a reviewer), assigned (claimed by
// one), awaiting_second (the first of two reviews is in; waiting for a
// second, different reviewer), decided.
const (
	StatusOpen           Status = "open"
	StatusAssigned       Status = "assigned"
	StatusAwaitingSecond Status = "awaiting_second"
	StatusDecided        Status = "decided"
)

// Valid reports whether s is a case status.
func (s Status) Valid() bool {
	switch s {
	case StatusOpen, StatusAssigned, StatusAwaitingSecond, StatusDecided:
		return true
	}
	return false
}

// Actor is who did something to a case: an API key's id and name.
type Actor = governance.Actor

// PolicyRef names the policy version that referred the decision.
type PolicyRef struct {
	ID      string `json:"id"`
	Version int    `json:"version"`
}

// Case is one manual review case (§15 JSON).
type Case struct {
	ID         string    `json:"id"`
	DecisionID string    `json:"decision_id"`
	CustomerID string    `json:"customer_id"`
	Step       string    `json:"step"`
	Queue      string    `json:"queue"`
	Policy     PolicyRef `json:"policy"`
	Status     Status    `json:"status"`
	Reasons    []string  `json:"reasons"`
	Priority   int       `json:"priority"`
	// Amount is the decision input's amount (paise; 0 when it names none),
	// which the queue's four-eyes threshold is compared with.
	Amount      money.Paise `json:"amount"`
	SLADueAt    time.Time   `json:"sla_due_at"`
	SLABreached bool        `json:"sla_breached"` // decided after, or still undecided past, sla_due_at
	Assignee    *Actor      `json:"assignee"`
	AssignedAt  *time.Time  `json:"assigned_at"`
	// FirstReview is the first of two reviews of a four-eyes case.
	FirstReview *Review     `json:"first_review,omitempty"`
	Resolution  *Resolution `json:"resolution"`
	CreatedAt   time.Time   `json:"created_at"`
	UpdatedAt   time.Time   `json:"updated_at"`
}

// Review is one reviewer's verdict: outcome, reasons, note, who and when,
// and for an approve the offer (the policy's, lowered by the reviewer).
type Review struct {
	Outcome nirnay.Outcome `json:"outcome"`
	Reasons []string       `json:"reasons"`
	Note    string         `json:"note"`
	Offer   nirnay.Offer   `json:"offer"`
	By      Actor          `json:"by"`
	At      time.Time      `json:"at"`
}

// Resolution is a decided case's verdict; DecisionID is the verdict's own
// decision (role manual) in the decision log.
type Resolution struct {
	Review
	DecisionID string `json:"decision_id"`
}

// breached reports whether the case missed its SLA as of now.
func (c *Case) breached(now time.Time) bool {
	if c.Resolution != nil {
		return c.Resolution.At.After(c.SLADueAt)
	}
	return now.After(c.SLADueAt)
}

// Event is one thing that happened to a case, for its audit trail and
// the customer's journey.
type Event struct {
	ID         string         `json:"id"`
	CaseID     string         `json:"case_id"`
	CustomerID string         `json:"customer_id"`
	At         time.Time      `json:"at"`
	Action     string         `json:"action"` // opened claimed released reassigned reviewed decided
	Actor      Actor          `json:"actor"`
	Body       map[string]any `json:"body"`
}

// The case event actions.
const (
	ActionOpened     = "opened"
	ActionClaimed    = "claimed"
	ActionReleased   = "released"
	ActionReassigned = "reassigned"
	ActionReviewed   = "reviewed"
	ActionDecided    = "decided"
)

// systemActor opens cases.
var systemActor = Actor{ID: "system", Name: "decision log"}

// Filter selects cases for List. Empty fields do not filter.
type Filter struct {
	Status     Status
	Queue      string
	CustomerID string
	Assignee   string // an API key id
	Cursor     string
	Limit      int // default 50, at most 500
}

// Limits of a listing.
const (
	DefaultLimit = 50
	MaxLimit     = 500
)

// Verdict is what a reviewer decides: approve or decline, the reasons
// (reason codes, at least one for a decline), a note, and on approve
// optionally a lower limit (whole rupees, as the offer's limit) or a
// shorter tenure than the policy's offer.
type Verdict struct {
	Outcome      nirnay.Outcome
	Reasons      []string
	Note         string
	Limit        *int64
	TenureMonths *int64
}

// Limits of a verdict.
const (
	maxReasons    = 20
	maxReasonLen  = 64
	maxNoteLength = 2000
)
