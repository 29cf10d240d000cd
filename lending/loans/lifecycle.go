package loans

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"math/big"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// Pre-disbursal statuses.
const (
	StatusDeclined = "declined"
	StatusOffered  = "offered"
	StatusAccepted = "accepted"
)

// ApplicationRequest asks for a loan or a credit line.
type ApplicationRequest struct {
	CustomerID   string
	ProductID    string
	Amount       money.Paise // the loan amount, or the credit limit asked for
	TenureMonths int         // term loans only
	RequestID    string      // idempotency key of the application decision
	Input        map[string]any
}

// Application is what Apply created: a loan offer or a credit-line offer.
type Application struct {
	Loan *Loan       `json:"loan,omitempty"`
	Line *CreditLine `json:"credit_line,omitempty"`
}

func maxLen(field, v string, n int) error {
	if len(v) > n {
		return invalid(field, "is longer than %d characters", n)
	}
	return nil
}

// rateBPS converts a product's rate to basis points; it must be exact.
func rateBPS(r schedule.Rate) (int64, error) {
	x := new(big.Rat).Mul(r.Rat(), big.NewRat(10000, 1))
	if !x.IsInt() {
		return 0, unprocessable("the product's rate %s is not a whole number of basis points", r)
	}
	return x.Num().Int64(), nil
}

