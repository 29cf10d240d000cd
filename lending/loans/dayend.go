package loans

import (
	"context"
	"database/sql"

	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/store"
)

// Asset classes (RBI): by days past due.
const (
	ClassStandard = "standard"
	ClassSMA0     = "sma_0" // 1–30 DPD
	ClassSMA1     = "sma_1" // 31–60
	ClassSMA2     = "sma_2" // 61–90
	ClassNPA      = "npa"   // > 90
)

// ClassOf is the asset class of a loan dpd days past due.
func ClassOf(dpd int) string {
	switch {
	case dpd <= 0:
		return ClassStandard
	case dpd <= 30:
		return ClassSMA0
	case dpd <= 60:
		return ClassSMA1
	case dpd <= 90:
		return ClassSMA2
	}
	return ClassNPA
}

// BorrowerClass classifies a borrower from the DPDs of all their active
// loans and their previous class: NPA when any loan is over 90 DPD, and an
// NPA borrower is upgraded only when every arrear on every loan is cleared
// (all DPD 0). Otherwise the worst loan's class.
func BorrowerClass(prev string, dpds []int) string {
	worst := 0
	for _, d := range dpds {
		worst = max(worst, d)
	}
	if prev == ClassNPA && worst > 0 {
		return ClassNPA
	}
	return ClassOf(worst)
}

// DayEndReport summarises a day-end run.
type DayEndReport struct {
	Date       schedule.Date `json:"date"`
	Loans      int           `json:"loans"`
	Borrowers  int           `json:"borrowers"`
	DPDChanges int           `json:"dpd_changes"`
	Skipped    int           `json:"skipped"` // already run for this date
}

// DayEnd closes the books of date d (not after today) for every active
// loan: instalments due are billed, an advance is applied, a penal charge is
// added once per instalment missed, DPD and asset class are computed (NPA
// at the borrower level) and every DPD or class change is written to the
// outbox (topic loan.dpd_changed) in the same transaction, one transaction
// per borrower. It is an event the service triggers, not a cron, and it is
// idempotent per loan and date: a loan already closed for d or later is
// skipped.
func (s *Service) DayEnd(ctx context.Context, d schedule.Date) (DayEndReport, error) {
	rep := DayEndReport{Date: d}
	if today := s.Today(); d > today {
		return rep, unprocessable("date %s is in the future (today is %s)", d, today)
	}
	customers, err := queryStrings(ctx, s.db.Reader(),
		`SELECT DISTINCT customer_id FROM loans WHERE status = $1 AND disbursed_on <= $2 ORDER BY customer_id`, StatusActive, d.String())
	if err != nil {
		return rep, err
	}
	for _, c := range customers {
		if err := s.inTx(ctx, func(tx *sql.Tx) error { return s.dayEndBorrower(ctx, tx, c, d, &rep) }); err != nil {
			return rep, err
		}
		rep.Borrowers++
	}
	return rep, nil
}

func (s *Service) dayEndBorrower(ctx context.Context, tx *sql.Tx, customer string, d schedule.Date, rep *DayEndReport) error {
	ids, err := queryStrings(ctx, tx, `SELECT id FROM loans WHERE customer_id = $1 AND status = $2 AND disbursed_on <= $3 ORDER BY id`,
		customer, StatusActive, d.String())
	if err != nil {
		return err
	}
	type loanDPD struct {
		l         *Loan
		dpd       int
		prevDPD   int
		prevClass string
		skipped   bool
	}
	var all []loanDPD
	var dpds []int
	at := s.now().UTC()
	for _, id := range ids {
		l, err := s.lockLoan(ctx, tx, id)
		if err != nil {
			return err
		}
		if l.Status != StatusActive {
			continue // settled while this day end waited for its lock: as if before the query
		}
		item := loanDPD{l: l, prevDPD: l.DPD, prevClass: l.AssetClass, dpd: l.DPD}
		if l.LastDayEnd != "" && l.LastDayEnd >= d.String() {
			item.skipped = true
			rep.Skipped++
			all, dpds = append(all, item), append(dpds, l.DPD)
			continue
		}
		evs, seq, err := loadEvents(ctx, tx, id)
		if err != nil {
			return err
		}
		before := Fold(evs)
		ev := Event{Type: EvDayEnd, On: d}
		after := Fold(append(evs, ev))
		if lines := journalLines(&before, &after); len(lines) > 0 {
			if err := s.record(ctx, tx, l, &before, &after, &change{events: []Event{ev}, kind: "day_end", ref: d.String()}, seq, at); err != nil {
				return err
			}
		}
		item.dpd = after.DPD(d)
		l.LastDayEnd = d.String()
		all, dpds = append(all, item), append(dpds, item.dpd)
		rep.Loans++
	}
	var prev string
	err = tx.QueryRowContext(ctx, `SELECT asset_class FROM borrowers WHERE customer_id = $1`, customer).Scan(&prev)
	if err != nil && !isNoRows(err) {
		return err
	}
	bc := BorrowerClass(prev, dpds)
	worst := 0
	for _, x := range dpds {
		worst = max(worst, x)
	}
	for _, it := range all {
		l := it.l
		class := ClassOf(it.dpd)
		if bc == ClassNPA {
			class = ClassNPA
		}
		l.DPD, l.AssetClass, l.UpdatedAt = it.dpd, class, at
		if err := updateLoan(ctx, tx, l); err != nil {
			return err
		}
		// A borrower's first day end announces every loan, so the
		// customer's current_dpd is known (0) before anything is late.
		if it.dpd != it.prevDPD || class != it.prevClass || prev == "" {
			rep.DPDChanges++
			if err := s.emit(ctx, tx, "loan.dpd_changed", l.ID, map[string]any{"loan_id": l.ID, "customer_id": customer,
				"as_of": d.String(), "dpd_before": it.prevDPD, "dpd": it.dpd, "class_before": it.prevClass, "class": class,
				"borrower_class": bc, "customer_dpd": worst}, at); err != nil {
				return err
			}
		}
	}
	if prev != bc && prev != "" {
		if err := s.emit(ctx, tx, "borrower.asset_class_changed", customer, map[string]any{"customer_id": customer, "as_of": d.String(),
			"from": prev, "to": bc}, at); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO borrowers (customer_id, asset_class, max_dpd, as_of, updated_at) VALUES ($1,$2,$3,$4,$5)
ON CONFLICT (customer_id) DO UPDATE SET asset_class = excluded.asset_class, max_dpd = excluded.max_dpd, as_of = excluded.as_of, updated_at = excluded.updated_at`,
		customer, bc, worst, d.String(), store.Instant(at))
	return store.Translate(err)
}

// Borrower is a borrower's classification after the last day-end.
type Borrower struct {
	CustomerID string `json:"customer_id"`
	AssetClass string `json:"asset_class"`
	MaxDPD     int    `json:"max_dpd"`
	AsOf       string `json:"as_of"`
}

// BorrowerStatus returns a customer's classification (standard with no
// day-end yet).
func (s *Service) BorrowerStatus(ctx context.Context, customerID string) (Borrower, error) {
	b := Borrower{CustomerID: customerID, AssetClass: ClassStandard}
	err := s.db.Reader().QueryRowContext(ctx, `SELECT asset_class, max_dpd, as_of FROM borrowers WHERE customer_id = $1`, customerID).
		Scan(&b.AssetClass, &b.MaxDPD, store.ScanDate(&b.AsOf))
	if err != nil && !isNoRows(err) {
		return b, err
	}
	return b, nil
}
