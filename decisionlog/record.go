// Package decisionlog is Nirnay's durable decision log.
//
// Every decision (champion, challenger, shadow) is appended to a local segment
// file before its response is sent (Log.Append), so it survives a kill -9 of
// the server. Log.Run ships appended records to the database in batches,
// idempotently by decision id, so a restart or a database outage loses and
// duplicates nothing; until then reads find them in memory or the segments.
// Decisions older than the hot-tier age are exported to compressed daily
// files (the cold tier, Log.Archive) that reads still reach.
package decisionlog

import (
	"encoding/json"
	"time"

	"github.com/nirnay/nirnay"
)

// Record is one logged decision. The indexed fields are copied out of the
// decision so the log can be filtered without parsing Body. A record is
// not modified once appended (the log shares it, and its Body, until it is
// shipped).
type Record struct {
	ID            string            `json:"id"`
	ParentID      string            `json:"parent_id,omitempty"` // for a shadow: the acted-on decision
	RequestID     string            `json:"request_id"`
	CustomerID    string            `json:"customer_id"`
	Step          string            `json:"step"`
	Outcome       nirnay.Outcome    `json:"outcome"`
	PolicyID      string            `json:"policy_id"`
	PolicyVersion int               `json:"policy_version"`
	Role          nirnay.PolicyRole `json:"role"` // champion | challenger | shadow
	Score         int64             `json:"score"`
	DecidedAt     time.Time         `json:"decided_at"`
	Rules         []string          `json:"rules"` // ids of fired and errored rules
	Body          json.RawMessage   `json:"body"`  // the full decision, with features used and input
}
