package loans

import (
	"context"
	"encoding/json"
	"slices"
	"time"

	"github.com/nirnay/nirnay/store"
)

// Action is one lending action in a customer's journey.
type Action struct {
	At        time.Time      `json:"at"`
	Type      string         `json:"type"`
	SubjectID string         `json:"subject_id"` // loan or credit line
	On        string         `json:"on"`
	Body      map[string]any `json:"body"`
}

// Journey returns a customer's lending actions with at in [from, to) (zero
// bounds are open), oldest first, at most limit (the most recent ones).
func (s *Service) Journey(ctx context.Context, customerID string, from, to time.Time, limit int) ([]Action, error) {
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	hi := to
	if hi.IsZero() {
		hi = store.EndOfTime
	}
	out, err := queryAll(ctx, s.db.Reader(), func(r scanner) (a Action, err error) {
		var body string
		if err := r.Scan(store.ScanInstant(&a.At), &a.Type, &a.SubjectID, store.ScanDate(&a.On), &body); err != nil {
			return a, err
		}
		_ = json.Unmarshal([]byte(body), &a.Body)
		if d, ok := a.Body["disbursal"].(map[string]any); ok {
			delete(d, "rows") // the schedule is on the loan, not in the journey
		}
		return a, nil
	}, `SELECT at, type, subject_id, on_date, body FROM lending_events
WHERE customer_id = $1 AND at >= $2 AND at < $3 ORDER BY at DESC, id DESC LIMIT $4`, customerID, store.Instant(from), store.Instant(hi), limit)
	if err != nil {
		return nil, err
	}
	slices.Reverse(out)
	return out, nil
}