// Apply runs the application step: checks the request against the product,
// asks the engine (step application) and records the offer it makes, bounded
// by the product: amount = min(asked, offer limit), tenure = min(asked, offer
// tenure), rate = the offer's annual_rate_bps or the product's. A term loan
// offer carries its Key Fact Statement and the digest the borrower's consent
// must quote. A decision other than approve returns a *StoppedError: a
// decline records a declined application; a review records a referred one
// that waits on its case (Resume; the error names the case), and a retry
// of the request answers whatever it has become. Bad input writes nothing:
// KindInvalid for a malformed request, KindUnprocessable for terms outside
// the product.
func (s *Service) Apply(ctx context.Context, req ApplicationRequest) (*Application, error) {
	switch {
	case req.CustomerID == "":
		return nil, invalid("customer_id", "is required")
	case req.ProductID == "":
		return nil, invalid("product_id", "is required")
	case req.Amount <= 0:
		return nil, invalid("amount", "must be greater than zero")
	}
	if err := errors.Join(maxLen("customer_id", req.CustomerID, 128), maxLen("request_id", req.RequestID, 128)); err != nil {
		return nil, err
	}
	p, ok := s.products.Get(req.ProductID)
	if !ok {
		return nil, invalid("product_id", "unknown product %q; one of %v", req.ProductID, s.products.IDs())
	}
	today := s.Today()
	if p.Kind == product.TermLoan {
		if req.TenureMonths <= 0 {
			return nil, invalid("tenure_months", "must be a positive number of months")
		}
		if _, err := p.Terms(req.Amount, req.TenureMonths, today, 0); err != nil {
			return nil, unprocessable("%s", err.Error())
		}
	} else if err := p.CheckLimit(req.Amount); err != nil {
		return nil, unprocessable("%s", err.Error())
	}
	retry := req.RequestID != ""
	if !retry {
		req.RequestID = s.ids.New("app")
	}
	input := map[string]any{}
	for k, v := range req.Input {
		input[k] = v
	}
	input["amount"], input["product_id"] = rupees(req.Amount), p.ID
	switch {
	case req.TenureMonths > 0:
		input["tenure_months"] = int64(req.TenureMonths)
	case p.Kind == product.CreditLine:
		// A line is underwritten as if its whole limit were drawn over the
		// longest tenure a draw may have, so affordability rules (the EMI
		// estimate, FOIR) read the same features as for a term loan.
		input["tenure_months"] = int64(p.TenureMonths.Max)
	}
	// The decision comes first, also for a retry: the decision service
	// replays it for the same request and refuses (409) the same request
	// id with another body, which must not be answered with the first
	// application.
	v, derr := s.decide(ctx, StepApplication, req.CustomerID, req.RequestID, input)
	var stop *StoppedError
	if derr != nil && !errors.As(derr, &stop) {
		return nil, derr
	}
	if retry {
		if app, err := s.existingApplication(ctx, req.CustomerID, req.RequestID); app != nil || err != nil {
			return app, err
		}
	}
	bps, err := rateBPS(p.AnnualRate)
	if err != nil {
		return nil, err
	}
	amount, tenure := req.Amount, req.TenureMonths
	if stop == nil {
		if amount, tenure, bps, err = boundedTerms(v.Offer, amount, tenure, bps, p.Kind == product.TermLoan); err != nil {
			return nil, err
		}
	} else if s.isReferral(stop) {
		stop = referredStop(StepApplication, "", v) // the application waits on its case
	}
	now := s.now().UTC()
	if p.Kind == product.CreditLine {
		return s.applyLine(ctx, req, p, v, stop, amount, bps, today)
	}
	l := &Loan{ID: s.ids.At("ln", now), CustomerID: req.CustomerID, ProductID: p.ID, Kind: string(product.TermLoan), RequestID: req.RequestID, Status: StatusOffered,
		Amount: amount, TenureMonths: tenure, AnnualRateBPS: bps, Reasons: v.Reasons, Offer: v.Offer, AssetClass: ClassStandard,
		CreatedAt: now, UpdatedAt: now}
	if l.Offer == nil {
		l.Offer = nirnay.Offer{}
	}
	if l.Reasons == nil {
		l.Reasons = []string{}
	}
	if stop != nil {
		l.Status, l.Amount, l.TenureMonths = StatusDeclined, req.Amount, req.TenureMonths
		if stop.CaseID != "" {
			l.Status = StatusReferred
		}
	} else {
		kfs, err := s.loanKFS(p, amount, tenure, bps, today)
		if err != nil {
			return nil, err
		}
		l.KFS = kfs
		l.KFSDigest = store.SHA256Hex(kfs)
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if err := insertLoan(ctx, tx, l); err != nil {
			return err
		}
		body := map[string]any{"decision_id": v.DecisionID, "outcome": v.Outcome, "reasons": l.Reasons, "amount": l.Amount.String(),
			"requested": req.Amount.String(), "tenure_months": l.TenureMonths, "annual_rate_bps": bps, "product_id": p.ID}
		if l.Status == StatusReferred {
			body["case_id"] = stop.CaseID
			request := map[string]any{"amount": int64(req.Amount), "tenure_months": req.TenureMonths}
			if err := s.insertReferral(ctx, tx, ReferralApplication, l.ID, l.CustomerID, v, request, now); err != nil {
				return err
			}
		}
		if err := s.appendEvent(ctx, tx, l.ID, l.CustomerID, 1, "application", today, body, now); err != nil {
			return err
		}
		body["loan_id"], body["customer_id"], body["status"] = l.ID, l.CustomerID, l.Status
		countedFacts(body, v, input)
		return s.emit(ctx, tx, "loan.application_created", l.ID, body, now)
	})
	return s.finishApplication(ctx, req, err, stop, l.ID, &Application{Loan: l})
}

// countedFacts adds to an application_created event what its consumer
// needs to count the application as the decision service already did in
// the decision's request (features.DecisionEventID of the decision, at the
// decision's time, for the customer and the input's pan_hash), so the
// asynchronous path counts nothing more: decided_at (RFC 3339, ns) and
// pan_hash.
func countedFacts(body map[string]any, v Verdict, input map[string]any) {
	if v.DecisionID != "" && !v.DecidedAt.IsZero() {
		body["decided_at"] = v.DecidedAt.UTC().Format(time.RFC3339Nano)
	}
	if p, ok := input["pan_hash"].(string); ok && p != "" {
		body["pan_hash"] = p
	}
}

