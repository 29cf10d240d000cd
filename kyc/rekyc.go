package kyc

import (
	"context"
	"database/sql"
	"strconv"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/india"
	"github.com/nirnay/nirnay/store"
)

// Risk is a customer's KYC risk category, which sets how soon their KYC
// is due again.
type Risk string

// The risk categories.
const (
	RiskLow    Risk = "low"
	RiskMedium Risk = "medium"
	RiskHigh   Risk = "high"
)

// DefaultReKYC is how long after KYC completes it is due again, by risk
// category (the RBI's periodic updation: at least every two years for
// high risk, eight for medium and ten for low).
var DefaultReKYC = map[Risk]time.Duration{
	RiskHigh: 2 * 365 * 24 * time.Hour, RiskMedium: 8 * 365 * 24 * time.Hour, RiskLow: 10 * 365 * 24 * time.Hour,
}

// Task is a re-KYC task the day-end event raised: the customer's KYC was
// due at DueAt; it is done when KYC completes again.
type Task struct {
	ID         string     `json:"id"`
	CustomerID string     `json:"customer_id"`
	Kind       string     `json:"kind"` // rekyc
	Status     string     `json:"status"`
	DueAt      time.Time  `json:"due_at"`
	RaisedOn   string     `json:"raised_on"`
	DoneAt     *time.Time `json:"done_at"`
}

// completed records that the customer's KYC completed at now: re-KYC is
// due again after their risk category's period (medium until set), and
// their open re-KYC tasks are done.
func (s *Service) completed(ctx context.Context, customerID string, now time.Time) error {
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		risk := RiskMedium
		var cur string
		switch err := tx.QueryRowContext(ctx, `SELECT risk_category FROM kyc_customers WHERE customer_id = $1`, customerID).Scan(&cur); {
		case err == nil:
			risk = Risk(cur)
		case err != sql.ErrNoRows:
			return store.Translate(err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO kyc_customers (customer_id, risk_category, completed_at, rekyc_due_at, updated_at)
VALUES ($1, $2, $3, $4, $3)
ON CONFLICT (customer_id) DO UPDATE SET completed_at = excluded.completed_at, rekyc_due_at = excluded.rekyc_due_at, updated_at = excluded.updated_at`,
			customerID, string(risk), store.Instant(now), store.Instant(now.Add(s.rekyc[risk]))); err != nil {
			return store.Translate(err)
		}
		_, err := tx.ExecContext(ctx, `UPDATE kyc_tasks SET status = 'done', done_at = $2 WHERE customer_id = $1 AND status = 'open'`,
			customerID, store.Instant(now))
		return store.Translate(err)
	})
}

// SetRisk sets the customer's risk category; when their KYC has
// completed, re-KYC becomes due after the new category's period from that
// completion. Errors: KindInvalid for an unknown category.
func (s *Service) SetRisk(ctx context.Context, customerID string, risk Risk) error {
	period, ok := s.rekyc[risk]
	if !ok {
		return nirnay.FieldError("risk_category", "must be low, medium or high")
	}
	now := s.now().UTC()
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		var completed *time.Time
		err := tx.QueryRowContext(ctx, `SELECT completed_at FROM kyc_customers WHERE customer_id = $1`, customerID).Scan(store.ScanNullInstant(&completed))
		if err != nil && err != sql.ErrNoRows {
			return store.Translate(err)
		}
		var due *time.Time
		if completed != nil {
			d := completed.Add(period)
			due = &d
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO kyc_customers (customer_id, risk_category, completed_at, rekyc_due_at, updated_at)
VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (customer_id) DO UPDATE SET risk_category = excluded.risk_category, rekyc_due_at = excluded.rekyc_due_at, updated_at = excluded.updated_at`,
			customerID, string(risk), store.NullInstant(completed), store.NullInstant(due), store.Instant(now))
		return store.Translate(err)
	})
}

// RaiseReKYC raises a re-KYC task for every customer whose KYC is due by
// the end of the business day on (YYYY-MM-DD, Asia/Kolkata) and has none
// for that due time yet; the day-end event calls it. It is idempotent (a
// task per customer and due time) and safe with several instances. It
// returns the tasks raised.
func (s *Service) RaiseReKYC(ctx context.Context, on string) (int, error) {
	day, err := time.ParseInLocation(time.DateOnly, on, india.Zone)
	if err != nil {
		return 0, nirnay.FieldError("on", "must be a date YYYY-MM-DD")
	}
	end := day.AddDate(0, 0, 1)
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT c.customer_id, c.rekyc_due_at FROM kyc_customers c
WHERE c.rekyc_due_at < $1 AND NOT EXISTS (SELECT 1 FROM kyc_tasks t WHERE t.customer_id = c.customer_id AND t.kind = 'rekyc' AND t.due_at = c.rekyc_due_at)`,
		store.Instant(end))
	if err != nil {
		return 0, store.Translate(err)
	}
	type due struct {
		customer string
		at       time.Time
	}
	var dues []due
	for rows.Next() {
		var d due
		if err := rows.Scan(&d.customer, store.ScanInstant(&d.at)); err != nil {
			rows.Close()
			return 0, err
		}
		dues = append(dues, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, store.Translate(err)
	}
	raised := 0
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		raised = 0
		for _, d := range dues {
			res, err := tx.ExecContext(ctx, `INSERT INTO kyc_tasks (id, customer_id, kind, status, due_at, raised_on)
VALUES ($1, $2, 'rekyc', 'open', $3, $4) ON CONFLICT (customer_id, kind, due_at) DO NOTHING`,
				s.ids.New("task"), d.customer, store.Instant(d.at), on)
			if err != nil {
				return store.Translate(err)
			}
			if n, _ := res.RowsAffected(); n > 0 {
				raised++
			}
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	if raised > 0 {
		s.log.Info("kyc: re-KYC tasks raised", "on", on, "tasks", raised)
	}
	return raised, nil
}

// Tasks lists the re-KYC tasks of a status ("" for all), oldest due
// first, at most limit.
func (s *Service) Tasks(ctx context.Context, status string, limit int) ([]Task, error) {
	w := store.Where{}
	w.Eq("status", status)
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT id, customer_id, kind, status, due_at, raised_on, done_at FROM kyc_tasks`+
		w.String()+` ORDER BY due_at, id LIMIT `+strconv.Itoa(limit), w.Args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []Task
	for rows.Next() {
		var t Task
		if err := rows.Scan(&t.ID, &t.CustomerID, &t.Kind, &t.Status, store.ScanInstant(&t.DueAt), store.ScanDate(&t.RaisedOn),
			store.ScanNullInstant(&t.DoneAt)); err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, store.Translate(rows.Err())
}
