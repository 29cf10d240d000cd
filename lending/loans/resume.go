package loans

import (
	"context"
	"database/sql"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// Reason codes the lending core gives a verdict it cannot carry out.
const (
	ReasonOfferOutsideProduct = "OFFER_OUTSIDE_PRODUCT"
	ReasonLimitUnavailable    = "LIMIT_UNAVAILABLE"
	ReasonNotAboveLimit       = "OFFER_NOT_ABOVE_CURRENT_LIMIT"
)

// resumeApplication offers or declines a referred application (a loan or
// a line). It returns ReferralDeclined when an approval cannot be carried
// out (its terms fall outside the product), else "".
func (s *Service) resumeApplication(ctx context.Context, tx *sql.Tx, r *Referral, v CaseVerdict, now time.Time) (string, error) {
	l, err := s.lockLoan(ctx, tx, r.SubjectID)
	if nirnay.IsKind(err, nirnay.KindNotFound) {
		return s.resumeLine(ctx, tx, r, v, now)
	}
	if err != nil || l.Status != StatusReferred {
		return "", err
	}
	reasons := verdictReasons(v)
	if v.Outcome != nirnay.Approve {
		return "", s.declineLoan(ctx, tx, l, r, v, reasons, now)
	}
	p, ok := s.products.Get(l.ProductID)
	bps, err := int64(0), error(nil)
	if ok {
		bps, err = rateBPS(p.AnnualRate)
	}
	amount, tenure := money.Paise(requestInt(r, "amount")), int(requestInt(r, "tenure_months"))
	if err == nil && ok {
		amount, tenure, bps, err = boundedTerms(v.Offer, amount, tenure, bps, true)
	}
	var kfs []byte
	if err == nil && ok {
		kfs, err = s.loanKFS(p, amount, tenure, bps, s.Today())
	}
	if !ok || nirnay.IsKind(err, nirnay.KindUnprocessable) {
		return ReferralDeclined, s.declineLoan(ctx, tx, l, r, v, []string{ReasonOfferOutsideProduct}, now)
	}
	if err != nil {
		return "", err
	}
	l.Status, l.Amount, l.TenureMonths, l.AnnualRateBPS, l.Reasons, l.UpdatedAt = StatusOffered, amount, tenure, bps, v.Reasons, now
	l.Offer, l.KFS, l.KFSDigest = v.Offer, kfs, store.SHA256Hex(kfs)
	if l.Offer == nil {
		l.Offer = nirnay.Offer{}
	}
	if l.Reasons == nil {
		l.Reasons = []string{}
	}
	if err := updateTerms(ctx, tx, l); err != nil {
		return "", err
	}
	return "", s.loanResolved(ctx, tx, l, r, v, l.Reasons, now)
}

// resumeLine offers or declines a referred credit-line application.
func (s *Service) resumeLine(ctx context.Context, tx *sql.Tx, r *Referral, v CaseVerdict, now time.Time) (string, error) {
	c, err := s.lockLine(ctx, tx, r.SubjectID, true)
	if err != nil || c.Status != StatusReferred {
		return "", err
	}
	outcome, reasons := "", verdictReasons(v)
	c.Status = StatusDeclined
	if v.Outcome == nirnay.Approve {
		p, ok := s.products.Get(c.ProductID)
		limit := money.Paise(requestInt(r, "amount"))
		var bps int64
		var err error
		if ok {
			bps, err = rateBPS(p.AnnualRate)
		}
		if ok && err == nil {
			limit, _, bps, err = boundedTerms(v.Offer, limit, 0, bps, false)
		}
		if ok && err == nil {
			err = p.CheckLimit(limit)
		}
		if ok && err == nil {
			c.Status, c.Limit, c.AnnualRateBPS, c.Offer, reasons = StatusOffered, limit, bps, v.Offer, v.Reasons
			if c.Offer == nil {
				c.Offer = nirnay.Offer{}
			}
			if reasons == nil {
				reasons = []string{}
			}
		} else {
			outcome, reasons = ReferralDeclined, []string{ReasonOfferOutsideProduct}
		}
	}
	c.Reasons, c.UpdatedAt = reasons, now
	_, err = tx.ExecContext(ctx, `UPDATE credit_lines SET status = $2, credit_limit = $3, annual_rate_bps = $4, reasons = $5, offer = $6,
		updated_at = $7 WHERE id = $1`, c.ID, c.Status, c.Limit, c.AnnualRateBPS, jsonText(c.Reasons), jsonText(c.Offer), store.Instant(now))
	if err != nil {
		return "", store.Translate(err)
	}
	return outcome, s.lineEvent(ctx, tx, c, "referral_"+string(v.Outcome)+"d", "credit_line.referral_resolved",
		resolvedBody(r, v, c.Status, reasons), now)
}

// resumeDisbursal disburses or declines a referred disbursal (the loan
// was accepted) or draw (the draw loan was recorded referred).
func (s *Service) resumeDisbursal(ctx context.Context, tx *sql.Tx, r *Referral, v CaseVerdict, now time.Time) (string, error) {
	outcome := ""
	_, err := s.mutateTx(ctx, tx, r.SubjectID, func(tx *sql.Tx, l *Loan, _ *State) (*change, error) {
		if l.Status != StatusReferred {
			return nil, nil
		}
		if v.Outcome != nirnay.Approve {
			return nil, s.declineLoan(ctx, tx, l, r, v, verdictReasons(v), now)
		}
		p, ok := s.products.Get(l.ProductID)
		on := s.Today()
		var d *Disbursal
		var err error
		if ok {
			d, err = disbursal(p, l.Amount, l.TenureMonths, l.AnnualRateBPS, on)
		}
		if !ok || nirnay.IsKind(err, nirnay.KindUnprocessable) {
			outcome = ReferralDeclined
			return nil, s.declineLoan(ctx, tx, l, r, v, []string{ReasonOfferOutsideProduct}, now)
		}
		if err != nil {
			return nil, err
		}
		payload := map[string]any{"amount": l.Amount.String(), "net_disbursed": (d.Principal - d.FeeBase - d.FeeGST).String(),
			"decision_id": v.VerdictID, "referred_decision_id": r.DecisionID, "case_id": r.CaseID, "disbursed_on": on.String()}
		if l.CreditLineID != "" {
			line, err := s.lockLine(ctx, tx, l.CreditLineID, true)
			if err != nil {
				return nil, err
			}
			used, err := drawn(ctx, tx, line.ID)
			if err != nil {
				return nil, err
			}
			if line.Status != StatusActive || l.Amount > line.Limit-used {
				outcome = ReferralDeclined
				return nil, s.declineLoan(ctx, tx, l, r, v, []string{ReasonLimitUnavailable}, now)
			}
			payload["credit_line_id"] = line.ID
		} else {
			payload["account_hash"] = l.AccountHash
		}
		l.DisbursedOn, l.Reasons = on.String(), []string{}
		return &change{events: []Event{{Type: EvDisbursed, On: on, Disbursal: d}}, kind: "disbursal", ref: v.VerdictID, at: now,
			lifecycle: &lifecycleEvent{typ: "referral_approved", on: on, body: resolvedBody(r, v, StatusActive, v.Reasons)},
			outbox:    []message{{topic: "loan.disbursed", payload: payload}}}, nil
	})
	return outcome, err
}

// resumeLimitIncrease raises or keeps a line's limit on the verdict.
func (s *Service) resumeLimitIncrease(ctx context.Context, tx *sql.Tx, r *Referral, v CaseVerdict, now time.Time) (string, error) {
	line, err := s.lockLine(ctx, tx, r.SubjectID, true)
	if err != nil {
		return "", err
	}
	outcome, reasons := "", verdictReasons(v)
	if v.Outcome == nirnay.Approve {
		newLimit := money.Paise(requestInt(r, "limit"))
		if lim, ok := v.Offer.Int("limit"); ok && money.Paise(lim*100) < newLimit {
			newLimit = money.Paise(lim * 100)
		}
		p, ok := s.products.Get(line.ProductID)
		switch {
		case !ok || line.Status != StatusActive || p.CheckLimit(newLimit) != nil:
			outcome, reasons = ReferralDeclined, []string{ReasonOfferOutsideProduct}
		case newLimit <= line.Limit:
			outcome, reasons = ReferralDeclined, []string{ReasonNotAboveLimit}
		default:
			from := line.Limit
			line.Limit, line.UpdatedAt = newLimit, now
			if err := s.saveLine(ctx, tx, line); err != nil {
				return "", err
			}
			body := resolvedBody(r, v, ReferralApproved, v.Reasons)
			body["from"], body["to"], body["consent"] = from.String(), newLimit.String(), r.Request["consent"]
			return "", s.lineEvent(ctx, tx, line, "limit_increased", "credit_line.limit_increased", body, now)
		}
	}
	return outcome, s.lineEvent(ctx, tx, line, "limit_increase_declined", "credit_line.limit_increase_declined",
		resolvedBody(r, v, ReferralDeclined, reasons), now)
}
