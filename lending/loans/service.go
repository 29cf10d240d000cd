// Package loans is Nirnay's loan book: applications driven by decisions,
// offers, acceptance with recorded consent and a Key Fact Statement,
// disbursal, payments, bounces, foreclosure and cooling-off exits, credit
// lines and their draws, the double-entry ledger, delinquency and the
// day-end.
//
// A disbursed loan's money state is a pure fold of its events (Fold): a
// payment, a bounce, a day-end… Every operation locks the loan row, folds the
// events before and after the new one, and writes in one transaction the
// event, a balanced journal moving the ledger from the one state to the
// other, the loan's snapshot and its outbox events. The ledger therefore
// reconciles with the outstanding by construction, and Reconcile checks
// that it still does.
//
// A Service is safe for concurrent use.
package loans

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/internal/india"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// Journey steps the lending core asks the decision engine about.
const (
	StepApplication   = "application"
	StepOfferAccept   = "offer_accept"
	StepDisbursal     = "disbursal"
	StepRepayment     = "repayment"
	StepLimitIncrease = "limit_increase"
)

// Decider is the decision engine as the lending core needs it. Decide is
// idempotent by requestID. Any outcome but "approve" stops the journey step.
type Decider interface {
	Decide(ctx context.Context, step, customerID, requestID string, input map[string]any) (Verdict, error)
}

// Verdict is a decision's answer. Offer (for approve at application and
// limit_increase) may hold limit (rupees), annual_rate_bps and tenure_months.
type Verdict struct {
	DecisionID string
	DecidedAt  time.Time // the decision's time (evaluated_at)
	Outcome    nirnay.Outcome
	Reasons    []string
	Offer      nirnay.Offer
}

// StoppedError is returned when a decision stops a step (decline, review,
// step_up). It is KindUnprocessable; the API lists the reasons. A step
// referred for review waits on its case (CaseID): its subject is referred
// until the verdict (Resume).
type StoppedError struct {
	Step, DecisionID string
	Outcome          nirnay.Outcome
	Reasons          []string
	SubjectID        string // the application recorded as declined or referred, the loan or line referred, if any
	CaseID           string // for a review: the case the step waits on
}

func (e *StoppedError) Error() string {
	return fmt.Sprintf("%s stopped by decision %s: %s %v", e.Step, e.DecisionID, e.Outcome, e.Reasons)
}

func (e *StoppedError) Unwrap() error {
	return nirnay.Errorf(nirnay.KindUnprocessable, "the %s decision is %s", e.Step, e.Outcome)
}

// Options configures a Service.
type Options struct {
	// Now is the clock (default time.Now). Dates are taken in India
	// (Asia/Kolkata, UTC+05:30).
	Now func() time.Time
	// AfterCommit, when set, is called after every committed transaction
	// (each may have written outbox events), so the outbox relay publishes
	// them at once instead of waiting for its safety timer.
	AfterCommit func()
	// CountPayment, when set, is called once a payment (or a foreclosure
	// or cooling-off amount) is committed, with the id and time of the
	// payment_received outbox event that announces it, so the velocity
	// aggregates count it before the request answers (the consumer of that
	// event later counts nothing more: same id, same time). It must not
	// fail the payment; it may take as long as one feature-store write.
	CountPayment func(ctx context.Context, eventID, customerID string, at time.Time)
	// Referrals makes a step whose decision is review wait on its manual
	// review case: the application (loan or line), disbursal or draw is
	// referred, a limit increase pending, until the case's verdict
	// (Resume). Set it where the case_decided events reach Resume (the
	// service does); without it a review stops the step as a decline does.
	Referrals bool
	// Accounts, when set, is where the borrower's bank accounts are
	// verified (KYC evidence of a penny drop): accepting a loan or line,
	// disbursing and drawing require current verified evidence for the
	// account, and the client's account_verified is not needed. Without
	// it the client's account_verified is trusted.
	Accounts AccountVerifier
}

