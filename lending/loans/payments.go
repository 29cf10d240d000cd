package loans

import (
	"context"
	"database/sql"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// Payment kinds.
const (
	KindPayment     = "payment"
	KindForeclosure = "foreclosure"
	KindCoolingOff  = "cooling_off"
)

// PaymentRequest is a payment (or a foreclosure or cooling-off exit
// amount) on a loan. Key makes it idempotent per loan; On is the payment
// date, "" for today.
type PaymentRequest struct {
	Key    string
	Amount money.Paise
	On     string
	// Mode is the payment source (upi, nach, netbanking…) for the
	// repayment decision's payment_mode; it is not part of the key's
	// content.
	Mode string
}

// Payment is a recorded payment.
type Payment struct {
	ID         string      `json:"id"`
	LoanID     string      `json:"loan_id"`
	Key        string      `json:"idempotency_key"`
	Kind       string      `json:"kind"`
	Amount     money.Paise `json:"amount"`
	PaidOn     string      `json:"paid_on"`
	Status     string      `json:"status"` // applied | bounced
	DecisionID string      `json:"decision_id,omitempty"`
	CreatedAt  time.Time   `json:"created_at"`
}

func (r PaymentRequest) hash(kind string) string {
	return store.SHA256Hex([]byte(kind + "|" + r.Amount.String() + "|" + r.On))
}

func (r PaymentRequest) validate() error {
	switch {
	case r.Key == "":
		return invalid("idempotency_key", "is required (Idempotency-Key header or idempotency_key)")
	case r.Amount <= 0:
		return invalid("amount", "must be greater than zero (got %s)", r.Amount)
	}
	return maxLen("idempotency_key", r.Key, 128)
}

const paymentCols = `id, loan_id, idempotency_key, request_hash, kind, amount, paid_on, status, decision_id, created_at`

// scanPayment reads a row of paymentCols: the payment and its request hash.
func scanPayment(r scanner) (p Payment, hash string, err error) {
	err = r.Scan(&p.ID, &p.LoanID, &p.Key, &hash, &p.Kind, &p.Amount, store.ScanDate(&p.PaidOn), &p.Status, &p.DecisionID, store.ScanInstant(&p.CreatedAt))
	return p, hash, err
}

func findPayment(ctx context.Context, q queryer, where string, args ...any) (*Payment, string, error) {
	p, hash, err := scanPayment(q.QueryRowContext(ctx, `SELECT `+paymentCols+` FROM loan_payments WHERE `+where, args...))
	if err != nil {
		return nil, "", err
	}
	return &p, hash, nil
}

// replay answers a repeated key: the same request gives the recorded
// payment, a different one a KindConflict.
func replay(ctx context.Context, q queryer, loanID string, req PaymentRequest, kind string) (*Payment, bool, error) {
	p, hash, err := findPayment(ctx, q, `loan_id = $1 AND idempotency_key = $2`, loanID, req.Key)
	if isNoRows(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if hash != req.hash(kind) {
		return nil, false, conflict("idempotency key %q was used for a different request on loan %s", req.Key, loanID)
	}
	return p, true, nil
}

// Pay records a payment and allocates it by the product's order across
// overdue then due instalments (charges first by default); an excess goes to
// an advance or prepays principal as the product says. It is idempotent by
// (loan, key): the same request again returns the recorded payment with
// replayed true and changes nothing; the same key with another amount or
// date is KindConflict. The repayment decision's input carries amount,
// paid_on, payment_mode and what the borrower owes on paid_on
// (loan_outstanding, loan_overdue). Errors: KindInvalid (zero or negative amount, no
// key), KindNotFound, KindConflict (loan not active), KindUnprocessable (a
// date in the future or before the loan's last event), *StoppedError.
func (s *Service) Pay(ctx context.Context, loanID string, req PaymentRequest) (*Payment, bool, error) {
	if err := req.validate(); err != nil {
		return nil, false, err
	}
	if p, ok, err := replay(ctx, s.db.Reader(), loanID, req, KindPayment); ok || err != nil {
		return p, ok, err
	}
	l, err := getLoan(ctx, s.db.Reader(), loanID)
	if err != nil {
		return nil, false, err
	}
	if l.Status != StatusActive {
		return nil, false, conflict("loan %s is %s; payments are taken only on an active loan", l.ID, l.Status)
	}
	on, err := ParseDate("paid_on", req.On, s.Today())
	if err != nil {
		return nil, false, err
	}
	evs, _, err := loadEvents(ctx, s.db.Reader(), loanID)
	if err != nil {
		return nil, false, err
	}
	input := repaymentFacts(Fold(evs), on)
	input["amount"], input["loan_id"], input["paid_on"] = rupees(req.Amount), l.ID, on.String()
	if req.Mode != "" {
		input["payment_mode"] = req.Mode
	}
	v, err := s.decide(ctx, StepRepayment, l.CustomerID, "repayment:"+l.ID+":"+req.Key, input)
	if err != nil {
		return nil, false, err
	}
	return s.takePayment(ctx, loanID, req, KindPayment, v.DecisionID, func(l *Loan, st *State) ([]Event, error) {
		if l.Status != StatusActive {
			return nil, conflict("loan %s is %s; payments are taken only on an active loan", l.ID, l.Status)
		}
		return []Event{{Type: EvPayment, On: on, Amount: req.Amount}}, nil
	}, on)
}

// takePayment is the transactional half of a payment-like operation: lock,
// check the key again under the lock, insert the payment (the unique key is
// the backstop against duplicates), fold, journal, outbox.
func (s *Service) takePayment(ctx context.Context, loanID string, req PaymentRequest, kind, decisionID string,
	build func(l *Loan, st *State) ([]Event, error), on schedule.Date) (*Payment, bool, error) {
	var (
		pay      *Payment
		replayed bool
		customer string
		event    = s.ids.New("obx") // the payment_received event's id
	)
	_, err := s.mutate(ctx, loanID, func(tx *sql.Tx, l *Loan, st *State) (*change, error) {
		p, ok, err := replay(ctx, tx, loanID, req, kind)
		if err != nil || ok {
			pay, replayed = p, ok
			return nil, err
		}
		if err := s.checkDate("paid_on", on, dateOr(l.LastEventOn, st.Disbursed)); err != nil {
			return nil, err
		}
		evs, err := build(l, st)
		if err != nil {
			return nil, err
		}
		now := s.now().UTC()
		pay = &Payment{ID: s.ids.At("pay", now), LoanID: loanID, Key: req.Key, Kind: kind, Amount: req.Amount, PaidOn: on.String(),
			Status: "applied", DecisionID: decisionID, CreatedAt: now}
		if _, err := tx.ExecContext(ctx, `INSERT INTO loan_payments (`+paymentCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)`,
			pay.ID, loanID, req.Key, req.hash(kind), kind, req.Amount, pay.PaidOn, pay.Status, decisionID, store.Instant(now)); err != nil {
			return nil, store.Translate(err)
		}
		for i := range evs {
			evs[i].PaymentID = pay.ID
		}
		customer = l.CustomerID
		return &change{events: evs, kind: kind, ref: pay.ID, at: now, outbox: []message{{id: event, topic: "loan.payment_received",
			payload: map[string]any{"payment_id": pay.ID, "amount": req.Amount.String(), "kind": kind, "paid_on": pay.PaidOn}}}}, nil
	})
	if nirnay.IsKind(err, nirnay.KindConflict) {
		// a concurrent duplicate won the unique key: answer as a replay
		if p, ok, rerr := replay(ctx, s.db.Reader(), loanID, req, kind); ok || rerr != nil {
			return p, ok, rerr
		}
	}
	if err != nil {
		return nil, false, err
	}
	if !replayed && s.countPayment != nil {
		s.countPayment(ctx, event, customer, pay.CreatedAt)
	}
	return pay, replayed, nil
}

func dateOr(s string, def schedule.Date) schedule.Date {
	if d, err := schedule.ParseDate(s); err == nil {
		return d
	}
	return def
}

// Bounce reverses an applied payment (a returned cheque, a failed mandate):
// the loan's state becomes exactly what it would be without the payment, and
// the product's penal charge (plus GST) is added — a charge, never interest.
// on "" means today. Errors: KindNotFound, KindConflict for a payment
// already bounced.
func (s *Service) Bounce(ctx context.Context, loanID, paymentID, onStr string) (*Loan, error) {
	on, err := ParseDate("on", onStr, s.Today())
	if err != nil {
		return nil, err
	}
	return s.mutate(ctx, loanID, func(tx *sql.Tx, l *Loan, st *State) (*change, error) {
		p, _, err := findPayment(ctx, tx, `id = $1 AND loan_id = $2`, paymentID, loanID)
		if isNoRows(err) {
			return nil, notFound("payment", paymentID)
		}
		if err != nil {
			return nil, err
		}
		if p.Status != "applied" {
			return nil, conflict("payment %s is already %s", p.ID, p.Status)
		}
		if err := s.checkDate("on", on, dateOr(l.LastEventOn, st.Disbursed)); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE loan_payments SET status = 'bounced', bounced_at = $2 WHERE id = $1`, p.ID, store.Instant(s.now())); err != nil {
			return nil, err
		}
		return &change{events: []Event{{Type: EvBounce, On: on, PaymentID: p.ID}}, kind: "bounce", ref: p.ID,
			outbox: []message{{topic: "loan.payment_bounced", payload: map[string]any{"payment_id": p.ID, "amount": p.Amount.String()}}}}, nil
	})
}

// Payments lists a loan's payments, oldest first.
func (s *Service) Payments(ctx context.Context, loanID string) ([]Payment, error) {
	return queryAll(ctx, s.db.Reader(), func(r scanner) (Payment, error) {
		p, _, err := scanPayment(r)
		return p, err
	}, `SELECT `+paymentCols+` FROM loan_payments WHERE loan_id = $1 ORDER BY created_at, id`, loanID)
}
