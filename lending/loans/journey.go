package loans

import (
	"context"
	"encoding/json"
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
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT at, type, subject_id, on_date, body FROM lending_events
WHERE customer_id = $1 AND at >= $2 AND at < $3 ORDER BY at DESC, id DESC LIMIT $4`, customerID, store.Instant(from), store.Instant(hi), limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Action
	for rows.Next() {
		var (
			a    Action
			body string
		)
		if err := rows.Scan(store.ScanInstant(&a.At), &a.Type, &a.SubjectID, store.ScanDate(&a.On), &body); err != nil {
			return nil, err
		}
		_ = json.Unmarshal([]byte(body), &a.Body)
		if d, ok := a.Body["disbursal"].(map[string]any); ok {
			delete(d, "rows") // the schedule is on the loan, not in the journey
		}
		out = append(out, a)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, rows.Err()
}