// finishApplication ends an application whose transaction returned err: a
// conflict means a concurrent retry with the same request id won, and is
// answered with what that one created; a decision that stopped it names
// the loan or line it recorded (subject); otherwise app.
func (s *Service) finishApplication(ctx context.Context, req ApplicationRequest, err error, stop *StoppedError, subject string, app *Application) (*Application, error) {
	if nirnay.IsKind(err, nirnay.KindConflict) {
		if prev, perr := s.existingApplication(ctx, req.CustomerID, req.RequestID); prev != nil || perr != nil {
			return prev, perr
		}
	}
	if err != nil {
		return nil, err
	}
	if stop != nil {
		stop.SubjectID = subject
		return nil, stop
	}
	return app, nil
}

// existingApplication answers a repeated application request id with what
// the first one created (nil when there is none); a declined one is its
// StoppedError again.
func (s *Service) existingApplication(ctx context.Context, customer, requestID string) (*Application, error) {
	l, err := scanLoan(s.db.Reader().QueryRowContext(ctx, `SELECT `+loanCols+` FROM loans WHERE customer_id = $1 AND request_id = $2`, customer, requestID))
	switch {
	case err == nil:
		if l.Status == StatusDeclined || l.Status == StatusReferred {
			return nil, s.stoppedAgain(ctx, l.ID, l.Status, l.Reasons)
		}
		return &Application{Loan: l}, nil
	case !isNoRows(err):
		return nil, err
	}
	var id string
	err = s.db.Reader().QueryRowContext(ctx, `SELECT id FROM credit_lines WHERE customer_id = $1 AND request_id = $2`, customer, requestID).Scan(&id)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	c, err := s.GetLine(ctx, id)
	if err != nil {
		return nil, err
	}
	if c.Status == StatusDeclined || c.Status == StatusReferred {
		return nil, s.stoppedAgain(ctx, c.ID, c.Status, c.Reasons)
	}
	return &Application{Line: c}, nil
}

// stoppedAgain is the StoppedError a repeated application request gets
// while its application is declined or referred: the decision's, with the
// case it waits on, or (declined by a reviewer) a decline with the
// reviewer's reasons.
func (s *Service) stoppedAgain(ctx context.Context, subject, status string, reasons []string) error {
	var body string
	_ = s.db.Reader().QueryRowContext(ctx, `SELECT body FROM lending_events WHERE subject_id = $1 AND seq = 1`, subject).Scan(&body)
	var b struct {
		DecisionID string         `json:"decision_id"`
		Outcome    nirnay.Outcome `json:"outcome"`
	}
	_ = json.Unmarshal([]byte(body), &b)
	stop := &StoppedError{Step: StepApplication, Outcome: b.Outcome, DecisionID: b.DecisionID, Reasons: reasons, SubjectID: subject}
	if b.Outcome == nirnay.Review {
		stop.CaseID = nirnay.CaseIDOf(b.DecisionID)
		if status == StatusDeclined {
			stop.Outcome = nirnay.Decline
		}
	}
	return stop
}

// loanKFS is the product's KFS at the loan's rate, from today.
func (s *Service) loanKFS(p *product.Product, amount money.Paise, tenure int, bps int64, start schedule.Date) (json.RawMessage, error) {
	rate, err := schedule.RateFromBPS(bps)
	if err != nil {
		return nil, unprocessable("%s", err.Error())
	}
	pp := *p
	pp.AnnualRate = rate
	k, err := pp.KFS(amount, tenure, start, 0)
	if err != nil {
		return nil, unprocessable("%s", err.Error())
	}
	return json.Marshal(k)
}

