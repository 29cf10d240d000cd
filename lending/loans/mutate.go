package loans

import (
	"context"
	"database/sql"
	"time"

	"github.com/nirnay/nirnay/lending/schedule"
)

// change is what one operation adds to a loan: folded events, the journal's
// kind and reference, and outbox messages.
type change struct {
	events []Event
	kind   string // journal kind
	ref    string // journal reference (payment id, date…)
	outbox []message
	// lifecycle is an extra unfolded event for the journey (type, body).
	lifecycle *lifecycleEvent
	// at is when the change is recorded (its rows and outbox events);
	// zero: the time mutate records it.
	at time.Time
}

type message struct {
	id      string // the outbox event id; "" for a new one
	topic   string
	payload map[string]any
}

type lifecycleEvent struct {
	typ  string
	on   schedule.Date
	body any
}

// mutate runs one money operation on a loan in one transaction: lock the
// loan, fold its events, let fn decide the change, append it, journal the
// difference between the states, update the snapshot, write the outbox.
// fn returning a nil change writes nothing.
func (s *Service) mutate(ctx context.Context, loanID string, fn func(tx *sql.Tx, l *Loan, before *State) (*change, error)) (*Loan, error) {
	var out *Loan
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.mutateTx(ctx, tx, loanID, fn)
		return err
	})
	return out, err
}

// mutateTx is mutate's work inside the caller's transaction.
func (s *Service) mutateTx(ctx context.Context, tx *sql.Tx, loanID string, fn func(tx *sql.Tx, l *Loan, before *State) (*change, error)) (*Loan, error) {
	l, err := s.lockLoan(ctx, tx, loanID)
	if err != nil {
		return nil, err
	}
	if l.CreditLineID != "" {
		// A draw's money changes move its line's drawn amount: hold the
		// line as Draw does, so a draw never sees a stale drawn amount.
		if _, err := s.lockLine(ctx, tx, l.CreditLineID, true); err != nil {
			return nil, err
		}
	}
	evs, seq, err := loadEvents(ctx, tx, loanID)
	if err != nil {
		return nil, err
	}
	before := Fold(evs)
	ch, err := fn(tx, l, &before)
	if err != nil || ch == nil {
		return l, err
	}
	after := Fold(append(evs, ch.events...))
	at := ch.at
	if at.IsZero() {
		at = s.now().UTC()
	}
	if err := s.record(ctx, tx, l, &before, &after, ch, seq, at); err != nil {
		return nil, err
	}
	return l, nil
}

// record writes a change computed by mutate or the day-end.
func (s *Service) record(ctx context.Context, tx *sql.Tx, l *Loan, before, after *State, ch *change, seq int, at time.Time) error {
	var on schedule.Date
	for _, e := range ch.events {
		if err := s.appendEvent(ctx, tx, l.ID, l.CustomerID, seq, e.Type, e.On, e, at); err != nil {
			return err
		}
		seq++
		on = e.On
	}
	if ch.lifecycle != nil {
		if err := s.appendEvent(ctx, tx, l.ID, l.CustomerID, seq, ch.lifecycle.typ, ch.lifecycle.on, ch.lifecycle.body, at); err != nil {
			return err
		}
	}
	if err := s.insertJournal(ctx, tx, l.ID, ch.kind, ch.ref, on, journalLines(before, after), at); err != nil {
		return err
	}
	prevStatus := l.Status
	snapshot(l, after)
	l.UpdatedAt = at
	if err := updateLoan(ctx, tx, l); err != nil {
		return err
	}
	msgs := ch.outbox
	if l.Status != prevStatus && prevStatus != "" {
		msgs = append(msgs, message{topic: "loan.status_changed", payload: map[string]any{"from": prevStatus, "to": l.Status}})
	}
	if prevStatus == StatusActive && l.DPD > 0 && (l.Status == StatusClosed || l.Status == StatusForeclosed || l.Status == StatusCancelled) {
		// Settled while past due: the borrower's DPD is now the worst of
		// their other loans (as of the last day end).
		var worst sql.NullInt64
		if err := tx.QueryRowContext(ctx, `SELECT MAX(dpd) FROM loans WHERE customer_id = $1 AND status = $2 AND id <> $3`,
			l.CustomerID, StatusActive, l.ID).Scan(&worst); err != nil {
			return err
		}
		msgs = append(msgs, message{topic: "loan.dpd_changed", payload: map[string]any{"as_of": on.String(), "dpd_before": l.DPD, "dpd": 0,
			"customer_dpd": worst.Int64}})
	}
	for _, m := range msgs {
		p := map[string]any{"loan_id": l.ID, "customer_id": l.CustomerID, "outstanding": l.Outstanding.String()}
		for k, v := range m.payload {
			p[k] = v
		}
		id := m.id
		if id == "" {
			id = s.ids.At("obx", at)
		}
		if err := emitID(ctx, tx, id, m.topic, l.ID, p, at); err != nil {
			return err
		}
	}
	return nil
}