// AccountVerifier says whether a customer's bank account (its
// account_hash) has current verified evidence; *kyc.Service satisfies it.
type AccountVerifier interface {
	VerifiedAccount(ctx context.Context, customerID, accountHash string) (bool, error)
}

// Service runs the loan book on a store.DB.
type Service struct {
	db           *store.DB
	products     *product.Catalog
	decider      Decider
	now          func() time.Time
	ids          *ids.Generator // on now
	after        func()
	countPayment func(ctx context.Context, eventID, customerID string, at time.Time)
	referrals    bool
	accounts     AccountVerifier
}

// verifiedAccount refuses an account without current verified evidence
// (KindUnprocessable) when Options.Accounts is set.
func (s *Service) verifiedAccount(ctx context.Context, customerID, accountHash string) error {
	if s.accounts == nil {
		return nil
	}
	ok, err := s.accounts.VerifiedAccount(ctx, customerID, accountHash)
	if err != nil {
		return err
	}
	if !ok {
		return unprocessable("the account is not verified as the borrower's own: verify it with the bank-account KYC check (POST /v1/customers/%s/kyc/bank-account) and use the account_hash it answers; disbursal goes only to a verified account of the borrower", customerID)
	}
	return nil
}

// inTx runs fn in one transaction and, once it has committed, tells
// Options.AfterCommit.
func (s *Service) inTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if err := s.db.InTx(ctx, fn); err != nil {
		return err
	}
	if s.after != nil {
		s.after()
	}
	return nil
}

// New returns a Service. products is the catalog offered (product.Default()
// in the service).
func New(db *store.DB, products *product.Catalog, d Decider, opts Options) *Service {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Service{db: db, products: products, decider: d, now: opts.Now, ids: ids.New(opts.Now), after: opts.AfterCommit, countPayment: opts.CountPayment,
		referrals: opts.Referrals, accounts: opts.Accounts}
}

var ist = india.Zone

// Today is the service's current date in India.
func (s *Service) Today() schedule.Date { return schedule.DateOf(s.now().In(ist)) }

func invalid(field, format string, a ...any) error { return nirnay.FieldError(field, format, a...) }

func unprocessable(format string, a ...any) error {
	return nirnay.Errorf(nirnay.KindUnprocessable, format, a...)
}

func conflict(format string, a ...any) error { return nirnay.Errorf(nirnay.KindConflict, format, a...) }

func notFound(what, id string) error {
	return nirnay.Errorf(nirnay.KindNotFound, "%s %s not found", what, id)
}

// decide asks the engine and turns anything but approve into a StoppedError.
func (s *Service) decide(ctx context.Context, step, customerID, requestID string, input map[string]any) (Verdict, error) {
	if s.decider == nil {
		return Verdict{}, nirnay.Errorf(nirnay.KindUnavailable, "the decision engine is not configured")
	}
	v, err := s.decider.Decide(ctx, step, customerID, requestID, input)
	if err != nil {
		return v, fmt.Errorf("%s decision: %w", step, err)
	}
	if v.Outcome != nirnay.Approve {
		return v, &StoppedError{Step: step, Outcome: v.Outcome, DecisionID: v.DecisionID, Reasons: v.Reasons}
	}
	return v, nil
}

// checkDate validates a business date: not after today, not before floor.
func (s *Service) checkDate(field string, d, floor schedule.Date) error {
	if today := s.Today(); d > today {
		return unprocessable("%s %s is in the future (today is %s)", field, d, today)
	}
	if d < floor {
		return unprocessable("%s %s is before the loan's last recorded event on %s", field, d, floor)
	}
	return nil
}

// ParseDate parses an optional YYYY-MM-DD; "" gives def.
func ParseDate(field, v string, def schedule.Date) (schedule.Date, error) {
	if v == "" {
		return def, nil
	}
	d, err := schedule.ParseDate(v)
	if err != nil {
		return 0, invalid(field, "%q is not a date YYYY-MM-DD", v)
	}
	return d, nil
}

// rupees gives a whole-rupee figure for a decision's input (the policies
// compare amounts in rupees).
func rupees(p money.Paise) int64 { return int64(p) / 100 }

func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
