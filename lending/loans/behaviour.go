package loans

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// utilisationDays is the window utilisation_pct averages over.
const utilisationDays = 90

// lineBehaviour is a credit line's record on book as of today, read from
// the lending core's own books: the request features a limit-increase
// decision reads (months_on_book, max_dpd_on_book, on_time_payment_ratio,
// utilisation_pct, limit_changes_6m). While no instalment has fallen due
// none has been missed: on_time_payment_ratio is 1.
func (s *Service) lineBehaviour(ctx context.Context, line *CreditLine, today schedule.Date) (map[string]any, error) {
	opened, limits, err := s.lineHistory(ctx, line)
	if err != nil {
		return nil, err
	}
	draws, err := s.drawEvents(ctx, line.ID)
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	months := 0
	for opened.AddMonths(months+1) <= today {
		months++
	}
	out["months_on_book"] = int64(months)

	changes := 0
	for _, c := range limits {
		if c.on > today.AddMonths(-6) {
			changes++
		}
	}
	out["limit_changes_6m"] = int64(changes)

	maxDPD, due, onTime := 0, 0, 0
	for _, evs := range draws {
		now := Fold(upTo(evs, today))
		maxDPD = max(maxDPD, now.DPD(today))
		for _, e := range evs {
			// Arrears peak the day before a payment (or any event) clears them.
			if d := e.On - 1; d < today {
				st := Fold(upTo(evs, d))
				maxDPD = max(maxDPD, st.DPD(d))
			}
		}
		// An instalment was paid on time if, the day after its due date,
		// nothing was overdue.
		for _, r := range now.Rows {
			if r.Due >= today {
				continue
			}
			due++
			st := Fold(upTo(evs, r.Due))
			if st.DPD(r.Due+1) == 0 {
				onTime++
			}
		}
	}
	out["max_dpd_on_book"] = int64(maxDPD)
	out["on_time_payment_ratio"] = 1.0
	if due > 0 {
		out["on_time_payment_ratio"] = float64(onTime) / float64(due)
	}

	// Daily principal outstanding over the limit of that day, averaged
	// over the window (or since the line opened), in basis points.
	from := max(opened, today-utilisationDays+1)
	var sumBP int64
	for d := from; d <= today; d++ {
		var used money.Paise
		for _, evs := range draws {
			st := Fold(upTo(evs, d))
			used += st.PrincipalOutstanding()
		}
		if lim := limitOn(limits, line.Limit, d); lim > 0 {
			sumBP += int64(used) * 10000 / int64(lim)
		}
	}
	days := int64(today - from + 1)
	out["utilisation_pct"] = float64(sumBP/days) / 100
	return out, nil
}

// limitChange is a change of a line's limit on a date.
type limitChange struct {
	on       schedule.Date
	from, to money.Paise
}

// lineHistory reads when the line was opened (accepted) and its limit
// changes in order.
func (s *Service) lineHistory(ctx context.Context, line *CreditLine) (schedule.Date, []limitChange, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT type, on_date, body FROM lending_events WHERE subject_id = $1 ORDER BY seq`, line.ID)
	if err != nil {
		return 0, nil, err
	}
	defer rows.Close()
	opened := schedule.DateOf(line.CreatedAt.In(ist))
	var changes []limitChange
	for rows.Next() {
		var typ, on, body string
		if err := rows.Scan(&typ, store.ScanDate(&on), &body); err != nil {
			return 0, nil, err
		}
		d, err := schedule.ParseDate(on)
		if err != nil {
			return 0, nil, fmt.Errorf("credit line %s event %s: %w", line.ID, typ, err)
		}
		switch typ {
		case "accepted":
			opened = d
		case "limit_increased":
			var b struct{ From, To string }
			if err := json.Unmarshal([]byte(body), &b); err != nil {
				return 0, nil, fmt.Errorf("credit line %s limit change: %w", line.ID, err)
			}
			from, err1 := money.ParseRupees(b.From)
			to, err2 := money.ParseRupees(b.To)
			if err1 != nil || err2 != nil {
				return 0, nil, fmt.Errorf("credit line %s limit change %q → %q", line.ID, b.From, b.To)
			}
			changes = append(changes, limitChange{on: d, from: from, to: to})
		}
	}
	return opened, changes, rows.Err()
}

// limitOn is the line's limit on date d: the last change made by then, or
// what the first later change started from, or the current limit.
func limitOn(changes []limitChange, current money.Paise, d schedule.Date) money.Paise {
	lim := current
	for i := len(changes) - 1; i >= 0; i-- {
		if changes[i].on <= d {
			return changes[i].to
		}
		lim = changes[i].from
	}
	return lim
}

// drawEvents reads the folded events of each of a line's draws.
func (s *Service) drawEvents(ctx context.Context, lineID string) ([][]Event, error) {
	ids, err := queryStrings(ctx, s.db.Reader(), `SELECT id FROM loans WHERE credit_line_id = $1 ORDER BY id`, lineID)
	if err != nil {
		return nil, err
	}
	var out [][]Event
	for _, id := range ids {
		evs, _, err := loadEvents(ctx, s.db.Reader(), id)
		if err != nil {
			return nil, err
		}
		out = append(out, evs)
	}
	return out, nil
}

// upTo is the events dated on or before d, in their order.
func upTo(evs []Event, d schedule.Date) []Event {
	out := make([]Event, 0, len(evs))
	for _, e := range evs {
		if e.On <= d {
			out = append(out, e)
		}
	}
	return out
}
