package live

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/store"
)

// Loan is one loan (or credit-line draw) as the outcome join sees it.
type Loan struct {
	ID          string
	CustomerID  string
	RequestID   string // the application decision's request id (via the credit line for a draw)
	Status      string
	DisbursedOn string // YYYY-MM-DD; "" before disbursal
	WorstDPD    int    // the largest DPD any day-end recorded, or the current one
	EverNPA     bool   // the loan (or its borrower) was ever classified NPA
}

// LoanKey links a loan to the decision that approved its application.
type LoanKey struct{ CustomerID, RequestID string }

// ReadLoans returns the loans and draws created at or after since whose
// application has a request id, keyed by (customer id, request id) of that
// application: the lending core passes an application's request id to the
// decision engine as the decision's request id, which makes the join exact.
// A draw is keyed by its credit line's application.
//
// A loan's worst DPD is the largest of its current DPD and every DPD the
// day-end announced for it (outbox topic loan.dpd_changed); EverNPA is set
// when any of those, or its current asset class, is NPA (NPA is per
// borrower, so one loan's 90+ DPD makes every loan of the borrower NPA).
// Labels are as good as the day-ends that ran: DPD is recorded only by them.
func ReadLoans(ctx context.Context, db *store.DB, since time.Time) (map[LoanKey][]*Loan, error) {
	q := db.Reader()
	lines := map[string]LoanKey{}
	rows, err := q.QueryContext(ctx, `SELECT id, customer_id, request_id FROM credit_lines WHERE created_at >= $1 AND request_id <> ''`, store.Instant(since))
	if err != nil {
		return nil, fmt.Errorf("read credit lines: %w", err)
	}
	for rows.Next() {
		var id string
		var k LoanKey
		if err := rows.Scan(&id, &k.CustomerID, &k.RequestID); err != nil {
			rows.Close()
			return nil, err
		}
		lines[id] = k
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	out := map[LoanKey][]*Loan{}
	byID := map[string]*Loan{}
	rows, err = q.QueryContext(ctx, `SELECT id, customer_id, request_id, credit_line_id, status, disbursed_on, dpd, asset_class
FROM loans WHERE created_at >= $1 ORDER BY created_at, id`, store.Instant(since))
	if err != nil {
		return nil, fmt.Errorf("read loans: %w", err)
	}
	for rows.Next() {
		var (
			l     Loan
			line  *string
			class string
		)
		if err := rows.Scan(&l.ID, &l.CustomerID, &l.RequestID, &line, &l.Status, store.ScanDate(&l.DisbursedOn), &l.WorstDPD, &class); err != nil {
			rows.Close()
			return nil, err
		}
		l.EverNPA = class == loans.ClassNPA
		key := LoanKey{l.CustomerID, l.RequestID}
		if line != nil && *line != "" {
			k, ok := lines[*line]
			if !ok {
				continue
			}
			key = k
		}
		if key.RequestID == "" {
			continue
		}
		lp := &l
		out[key] = append(out[key], lp)
		byID[l.ID] = lp
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}

	rows, err = q.QueryContext(ctx, `SELECT key, payload FROM outbox WHERE topic = 'loan.dpd_changed' AND created_at >= $1`, store.Instant(since))
	if err != nil {
		return nil, fmt.Errorf("read DPD history: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var key, payload string
		if err := rows.Scan(&key, &payload); err != nil {
			return nil, err
		}
		l := byID[key]
		if l == nil {
			continue
		}
		var p struct {
			DPD   int    `json:"dpd"`
			Class string `json:"class"`
		}
		if err := json.Unmarshal([]byte(payload), &p); err != nil {
			return nil, fmt.Errorf("DPD change of loan %s: %w", key, err)
		}
		l.WorstDPD = max(l.WorstDPD, p.DPD)
		if p.Class == loans.ClassNPA {
			l.EverNPA = true
		}
	}
	return out, rows.Err()
}
