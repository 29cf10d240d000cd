package loans

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// CreditLine is a revolving limit; each draw is a loan of kind "draw" with
// its own schedule. Available = Limit − the principal outstanding of its
// active draws (repaid principal frees the limit again).
type CreditLine struct {
	ID            string          `json:"id"`
	CustomerID    string          `json:"customer_id"`
	ProductID     string          `json:"product_id"`
	Status        string          `json:"status"` // declined referred offered active cancelled
	RequestID     string          `json:"request_id,omitempty"`
	Limit         money.Paise     `json:"limit"`
	AnnualRateBPS int64           `json:"annual_rate_bps"`
	Reasons       []string        `json:"reasons"`
	Offer         nirnay.Offer    `json:"offer"`
	Consent       json.RawMessage `json:"consent,omitempty"`
	AccountHash   string          `json:"account_hash,omitempty"`
	Available     money.Paise     `json:"available"`
	Draws         []*Loan         `json:"draws,omitempty"`
	// LimitIncrease is the line's latest limit increase referred for
	// manual review (GetLine); nil when there was none.
	LimitIncrease *Referral `json:"limit_increase,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
}

const lineCols = `id, customer_id, product_id, status, request_id, credit_limit, annual_rate_bps, reasons, offer, consent, account_hash, created_at, updated_at`

// lockLine reads a credit line; with forUpdate (inside a transaction) it
// locks the line's row as lockLoan does a loan's. A draw, a limit increase
// and an acceptance lock the line; a money change on a draw locks the draw's
// loan first and then its line, never the other way (docs/isolation.md).
func (s *Service) lockLine(ctx context.Context, q queryer, id string, forUpdate bool) (*CreditLine, error) {
	sqlq := `SELECT ` + lineCols + ` FROM credit_lines WHERE id = $1`
	if forUpdate {
		sqlq += store.ForUpdate(s.db.Dialect)
	}
	var (
		c                       CreditLine
		reasons, offer, consent string
	)
	err := q.QueryRowContext(ctx, sqlq, id).Scan(&c.ID, &c.CustomerID, &c.ProductID, &c.Status, &c.RequestID, &c.Limit, &c.AnnualRateBPS,
		&reasons, &offer, &consent, &c.AccountHash, store.ScanInstant(&c.CreatedAt), store.ScanInstant(&c.UpdatedAt))
	if isNoRows(err) {
		return nil, notFound("credit line", id)
	}
	if err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(reasons), &c.Reasons)
	_ = json.Unmarshal([]byte(offer), &c.Offer)
	if consent != "" {
		c.Consent = json.RawMessage(consent)
	}
	return &c, nil
}

func (s *Service) saveLine(ctx context.Context, q queryer, c *CreditLine) error {
	_, err := q.ExecContext(ctx, `UPDATE credit_lines SET status=$2, credit_limit=$3, consent=$4, account_hash=$5, updated_at=$6 WHERE id=$1`,
		c.ID, c.Status, c.Limit, string(c.Consent), c.AccountHash, store.Instant(c.UpdatedAt))
	return store.Translate(err)
}

// drawn is the principal outstanding of a line's active draws.
func drawn(ctx context.Context, q queryer, lineID string) (money.Paise, error) {
	var v sql.NullInt64
	err := q.QueryRowContext(ctx, `SELECT SUM(principal_outstanding) FROM loans WHERE credit_line_id = $1 AND status = $2`, lineID, StatusActive).Scan(&v)
	return money.Paise(v.Int64), err
}

func (s *Service) applyLine(ctx context.Context, req ApplicationRequest, p *product.Product, v Verdict, stop *StoppedError, limit money.Paise, bps int64, today schedule.Date) (*Application, error) {
	now := s.now().UTC()
	c := &CreditLine{ID: s.ids.At("cl", now), CustomerID: req.CustomerID, ProductID: p.ID, Status: StatusOffered, RequestID: req.RequestID, Limit: limit,
		AnnualRateBPS: bps, Reasons: v.Reasons, Offer: v.Offer, CreatedAt: now, UpdatedAt: now}
	if c.Reasons == nil {
		c.Reasons = []string{}
	}
	if c.Offer == nil {
		c.Offer = nirnay.Offer{}
	}
	if stop != nil {
		c.Status, c.Limit = StatusDeclined, req.Amount
		if stop.CaseID != "" {
			c.Status = StatusReferred
		}
	} else if err := p.CheckLimit(limit); err != nil {
		return nil, unprocessable("the offered limit: %s", err.Error())
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO credit_lines (`+lineCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13)`,
			c.ID, c.CustomerID, c.ProductID, c.Status, c.RequestID, c.Limit, c.AnnualRateBPS, jsonText(c.Reasons), jsonText(c.Offer), "", "",
			store.Instant(now), store.Instant(now))
		if err != nil {
			return store.Translate(err)
		}
		body := map[string]any{"decision_id": v.DecisionID, "outcome": v.Outcome, "reasons": c.Reasons, "limit": c.Limit.String(), "product_id": p.ID}
		if c.Status == StatusReferred {
			body["case_id"] = stop.CaseID
			if err := s.insertReferral(ctx, tx, ReferralApplication, c.ID, c.CustomerID, v, map[string]any{"amount": int64(req.Amount)}, now); err != nil {
				return err
			}
		}
		if err := s.appendEvent(ctx, tx, c.ID, c.CustomerID, 1, "application", today, body, now); err != nil {
			return err
		}
		body["credit_line_id"], body["customer_id"], body["status"] = c.ID, c.CustomerID, c.Status
		countedFacts(body, v, req.Input)
		return s.emit(ctx, tx, "credit_line.application_created", c.ID, body, now)
	})
	c.Available = c.Limit
	return s.finishApplication(ctx, req, err, stop, c.ID, &Application{Line: c})
}

// lineEvent appends a credit line's lifecycle event and its outbox message.
func (s *Service) lineEvent(ctx context.Context, tx *sql.Tx, c *CreditLine, typ, topic string, body map[string]any, at time.Time) error {
	seq, err := nextSeq(ctx, tx, c.ID)
	if err != nil {
		return err
	}
	if err := s.appendEvent(ctx, tx, c.ID, c.CustomerID, seq, typ, s.Today(), body, at); err != nil {
		return err
	}
	p := map[string]any{"credit_line_id": c.ID, "customer_id": c.CustomerID, "limit": c.Limit.String()}
	for k, v := range body {
		p[k] = v
	}
	return s.emit(ctx, tx, topic, c.ID, p, at)
}

// AcceptLine activates an offered credit line with the borrower's consent
// (step offer_accept). The line has no KFS of its own: each draw's KFS is
// shown (DrawKFS) and acknowledged before the draw.
func (s *Service) AcceptLine(ctx context.Context, lineID string, c Consent) (*CreditLine, error) {
	line, err := s.lockLine(ctx, s.db.Reader(), lineID, false)
	if err != nil {
		return nil, err
	}
	if line.Status != StatusOffered {
		if acceptedBy(line.Consent, c.RequestID) {
			return s.GetLine(ctx, lineID) // a retry of the attempt that accepted it
		}
		return nil, conflict("credit line %s is %s; only an offered line can be accepted", line.ID, line.Status)
	}
	if err := c.check("", s.accounts != nil); err != nil {
		return nil, err
	}
	if err := s.verifiedAccount(ctx, line.CustomerID, c.AccountHash); err != nil {
		return nil, err
	}
	// A line has no KFS of its own: each draw's KFS is acknowledged before
	// that draw, so accepting the line acknowledges only its key facts.
	input := offerFacts(line.Limit, line.Offer, line.CreatedAt)
	input["credit_line_id"], input["kfs_acknowledged"] = line.ID, c.Agreed
	input["loan_agreement_esigned"], input["consent"] = c.Agreed, c.Agreed
	v, err := s.decide(ctx, StepOfferAccept, line.CustomerID, s.attemptID(StepOfferAccept, line.ID, c.RequestID), input)
	if err != nil {
		return nil, err
	}
	line, err = s.inLineTx(ctx, lineID, func(tx *sql.Tx, line *CreditLine) error {
		if line.Status != StatusOffered {
			return conflict("credit line %s is %s; only an offered line can be accepted", line.ID, line.Status)
		}
		now := s.now().UTC()
		rec := map[string]any{"agreed": true, "account_hash": c.AccountHash, "account_verified": true, "ip": c.IP, "at": now, "decision_id": v.DecisionID}
		if c.RequestID != "" {
			rec["request_id"] = c.RequestID
		}
		line.Status, line.Consent, line.AccountHash, line.UpdatedAt = StatusActive, json.RawMessage(jsonText(rec)), c.AccountHash, now
		if err := s.saveLine(ctx, tx, line); err != nil {
			return err
		}
		return s.lineEvent(ctx, tx, line, "accepted", "credit_line.activated", map[string]any{"decision_id": v.DecisionID}, now)
	})
	if err != nil {
		return nil, err
	}
	line.Available = line.Limit
	return line, nil
}

// inLineTx runs fn in one transaction with the credit line lineID locked
// for update (lockLine) and returns the line as fn left it; fn's error
// rolls the transaction back and is returned.
func (s *Service) inLineTx(ctx context.Context, lineID string, fn func(tx *sql.Tx, line *CreditLine) error) (*CreditLine, error) {
	var line *CreditLine
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var err error
		if line, err = s.lockLine(ctx, tx, lineID, true); err != nil {
			return err
		}
		return fn(tx, line)
	})
	return line, err
}

// GetLine returns a credit line with its draws and available limit.
func (s *Service) GetLine(ctx context.Context, lineID string) (*CreditLine, error) {
	line, err := s.lockLine(ctx, s.db.Reader(), lineID, false)
	if err != nil {
		return nil, err
	}
	used, err := drawn(ctx, s.db.Reader(), lineID)
	if err != nil {
		return nil, err
	}
	line.Available = max(line.Limit-used, 0)
	if s.referrals {
		if line.LimitIncrease, err = s.LatestReferral(ctx, lineID, ReferralLimitIncrease); err != nil {
			return nil, err
		}
	}
	if line.Draws, err = queryAll(ctx, s.db.Reader(), scanLoan, `SELECT `+loanCols+` FROM loans WHERE credit_line_id = $1 ORDER BY created_at, id`, lineID); err != nil {
		return nil, err
	}
	return line, nil
}

// DrawRequest draws on a credit line.
type DrawRequest struct {
	Amount       money.Paise
	TenureMonths int
	AccountHash  string
	// KFSDigest must be the digest of the draw's KFS (DrawKFS) the borrower
	// was shown, with Agreed.
	KFSDigest string
	Agreed    bool
	// RequestID is the client's idempotency key of this attempt (at most
	// 128 characters): retries with the same key replay its decision.
	// Without one, every call is a new attempt.
	RequestID string
}

// DrawKFS is the Key Fact Statement of a prospective draw from today, and
// its digest a draw must quote.
func (s *Service) DrawKFS(ctx context.Context, lineID string, amount money.Paise, tenure int) (json.RawMessage, string, error) {
	line, err := s.lockLine(ctx, s.db.Reader(), lineID, false)
	if err != nil {
		return nil, "", err
	}
	p, ok := s.products.Get(line.ProductID)
	if !ok {
		return nil, "", unprocessable("product %s is no longer offered", line.ProductID)
	}
	if amount <= 0 {
		return nil, "", invalid("amount", "must be greater than zero")
	}
	k, err := s.loanKFS(p, amount, tenure, line.AnnualRateBPS, s.Today())
	if err != nil {
		return nil, "", err
	}
	return k, store.SHA256Hex(k), nil
}

// Draw disburses a draw on an active line to the borrower's verified
// account (step disbursal) as a new loan of kind "draw", provided the
// amount is within the product's draw range and the available limit —
// checked under a lock on the line, so concurrent draws never exceed it.
// A draw referred for review is recorded as a referred draw loan waiting
// on its case (Resume disburses it if the limit is still there).
func (s *Service) Draw(ctx context.Context, lineID string, req DrawRequest) (*Loan, error) {
	if req.Amount <= 0 {
		return nil, invalid("amount", "must be greater than zero")
	}
	if req.TenureMonths <= 0 {
		return nil, invalid("tenure_months", "must be a positive number of months")
	}
	if err := maxLen("request_id", req.RequestID, maxAttemptKey); err != nil {
		return nil, err
	}
	kfs, dig, err := s.DrawKFS(ctx, lineID, req.Amount, req.TenureMonths)
	if err != nil {
		return nil, err
	}
	line, err := s.lockLine(ctx, s.db.Reader(), lineID, false)
	if err != nil {
		return nil, err
	}
	attempt := s.attemptID(StepDisbursal, lineID, req.RequestID)
	if prev, err := s.drawOf(ctx, line.CustomerID, req.RequestID, attempt); prev != nil || err != nil {
		if prev != nil && prev.Status == StatusReferred {
			if err := s.waiting(ctx, StepDisbursal, prev.ID, ReferralDraw); err != nil {
				return nil, err // a retry of a draw referred for review: still waiting on its case
			}
		}
		return prev, err // a retry of a draw made: answered with it, never paid out again
	}
	switch {
	case line.Status != StatusActive:
		return nil, conflict("credit line %s is %s", line.ID, line.Status)
	case !req.Agreed || req.KFSDigest != dig:
		return nil, unprocessable("the borrower must acknowledge this draw's Key Fact Statement (kfs_digest %s) with agreed: true", dig)
	case req.AccountHash != line.AccountHash:
		return nil, unprocessable("a draw goes only to the borrower's own verified account recorded at acceptance")
	}
	if err := s.verifiedAccount(ctx, line.CustomerID, req.AccountHash); err != nil {
		return nil, err
	}
	v, err := s.decide(ctx, StepDisbursal, line.CustomerID, attempt,
		map[string]any{"amount": rupees(req.Amount), "credit_line_id": lineID, "account_hash": req.AccountHash, "account_verified": true,
			"tenure_months": int64(req.TenureMonths), "kfs_digest": dig})
	if s.isReferral(err) {
		return nil, s.referDraw(ctx, line, req, attempt, kfs, dig, v)
	}
	if err != nil {
		return nil, err
	}
	p, _ := s.products.Get(line.ProductID)
	on := s.Today()
	var out *Loan
	_, err = s.inLineTx(ctx, lineID, func(tx *sql.Tx, line *CreditLine) error {
		if line.Status != StatusActive {
			return conflict("credit line %s is %s", line.ID, line.Status)
		}
		used, err := drawn(ctx, tx, lineID)
		if err != nil {
			return err
		}
		if avail := line.Limit - used; req.Amount > avail {
			return unprocessable("amount %s is more than the available limit %s", req.Amount, avail)
		}
		d, err := disbursal(p, req.Amount, req.TenureMonths, line.AnnualRateBPS, on)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		l := &Loan{ID: s.ids.At("ln", now), CustomerID: line.CustomerID, ProductID: p.ID, Kind: "draw", CreditLineID: line.ID,
			Status: StatusAccepted, Amount: req.Amount, TenureMonths: req.TenureMonths, AnnualRateBPS: line.AnnualRateBPS,
			Reasons: []string{}, Offer: map[string]any{}, KFS: kfs, KFSDigest: dig, AccountHash: req.AccountHash,
			Consent:    json.RawMessage(jsonText(map[string]any{"kfs_digest": dig, "agreed": true, "at": now})),
			AssetClass: ClassStandard, DisbursedOn: on.String(), CreatedAt: now, UpdatedAt: now}
		if req.RequestID != "" {
			l.RequestID = attempt // unique per customer: a concurrent retry conflicts here
		}
		if err := insertLoan(ctx, tx, l); err != nil {
			return err
		}
		after := Fold([]Event{{Type: EvDisbursed, On: on, Disbursal: d}})
		net := d.Principal - d.FeeBase - d.FeeGST
		ch := &change{events: []Event{{Type: EvDisbursed, On: on, Disbursal: d}}, kind: "disbursal", ref: v.DecisionID,
			outbox: []message{{topic: "loan.disbursed", payload: map[string]any{"amount": req.Amount.String(), "net_disbursed": net.String(),
				"credit_line_id": line.ID, "decision_id": v.DecisionID, "disbursed_on": on.String()}}}}
		if err := s.record(ctx, tx, l, &State{}, &after, ch, 1, now); err != nil {
			return err
		}
		out = l
		return nil
	})
	if nirnay.IsKind(err, nirnay.KindConflict) {
		if prev, perr := s.drawOf(ctx, line.CustomerID, req.RequestID, attempt); prev != nil || perr != nil {
			return prev, perr // a concurrent retry of this attempt drew first
		}
	}
	return out, err
}

// drawOf returns the draw made by an earlier call with this request id
// (attempt is its attempt id, kept as the draw's request_id), or nil when
// there is none or the call has no request id.
func (s *Service) drawOf(ctx context.Context, customer, requestID, attempt string) (*Loan, error) {
	if requestID == "" {
		return nil, nil
	}
	var id string
	err := s.db.Reader().QueryRowContext(ctx, `SELECT id FROM loans WHERE customer_id = $1 AND request_id = $2`, customer, attempt).Scan(&id)
	if isNoRows(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// LimitIncrease raises an active line's limit, only with the borrower's
// explicit consent recorded, after the engine approves (step
// limit_increase): new limit = min(requested, offer limit, product max).
// One referred for review waits on its case (Resume raises or declines
// it; the line's LimitIncrease shows it), and further requests meanwhile
// are answered with that referral.
// requestID is the client's idempotency key of the attempt (see
// Consent.RequestID); "" makes every call a new attempt.
func (s *Service) LimitIncrease(ctx context.Context, lineID string, requested money.Paise, consent bool, requestID string) (*CreditLine, error) {
	if err := maxLen("request_id", requestID, maxAttemptKey); err != nil {
		return nil, err
	}
	if requested <= 0 {
		return nil, invalid("limit", "must be greater than zero")
	}
	if !consent {
		return nil, unprocessable("a limit increase needs the borrower's explicit consent (consent: true)")
	}
	line, err := s.lockLine(ctx, s.db.Reader(), lineID, false)
	if err != nil {
		return nil, err
	}
	if line.Status != StatusActive {
		return nil, conflict("credit line %s is %s", line.ID, line.Status)
	}
	if err := s.waiting(ctx, StepLimitIncrease, line.ID, ReferralLimitIncrease); err != nil {
		return nil, err
	}
	if requested <= line.Limit {
		return nil, unprocessable("limit %s is not above the current limit %s", requested, line.Limit)
	}
	p, ok := s.products.Get(line.ProductID)
	if !ok {
		return nil, unprocessable("product %s is no longer offered", line.ProductID)
	}
	if err := p.CheckLimit(requested); err != nil {
		return nil, unprocessable("%s", err.Error())
	}
	input, err := s.lineBehaviour(ctx, line, s.Today())
	if err != nil {
		return nil, err
	}
	input["amount"], input["current_limit"], input["current_rate_bps"] = rupees(requested), rupees(line.Limit), line.AnnualRateBPS
	input["credit_line_id"], input["consent"], input["limit_increase_consent"] = line.ID, true, true
	v, err := s.decide(ctx, StepLimitIncrease, line.CustomerID, s.attemptID(StepLimitIncrease, line.ID, requestID), input)
	if s.isReferral(err) {
		return nil, s.referLimitIncrease(ctx, line.ID, requested, v)
	}
	if err != nil {
		return nil, err
	}
	newLimit := requested
	if lim, ok := v.Offer.Int("limit"); ok && money.Paise(lim*100) < newLimit {
		newLimit = money.Paise(lim * 100)
	}
	if newLimit <= line.Limit {
		return nil, &StoppedError{Step: StepLimitIncrease, Outcome: nirnay.Approve, DecisionID: v.DecisionID, Reasons: []string{"OFFER_NOT_ABOVE_CURRENT_LIMIT"}}
	}
	_, err = s.inLineTx(ctx, lineID, func(tx *sql.Tx, line *CreditLine) error {
		// Checked again under the lock: a concurrent increase may have
		// raised the limit (or the line ended) since the first read, and
		// an increase never lowers a limit.
		if line.Status != StatusActive {
			return conflict("credit line %s is %s", line.ID, line.Status)
		}
		if newLimit <= line.Limit {
			return unprocessable("limit %s is not above the current limit %s", newLimit, line.Limit)
		}
		now := s.now().UTC()
		from := line.Limit
		line.Limit, line.UpdatedAt = newLimit, now
		if err := s.saveLine(ctx, tx, line); err != nil {
			return err
		}
		return s.lineEvent(ctx, tx, line, "limit_increased", "credit_line.limit_increased", map[string]any{"from": from.String(),
			"to": newLimit.String(), "decision_id": v.DecisionID, "consent": map[string]any{"agreed": true, "at": now}}, now)
	})
	if err != nil {
		return nil, err
	}
	return s.GetLine(ctx, lineID)
}
