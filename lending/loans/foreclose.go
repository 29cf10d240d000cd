package loans

import (
	"context"
	"database/sql"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
)

// Quote is what closing a loan on a date costs, to the paisa.
type Quote struct {
	LoanID               string        `json:"loan_id"`
	AsOf                 schedule.Date `json:"as_of"`
	PrincipalOutstanding money.Paise   `json:"principal_outstanding"`
	InterestDue          money.Paise   `json:"interest_due"`
	AccruedInterest      money.Paise   `json:"accrued_interest"`
	Charges              money.Paise   `json:"charges"`
	ForeclosureCharge    money.Paise   `json:"foreclosure_charge"`
	ForeclosureGST       money.Paise   `json:"foreclosure_charge_gst"`
	Advance              money.Paise   `json:"advance"`
	// Total is the foreclosure amount: principal + interest due + accrued
	// interest + unpaid charges + foreclosure charge and its GST − advance.
	Total money.Paise `json:"total"`
	// CoolingOff is set while the borrower may still exit without penalty;
	// CoolingOffTotal is then the exit amount (no foreclosure charge).
	CoolingOff      bool        `json:"cooling_off"`
	CoolingOffUntil string      `json:"cooling_off_until,omitempty"`
	CoolingOffTotal money.Paise `json:"cooling_off_total,omitempty"`
}

// quote computes the quote from a folded state; exit is foreclosed or
// cancelled and gives the event that settles it.
func quote(st State, p *product.Product, asOf schedule.Date, exit string) (Quote, Event) {
	st.Rows = append([]Row(nil), st.Rows...)
	st.Charges = append([]Charge(nil), st.Charges...)
	st.advanceTo(asOf)
	q := Quote{AsOf: asOf, PrincipalOutstanding: st.PrincipalOutstanding(), InterestDue: st.interestReceivable(),
		AccruedInterest: st.accrued(asOf), Charges: st.chargesUnpaid(product.PenalCharges) + st.chargesUnpaid(product.Fees),
		Advance: st.Advance}
	q.ForeclosureCharge = p.ForeclosureCharge.On(q.PrincipalOutstanding)
	q.ForeclosureGST = money.Paise(p.GSTPercent.OfPaise(int64(q.ForeclosureCharge)))
	base := q.PrincipalOutstanding + q.InterestDue + q.AccruedInterest + q.Charges - q.Advance
	q.Total = max(base+q.ForeclosureCharge+q.ForeclosureGST, 0)
	until := st.Disbursed + schedule.Date(p.CoolingOffDays)
	if p.CoolingOffDays > 0 && asOf <= until {
		q.CoolingOff, q.CoolingOffUntil, q.CoolingOffTotal = true, until.String(), max(base, 0)
	}
	ev := Event{Type: EvForeclose, On: asOf, Accrued: q.AccruedInterest, ChargeBase: q.ForeclosureCharge, ChargeGST: q.ForeclosureGST,
		Amount: q.Total, Exit: StatusForeclosed}
	if exit == StatusCancelled {
		ev.ChargeBase, ev.ChargeGST, ev.Amount, ev.Exit = 0, 0, q.CoolingOffTotal, StatusCancelled
	}
	return q, ev
}

// Quote returns the foreclosure quote of an active loan as of asOf ("" is
// today; not before the loan's last event). Foreclose on that date with
// exactly Total closes the loan.
func (s *Service) Quote(ctx context.Context, loanID, asOf string) (Quote, error) {
	l, err := s.Get(ctx, loanID)
	if err != nil {
		return Quote{}, err
	}
	if l.Status != StatusActive || l.State == nil {
		return Quote{}, conflict("loan %s is %s; only an active loan has a foreclosure quote", l.ID, l.Status)
	}
	d, err := ParseDate("as_of", asOf, s.Today())
	if err != nil {
		return Quote{}, err
	}
	if floor := dateOr(l.LastEventOn, l.State.Disbursed); d < floor {
		return Quote{}, unprocessable("as_of %s is before the loan's last recorded event on %s", d, floor)
	}
	p, ok := s.products.Get(l.ProductID)
	if !ok {
		return Quote{}, unprocessable("product %s is no longer offered", l.ProductID)
	}
	q, _ := quote(*l.State, p, d, StatusForeclosed)
	q.LoanID = l.ID
	return q, nil
}

// Foreclose closes an active loan with a payment of exactly the quote's
// Total as of req.On (today by default); the loan becomes foreclosed.
// Idempotent by key like Pay. A different amount is KindUnprocessable.
func (s *Service) Foreclose(ctx context.Context, loanID string, req PaymentRequest) (*Payment, bool, error) {
	return s.settle(ctx, loanID, req, StatusForeclosed)
}