// Consent is the borrower's recorded acceptance of an offer.
type Consent struct {
	// KFSDigest must equal the digest of the Key Fact Statement the
	// borrower was shown (the offer's kfs_digest): proof it was shown
	// before signing.
	KFSDigest string `json:"kfs_digest"`
	Agreed    bool   `json:"agreed"`
	// AccountHash is the borrower's own bank account (a hash, never the
	// number), AccountVerified that the mobile flow verified it is theirs
	// (penny drop with name match). Disbursal goes only there.
	AccountHash     string `json:"account_hash"`
	AccountVerified bool   `json:"account_verified"`
	IP              string `json:"ip,omitempty"`
	// RequestID is the client's idempotency key of this acceptance
	// attempt (at most 128 characters): retries with the same key replay
	// its decision, and a retry after it succeeded answers the accepted
	// loan again. Without one, every call is a new attempt.
	RequestID string `json:"request_id,omitempty"`
}

// check checks the consent; evidenced says the account's verification is
// checked against KYC evidence (Options.Accounts) instead of the client's
// account_verified.
func (c Consent) check(kfsDigest string, evidenced bool) error {
	switch {
	case !c.Agreed:
		return unprocessable("the borrower's consent (agreed: true) is required")
	case kfsDigest != "" && c.KFSDigest != kfsDigest:
		return unprocessable("kfs_digest does not match the Key Fact Statement of this offer: show the KFS before signing")
	case c.AccountHash == "":
		return invalid("account_hash", "is required: the borrower's own bank account")
	case !c.AccountVerified && !evidenced:
		return unprocessable("the account is not verified as the borrower's own; disbursal goes only to a verified account of the borrower")
	}
	return errors.Join(maxLen("account_hash", c.AccountHash, 128), maxLen("request_id", c.RequestID, maxAttemptKey))
}

// acceptedBy reports whether a loan or line's recorded consent was given
// by the attempt with the client key key.
func acceptedBy(consent json.RawMessage, key string) bool {
	if key == "" || len(consent) == 0 {
		return false
	}
	var rec struct {
		RequestID string `json:"request_id"`
	}
	return json.Unmarshal(consent, &rec) == nil && rec.RequestID == key
}

// Accept records the borrower's acceptance of a loan offer with its consent,
// after the engine approves (step offer_accept). The decision's input
// carries what the lending core knows: amount (accepted), offer_limit,
// offer_generated_at, tenure_months, kfs_digest, kfs_acknowledged,
// loan_agreement_esigned and consent. Each attempt is its own decision
// (see Consent.RequestID), so an acceptance declined earlier can be made
// again once its cause is fixed. Errors: KindNotFound, KindConflict unless
// the loan is offered, KindUnprocessable for missing consent or a KFS
// digest that does not match, *StoppedError.
func (s *Service) Accept(ctx context.Context, loanID string, c Consent) (*Loan, error) {
	l, err := getLoan(ctx, s.db.Reader(), loanID)
	if err != nil {
		return nil, err
	}
	if l.Status != StatusOffered {
		if acceptedBy(l.Consent, c.RequestID) {
			return l, nil // a retry of the attempt that accepted it
		}
		return nil, conflict("loan %s is %s; only an offered loan can be accepted", l.ID, l.Status)
	}
	if err := c.check(l.KFSDigest, s.accounts != nil); err != nil {
		return nil, err
	}
	if err := s.verifiedAccount(ctx, l.CustomerID, c.AccountHash); err != nil {
		return nil, err
	}
	input := offerFacts(l.Amount, l.Offer, l.CreatedAt)
	input["loan_id"], input["tenure_months"], input["kfs_digest"] = l.ID, int64(l.TenureMonths), c.KFSDigest
	input["kfs_acknowledged"] = c.KFSDigest == l.KFSDigest
	input["loan_agreement_esigned"], input["consent"] = c.Agreed, c.Agreed
	v, err := s.decide(ctx, StepOfferAccept, l.CustomerID, s.attemptID(StepOfferAccept, l.ID, c.RequestID), input)
	if err != nil {
		return nil, err
	}
	today := s.Today()
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		l, err = s.lockLoan(ctx, tx, loanID)
		if err != nil {
			return err
		}
		if l.Status != StatusOffered {
			return conflict("loan %s is %s; only an offered loan can be accepted", l.ID, l.Status)
		}
		now := s.now().UTC()
		rec := map[string]any{"kfs_digest": c.KFSDigest, "agreed": true, "account_hash": c.AccountHash, "account_verified": true,
			"ip": c.IP, "at": now, "decision_id": v.DecisionID}
		if c.RequestID != "" {
			rec["request_id"] = c.RequestID
		}
		l.Status, l.Consent, l.AccountHash, l.UpdatedAt = StatusAccepted, json.RawMessage(jsonText(rec)), c.AccountHash, now
		if err := updateLoan(ctx, tx, l); err != nil {
			return err
		}
		seq, err := nextSeq(ctx, tx, l.ID)
		if err != nil {
			return err
		}
		if err := s.appendEvent(ctx, tx, l.ID, l.CustomerID, seq, evAccepted, today, rec, now); err != nil {
			return err
		}
		return s.emit(ctx, tx, "loan.offer_accepted", l.ID, map[string]any{"loan_id": l.ID, "customer_id": l.CustomerID, "decision_id": v.DecisionID}, now)
	})
	return l, err
}

