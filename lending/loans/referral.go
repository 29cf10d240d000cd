package loans

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// StatusReferred is a loan or credit line waiting on a manual review case:
// an application, a disbursal or a draw whose decision was review. The
// case's verdict (Resume) moves it on.
const StatusReferred = "referred"

// The kinds of lending step a referral holds.
const (
	ReferralApplication   = "application"
	ReferralDisbursal     = "disbursal"
	ReferralDraw          = "draw"
	ReferralLimitIncrease = "limit_increase"
)

// The referral statuses.
const (
	ReferralReferred = "referred"
	ReferralApproved = "approved"
	ReferralDeclined = "declined"
)

// Referral is a lending step waiting on (or resolved by) a review case.
type Referral struct {
	DecisionID        string         `json:"decision_id"`
	CaseID            string         `json:"case_id"`
	Kind              string         `json:"kind"`
	SubjectID         string         `json:"subject_id"`
	Status            string         `json:"status"`
	Request           map[string]any `json:"request"`
	Reasons           []string       `json:"reasons"`
	VerdictDecisionID string         `json:"verdict_decision_id,omitempty"`
	CreatedAt         time.Time      `json:"created_at"`
	ResolvedAt        *time.Time     `json:"resolved_at,omitempty"`
}

// CaseVerdict is a review case's verdict as the lending core resumes on
// it: the referred decision, the verdict's own decision, its outcome
// (approve or decline), the reviewer's reasons and, on approve, the offer
// (the policy's, perhaps lowered by the reviewer).
type CaseVerdict struct {
	CaseID     string
	DecisionID string // the referred decision
	VerdictID  string // the verdict's decision (role manual)
	Outcome    nirnay.Outcome
	Reasons    []string
	Offer      nirnay.Offer
}

// referredStop is the StoppedError of a step that now waits on its case.
func referredStop(step, subject string, v Verdict) *StoppedError {
	return &StoppedError{Step: step, Outcome: nirnay.Review, DecisionID: v.DecisionID, Reasons: v.Reasons, SubjectID: subject,
		CaseID: nirnay.CaseIDOf(v.DecisionID)}
}

// isReferral reports whether err stops a step for review and the step
// is to wait on its case (Options.Referrals).
func (s *Service) isReferral(err error) bool {
	var stop *StoppedError
	return s.referrals && errors.As(err, &stop) && stop.Outcome == nirnay.Review
}

const referralCols = `decision_id, case_id, customer_id, kind, subject_id, status, request, reasons, verdict_decision_id, created_at, resolved_at`