// Cancel ends a loan without penalty. Before disbursal (offered or
// accepted) it just cancels (req is ignored). After disbursal, within the
// product's cooling-off days, the borrower repays the principal and the
// interest for the days it was held (and any charges) — no foreclosure
// charge — and the loan becomes cancelled; req.Amount must equal the
// quote's CoolingOffTotal. The processing fee, disclosed in the KFS, is
// not refunded.
func (s *Service) Cancel(ctx context.Context, loanID string, req PaymentRequest) (*Loan, *Payment, error) {
	l, err := getLoan(ctx, s.db.Reader(), loanID)
	if err != nil {
		return nil, nil, err
	}
	if l.Status == StatusOffered || l.Status == StatusAccepted {
		out, err := s.mutate(ctx, loanID, func(tx *sql.Tx, l *Loan, _ *State) (*change, error) {
			if l.Status != StatusOffered && l.Status != StatusAccepted {
				return nil, conflict("loan %s is %s", l.ID, l.Status)
			}
			now := s.now().UTC()
			l.Status, l.UpdatedAt = StatusCancelled, now
			if err := updateLoan(ctx, tx, l); err != nil {
				return nil, err
			}
			seq, err := nextSeq(ctx, tx, l.ID)
			if err != nil {
				return nil, err
			}
			if err := s.appendEvent(ctx, tx, l.ID, l.CustomerID, seq, "cancelled", s.Today(), map[string]any{"before_disbursal": true}, now); err != nil {
				return nil, err
			}
			return nil, s.emit(ctx, tx, "loan.status_changed", l.ID, map[string]any{"loan_id": l.ID, "customer_id": l.CustomerID, "to": StatusCancelled}, now)
		})
		return out, nil, err
	}
	p, _, err := s.settle(ctx, loanID, req, StatusCancelled)
	if err != nil {
		return nil, nil, err
	}
	l, err = s.Get(ctx, loanID)
	return l, p, err
}

func (s *Service) settle(ctx context.Context, loanID string, req PaymentRequest, exit string) (*Payment, bool, error) {
	if err := req.validate(); err != nil {
		return nil, false, err
	}
	kind := KindForeclosure
	if exit == StatusCancelled {
		kind = KindCoolingOff
	}
	if p, ok, err := replay(ctx, s.db.Reader(), loanID, req, kind); ok || err != nil {
		return p, ok, err
	}
	on, err := ParseDate("paid_on", req.On, s.Today())
	if err != nil {
		return nil, false, err
	}
	l, err := getLoan(ctx, s.db.Reader(), loanID)
	if err != nil {
		return nil, false, err
	}
	p, ok := s.products.Get(l.ProductID)
	if !ok {
		return nil, false, unprocessable("product %s is no longer offered", l.ProductID)
	}
	return s.takePayment(ctx, loanID, req, kind, "", func(l *Loan, st *State) ([]Event, error) {
		if l.Status != StatusActive {
			return nil, conflict("loan %s is %s; only an active loan can be %s", l.ID, l.Status, exit)
		}
		q, ev := quote(*st, p, on, exit)
		if exit == StatusCancelled && !q.CoolingOff {
			return nil, unprocessable("the cooling-off period of %d days after disbursal on %s has ended; foreclose instead", p.CoolingOffDays, st.Disbursed)
		}
		if req.Amount != ev.Amount {
			return nil, unprocessable("amount %s is not the %s amount %s as of %s", req.Amount, exit, ev.Amount, on)
		}
		return []Event{ev}, nil
	}, on)
}

// WriteOff writes off everything an active loan still owes (admin). A
// non-zero confirm must equal the outstanding being written off (a check
// that the caller writes off what it saw; else KindUnprocessable).
func (s *Service) WriteOff(ctx context.Context, loanID, onStr string, confirm money.Paise) (*Loan, error) {
	on, err := ParseDate("on", onStr, s.Today())
	if err != nil {
		return nil, err
	}
	if confirm < 0 {
		return nil, nirnay.FieldError("amount", "must not be negative")
	}
	return s.mutate(ctx, loanID, func(tx *sql.Tx, l *Loan, st *State) (*change, error) {
		if l.Status != StatusActive {
			return nil, conflict("loan %s is %s; only an active loan can be written off", l.ID, l.Status)
		}
		if err := s.checkDate("on", on, dateOr(l.LastEventOn, st.Disbursed)); err != nil {
			return nil, err
		}
		if out := st.Outstanding(); confirm != 0 && confirm != out {
			return nil, unprocessable("a write-off is of the whole outstanding, %s; amount says %s", out, confirm)
		}
		return &change{events: []Event{{Type: EvWriteOff, On: on}}, kind: "write_off", ref: on.String(),
			outbox: []message{{topic: "loan.written_off", payload: map[string]any{"amount": st.Outstanding().String()}}}}, nil
	})
}

// Waive waives up to amount of an active loan's unpaid penal charges,
// oldest first. More than is unpaid is KindUnprocessable.
func (s *Service) Waive(ctx context.Context, loanID string, amount money.Paise, onStr string) (*Loan, error) {
	if amount <= 0 {
		return nil, invalid("amount", "must be greater than zero")
	}
	on, err := ParseDate("on", onStr, s.Today())
	if err != nil {
		return nil, err
	}
	return s.mutate(ctx, loanID, func(tx *sql.Tx, l *Loan, st *State) (*change, error) {
		if l.Status != StatusActive {
			return nil, conflict("loan %s is %s", l.ID, l.Status)
		}
		if unpaid := st.chargesUnpaid(product.PenalCharges); amount > unpaid {
			return nil, unprocessable("amount %s is more than the unpaid penal charges %s", amount, unpaid)
		}
		if err := s.checkDate("on", on, dateOr(l.LastEventOn, st.Disbursed)); err != nil {
			return nil, err
		}
		return &change{events: []Event{{Type: EvWaive, On: on, Amount: amount}}, kind: "waiver", ref: on.String(),
			outbox: []message{{topic: "loan.charges_waived", payload: map[string]any{"amount": amount.String()}}}}, nil
	})
}