// disbursal builds the folded disbursal of amount over tenure at bps on
// date on for product p.
func disbursal(p *product.Product, amount money.Paise, tenure int, bps int64, on schedule.Date) (*Disbursal, error) {
	rate, err := schedule.RateFromBPS(bps)
	if err != nil {
		return nil, unprocessable("%s", err.Error())
	}
	t, err := p.Terms(amount, tenure, on, 0)
	if err != nil {
		return nil, unprocessable("%s", err.Error())
	}
	t.Rate = rate
	sch, err := schedule.Generate(t)
	if err != nil {
		return nil, unprocessable("%s", err.Error())
	}
	d := &Disbursal{Principal: amount, AnnualRateBPS: bps, Method: t.Method, DayCount: t.DayCount,
		Order: p.AllocationOrder, Excess: p.Excess, EMI: sch.EMI, Rows: rowsOf(sch, 1)}
	for _, f := range p.UpfrontFees(amount) {
		if f.Name == "processing_fee" {
			d.FeeBase = f.Amount
		} else {
			d.FeeGST += f.Amount
		}
	}
	d.PenalBase = p.PenalCharge.On(sch.EMI)
	d.PenalGST = money.Paise(p.GSTPercent.OfPaise(int64(d.PenalBase)))
	return d, nil
}

// DisburseRequest is one attempt at paying a loan out.
type DisburseRequest struct {
	// AccountHash is the account to pay into; it must be the borrower's
	// own verified account recorded with the consent.
	AccountHash string
	// RequestID is the client's idempotency key of this attempt (at most
	// 128 characters): retries with the same key replay its decision.
	// Without one, every call is a new attempt.
	RequestID string
}

// Disburse is DisburseWith without a client key: each call is a new attempt.
func (s *Service) Disburse(ctx context.Context, loanID, accountHash string) (*Loan, error) {
	return s.DisburseWith(ctx, loanID, DisburseRequest{AccountHash: accountHash})
}