// insertReferral records that subject waits on the case of decision v.
func (s *Service) insertReferral(ctx context.Context, q queryer, kind, subject, customer string, v Verdict, request map[string]any, at time.Time) error {
	reasons := v.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	_, err := q.ExecContext(ctx, `INSERT INTO referrals (`+referralCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, NULL)`,
		v.DecisionID, nirnay.CaseIDOf(v.DecisionID), customer, kind, subject, ReferralReferred, jsonText(request), jsonText(reasons), store.Instant(at))
	return store.Translate(err)
}

func scanReferral(r scanner) (*Referral, error) {
	var (
		ref             Referral
		request, reason string
		verdict         sql.NullString
		customer        string
	)
	if err := r.Scan(&ref.DecisionID, &ref.CaseID, &customer, &ref.Kind, &ref.SubjectID, &ref.Status, &request, &reason, &verdict,
		store.ScanInstant(&ref.CreatedAt), store.ScanNullInstant(&ref.ResolvedAt)); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(request))
	dec.UseNumber()
	_ = dec.Decode(&ref.Request)
	_ = json.Unmarshal([]byte(reason), &ref.Reasons)
	ref.VerdictDecisionID = verdict.String
	return &ref, nil
}

// pendingReferral is the referral a subject waits on (nil when none).
func (s *Service) pendingReferral(ctx context.Context, q queryer, subject, kind string) (*Referral, error) {
	r, err := scanReferral(q.QueryRowContext(ctx, `SELECT `+referralCols+` FROM referrals
		WHERE subject_id = $1 AND kind = $2 AND status = $3 ORDER BY created_at DESC LIMIT 1`, subject, kind, ReferralReferred))
	if isNoRows(err) {
		return nil, nil
	}
	return r, err
}

// LatestReferral is a subject's most recent referral of kind (nil when
// it has none): a credit line shows its last limit increase this way.
func (s *Service) LatestReferral(ctx context.Context, subject, kind string) (*Referral, error) {
	r, err := scanReferral(s.db.Reader().QueryRowContext(ctx, `SELECT `+referralCols+` FROM referrals
		WHERE subject_id = $1 AND kind = $2 ORDER BY created_at DESC LIMIT 1`, subject, kind))
	if isNoRows(err) {
		return nil, nil
	}
	return r, err
}

// latestLoanReferral is a loan's latest referral of any kind.
func latestLoanReferral(ctx context.Context, q queryer, loanID string) (*Referral, error) {
	r, err := scanReferral(q.QueryRowContext(ctx, `SELECT `+referralCols+` FROM referrals
		WHERE subject_id = $1 ORDER BY created_at DESC LIMIT 1`, loanID))
	if isNoRows(err) {
		return nil, nil
	}
	return r, err
}

// waiting answers a step tried again while its subject waits on a case:
// the StoppedError of the pending referral, or nil when none is pending.
func (s *Service) waiting(ctx context.Context, step, subject, kind string) error {
	if !s.referrals {
		return nil
	}
	r, err := s.pendingReferral(ctx, s.db.Reader(), subject, kind)
	if err != nil || r == nil {
		return err
	}
	return &StoppedError{Step: step, Outcome: nirnay.Review, DecisionID: r.DecisionID, Reasons: r.Reasons, SubjectID: subject, CaseID: r.CaseID}
}

// Resume moves on the lending step waiting on a decided review case:
//
//	application (loan)  approve → offered with the verdict's offer (bounded by
//	                    what was asked and the product, with its KFS);
//	                    decline → declined with the reviewer's reasons
//	application (line)  approve → offered (limit bounded likewise); decline → declined
//	disbursal           approve → disbursed (active) from today; decline → declined
//	draw                approve → disbursed if the line still has the limit
//	                    (else declined, LIMIT_UNAVAILABLE); decline → declined
//	limit_increase      approve → raised to min(asked, offer limit) (declined,
//	                    OFFER_NOT_ABOVE_CURRENT_LIMIT, if that is not above
//	                    the current limit); decline → declined
//
// in one transaction with the referral's resolution, lending events and
// outbox messages. It is idempotent: a referral already resolved, or a
// decision no lending step waits on (a direct POST /v1/decisions), is
// left alone and returns nil. Driven by the case_decided event.
func (s *Service) Resume(ctx context.Context, v CaseVerdict) error {
	if v.Outcome != nirnay.Approve && v.Outcome != nirnay.Decline {
		return invalid("outcome", "a verdict is approve or decline, not %q", v.Outcome)
	}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		q := `SELECT ` + referralCols + ` FROM referrals WHERE decision_id = $1`
		if s.db.Dialect == store.Postgres {
			q += ` FOR UPDATE`
		}
		r, err := scanReferral(tx.QueryRowContext(ctx, q, v.DecisionID))
		if isNoRows(err) {
			return errNothing
		}
		if err != nil {
			return err
		}
		if r.Status != ReferralReferred {
			return errNothing
		}
		now := s.now().UTC()
		outcome := ReferralDeclined
		if v.Outcome == nirnay.Approve {
			outcome = ReferralApproved
		}
		var done string
		switch r.Kind {
		case ReferralApplication:
			done, err = s.resumeApplication(ctx, tx, r, v, now)
		case ReferralDisbursal, ReferralDraw:
			done, err = s.resumeDisbursal(ctx, tx, r, v, now)
		case ReferralLimitIncrease:
			done, err = s.resumeLimitIncrease(ctx, tx, r, v, now)
		}
		if err != nil {
			return err
		}
		if done != "" {
			outcome = done
		}
		_, err = tx.ExecContext(ctx, `UPDATE referrals SET status = $2, verdict_decision_id = $3, resolved_at = $4 WHERE decision_id = $1`,
			r.DecisionID, outcome, v.VerdictID, store.Instant(now))
		return store.Translate(err)
	})
	if errors.Is(err, errNothing) {
		return nil
	}
	return err
}

// errNothing ends a Resume transaction that has nothing to do.
var errNothing = errors.New("nothing to resume")

// verdictReasons are the reasons a resumed step records: the reviewer's,
// or MANUAL_REVIEW when the reviewer gave none.
func verdictReasons(v CaseVerdict) []string {
	if len(v.Reasons) == 0 {
		return []string{"MANUAL_REVIEW"}
	}
	return v.Reasons
}

func requestInt(r *Referral, key string) int64 {
	n, _ := r.Request[key].(json.Number)
	i, _ := n.Int64()
	return i
}

// resolvedBody is what a resumed step's lending event says.
func resolvedBody(r *Referral, v CaseVerdict, status string, reasons []string) map[string]any {
	return map[string]any{"case_id": r.CaseID, "decision_id": v.VerdictID, "referred_decision_id": r.DecisionID,
		"outcome": v.Outcome, "reasons": reasons, "status": status, "offer": v.Offer}
}

// declineLoan ends a referred loan as declined with the reviewer's reasons.
func (s *Service) declineLoan(ctx context.Context, tx *sql.Tx, l *Loan, r *Referral, v CaseVerdict, reasons []string, now time.Time) error {
	l.Status, l.Reasons, l.UpdatedAt = StatusDeclined, reasons, now
	if err := updateTerms(ctx, tx, l); err != nil {
		return err
	}
	return s.loanResolved(ctx, tx, l, r, v, reasons, now)
}

// loanResolved records a loan's resumed step: its lending event and the
// loan.referral_resolved outbox message.
func (s *Service) loanResolved(ctx context.Context, tx *sql.Tx, l *Loan, r *Referral, v CaseVerdict, reasons []string, now time.Time) error {
	seq, err := nextSeq(ctx, tx, l.ID)
	if err != nil {
		return err
	}
	body := resolvedBody(r, v, l.Status, reasons)
	if err := s.appendEvent(ctx, tx, l.ID, l.CustomerID, seq, "referral_"+string(v.Outcome)+"d", s.Today(), body, now); err != nil {
		return err
	}
	body["loan_id"], body["customer_id"], body["kind"] = l.ID, l.CustomerID, r.Kind
	return s.emit(ctx, tx, "loan.referral_resolved", l.ID, body, now)
}

// updateTerms writes a pre-disbursal loan's status, terms, reasons,
// offer and KFS.
func updateTerms(ctx context.Context, q queryer, l *Loan) error {
	_, err := q.ExecContext(ctx, `UPDATE loans SET status = $2, amount = $3, tenure_months = $4, annual_rate_bps = $5, reasons = $6,
		offer = $7, kfs = $8, kfs_digest = $9, updated_at = $10 WHERE id = $1`,
		l.ID, l.Status, l.Amount, l.TenureMonths, l.AnnualRateBPS, jsonText(l.Reasons), jsonText(l.Offer), string(l.KFS), l.KFSDigest,
		store.Instant(l.UpdatedAt))
	return store.Translate(err)
}

// boundedTerms is an approval's terms: amount = min(asked, offer limit),
// tenure = min(asked, offer tenure) for a term loan, rate = the offer's
// annual_rate_bps or the product's bps.
func boundedTerms(offer nirnay.Offer, amount money.Paise, tenure int, bps int64, termLoan bool) (money.Paise, int, int64, error) {
	if lim, ok := offer.Int("limit"); ok && lim*100 < int64(amount) {
		amount = money.Paise(lim * 100)
	}
	if r, ok := offer.Int("annual_rate_bps"); ok {
		if r < 0 || r > 10000 {
			return 0, 0, 0, unprocessable("the offer's annual_rate_bps %d is outside 0–10000", r)
		}
		bps = r
	}
	if n, ok := offer.Int("tenure_months"); ok && termLoan && int(n) < tenure {
		tenure = int(n)
	}
	return amount, tenure, bps, nil
}

// referDisbursal leaves an accepted loan referred, waiting on the case of
// its disbursal decision v, and returns the StoppedError saying so.
func (s *Service) referDisbursal(ctx context.Context, loanID string, v Verdict) error {
	stop := referredStop(StepDisbursal, loanID, v)
	return s.referIn(ctx, stop, func(tx *sql.Tx) error {
		l, err := s.lockLoan(ctx, tx, loanID)
		if err != nil {
			return err
		}
		if l.Status != StatusAccepted {
			return conflict("loan %s is %s; only an accepted loan can be disbursed", l.ID, l.Status)
		}
		now := s.now().UTC()
		l.Status, l.UpdatedAt = StatusReferred, now
		if err := updateLoan(ctx, tx, l); err != nil {
			return err
		}
		return s.loanReferred(ctx, tx, l, ReferralDisbursal, v, map[string]any{"account_hash": l.AccountHash}, stop, now)
	})
}

// referIn runs fn, which records a step referred for review, in one
// transaction and returns stop, the StoppedError saying so, once it has
// committed (or the error that kept it from committing).
func (s *Service) referIn(ctx context.Context, stop *StoppedError, fn func(tx *sql.Tx) error) error {
	if err := s.inTx(ctx, fn); err != nil {
		return err
	}
	return stop
}

// loanReferred records a loan's referral of kind for decision v: its
// referrals row (with request), its lending event and the loan.referred
// outbox message.
func (s *Service) loanReferred(ctx context.Context, tx *sql.Tx, l *Loan, kind string, v Verdict, request map[string]any, stop *StoppedError, now time.Time) error {
	if err := s.insertReferral(ctx, tx, kind, l.ID, l.CustomerID, v, request, now); err != nil {
		return err
	}
	seq, err := nextSeq(ctx, tx, l.ID)
	if err != nil {
		return err
	}
	body := map[string]any{"step": stop.Step, "decision_id": stop.DecisionID, "case_id": stop.CaseID, "reasons": stop.Reasons, "status": l.Status}
	if err := s.appendEvent(ctx, tx, l.ID, l.CustomerID, seq, "referred", s.Today(), body, now); err != nil {
		return err
	}
	body["loan_id"], body["customer_id"] = l.ID, l.CustomerID
	return s.emit(ctx, tx, "loan.referred", l.ID, body, now)
}

// referDraw records a draw referred for review as a draw loan waiting on
// its case, and returns the StoppedError saying so.
func (s *Service) referDraw(ctx context.Context, line *CreditLine, req DrawRequest, attempt string, kfs []byte, dig string, v Verdict) error {
	now := s.now().UTC()
	l := &Loan{ID: s.ids.At("ln", now), CustomerID: line.CustomerID, ProductID: line.ProductID, Kind: "draw", CreditLineID: line.ID,
		Status: StatusReferred, Amount: req.Amount, TenureMonths: req.TenureMonths, AnnualRateBPS: line.AnnualRateBPS,
		Reasons: v.Reasons, Offer: map[string]any{}, KFS: kfs, KFSDigest: dig, AccountHash: req.AccountHash,
		Consent:    json.RawMessage(jsonText(map[string]any{"kfs_digest": dig, "agreed": true, "at": now})),
		AssetClass: ClassStandard, CreatedAt: now, UpdatedAt: now}
	if l.Reasons == nil {
		l.Reasons = []string{}
	}
	if req.RequestID != "" {
		l.RequestID = attempt // a retry finds the referred draw (drawOf)
	}
	stop := referredStop(StepDisbursal, l.ID, v)
	return s.referIn(ctx, stop, func(tx *sql.Tx) error {
		if err := insertLoan(ctx, tx, l); err != nil {
			return err
		}
		return s.loanReferred(ctx, tx, l, ReferralDraw, v, map[string]any{"credit_line_id": line.ID}, stop, now)
	})
}

// referLimitIncrease records a limit increase referred for review, with
// the borrower's consent, and returns the StoppedError saying so.
func (s *Service) referLimitIncrease(ctx context.Context, lineID string, requested money.Paise, v Verdict) error {
	stop := referredStop(StepLimitIncrease, lineID, v)
	return s.referIn(ctx, stop, func(tx *sql.Tx) error {
		line, err := s.lockLine(ctx, tx, lineID, true)
		if err != nil {
			return err
		}
		now := s.now().UTC()
		request := map[string]any{"limit": int64(requested), "consent": map[string]any{"agreed": true, "at": now}}
		if err := s.insertReferral(ctx, tx, ReferralLimitIncrease, line.ID, line.CustomerID, v, request, now); err != nil {
			return err
		}
		return s.lineEvent(ctx, tx, line, "limit_increase_referred", "credit_line.limit_increase_referred", map[string]any{
			"requested": requested.String(), "decision_id": v.DecisionID, "case_id": stop.CaseID, "reasons": stop.Reasons}, now)
	})
}