// DisburseWith pays an accepted loan out to the borrower's verified account
// after the engine approves (step disbursal; its input carries amount,
// loan_id, account_hash, naming the bank_account entity, and
// account_verified). The schedule runs from today. Each attempt is its own
// decision, so a disbursal declined earlier can be tried again once its
// cause is cleared; one referred for review leaves the loan referred,
// waiting on its case (Resume disburses or declines it), and attempts
// meanwhile are answered with that referral. Errors: KindInvalid,
// KindNotFound, KindConflict unless accepted, KindUnprocessable for
// another account, *StoppedError.
func (s *Service) DisburseWith(ctx context.Context, loanID string, req DisburseRequest) (*Loan, error) {
	if err := maxLen("request_id", req.RequestID, maxAttemptKey); err != nil {
		return nil, err
	}
	accountHash := req.AccountHash
	l, err := getLoan(ctx, s.db.Reader(), loanID)
	if err != nil {
		return nil, err
	}
	if l.Status == StatusReferred {
		if err := s.waiting(ctx, StepDisbursal, l.ID, ReferralDisbursal); err != nil {
			return nil, err
		}
	}
	if l.Status != StatusAccepted {
		return nil, conflict("loan %s is %s; only an accepted loan can be disbursed", l.ID, l.Status)
	}
	if accountHash == "" {
		return nil, invalid("account_hash", "is required")
	}
	if accountHash != l.AccountHash {
		return nil, unprocessable("disbursal goes only to the borrower's own verified account recorded at acceptance")
	}
	if err := s.verifiedAccount(ctx, l.CustomerID, accountHash); err != nil {
		return nil, err
	}
	v, err := s.decide(ctx, StepDisbursal, l.CustomerID, s.attemptID(StepDisbursal, l.ID, req.RequestID),
		map[string]any{"amount": rupees(l.Amount), "loan_id": l.ID, "account_hash": accountHash, "account_verified": true})
	if s.isReferral(err) {
		return nil, s.referDisbursal(ctx, l.ID, v)
	}
	if err != nil {
		return nil, err
	}
	p, ok := s.products.Get(l.ProductID)
	if !ok {
		return nil, unprocessable("product %s is no longer offered", l.ProductID)
	}
	on := s.Today()
	return s.mutate(ctx, loanID, func(tx *sql.Tx, l *Loan, before *State) (*change, error) {
		if l.Status != StatusAccepted {
			return nil, conflict("loan %s is %s; only an accepted loan can be disbursed", l.ID, l.Status)
		}
		d, err := disbursal(p, l.Amount, l.TenureMonths, l.AnnualRateBPS, on)
		if err != nil {
			return nil, err
		}
		l.DisbursedOn = on.String()
		net := d.Principal - d.FeeBase - d.FeeGST
		return &change{events: []Event{{Type: EvDisbursed, On: on, Disbursal: d}}, kind: "disbursal", ref: v.DecisionID,
			outbox: []message{{topic: "loan.disbursed", payload: map[string]any{"amount": l.Amount.String(), "net_disbursed": net.String(),
				"account_hash": accountHash, "decision_id": v.DecisionID, "disbursed_on": on.String()}}}}, nil
	})
}

// Get returns a loan with its folded state (nil before disbursal). The row
// and the events are read in one snapshot, so the snapshot figures and the
// state always agree, whatever commits meanwhile.
func (s *Service) Get(ctx context.Context, loanID string) (*Loan, error) {
	var l *Loan
	err := s.db.InSnapshot(ctx, func(tx *sql.Tx) error {
		var err error
		l, err = getFolded(ctx, tx, loanID)
		if err == nil && s.referrals {
			l.Referral, err = latestLoanReferral(ctx, tx, l.ID)
		}
		return err
	})
	return l, err
}

// getFolded reads a loan and folds its events through q.
func getFolded(ctx context.Context, q queryer, loanID string) (*Loan, error) {
	l, err := getLoan(ctx, q, loanID)
	if err != nil {
		return nil, err
	}
	evs, _, err := loadEvents(ctx, q, loanID)
	if err != nil {
		return nil, err
	}
	if st := Fold(evs); st.Status != "" {
		l.State = &st
	}
	return l, nil
}

// ListByCustomer returns a customer's loans and draws, newest first.
func (s *Service) ListByCustomer(ctx context.Context, customerID string) ([]*Loan, error) {
	return queryAll(ctx, s.db.Reader(), scanLoan, `SELECT `+loanCols+` FROM loans WHERE customer_id = $1 ORDER BY created_at DESC, id DESC LIMIT 500`, customerID)
}
