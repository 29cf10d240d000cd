package loans

import (
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
)

// maxAttemptKey bounds a client's idempotency key of a lending step.
const maxAttemptKey = 128

// attemptID is the decision request id of one client attempt at a lending
// step (offer_accept, disbursal, limit_increase) on a loan or credit line.
// With the client's idempotency key it is step:subject:key, so retries of
// that attempt replay its decision (and the same key with a different
// request is a conflict); without one it is fresh, so every call is a new
// decision. A new attempt after a decline or a review therefore decides
// again on the facts as they are then.
func (s *Service) attemptID(step, subject, key string) string {
	if key == "" {
		key = s.ids.New("att")
	}
	return step + ":" + subject + ":" + key
}

// offerFacts are the request features of an offer_accept decision that the
// lending core knows: the amount accepted, the offer's limit and when the
// offer was made (offer_generated_at, RFC 3339), all in whole rupees.
func offerFacts(amount money.Paise, offer nirnay.Offer, generated time.Time) map[string]any {
	limit := rupees(amount)
	if lim, ok := offer.Int("limit"); ok {
		limit = lim
	}
	return map[string]any{"amount": rupees(amount), "offer_limit": limit,
		"offer_generated_at": generated.UTC().Format(time.RFC3339)}
}

// repaymentFacts are the request features of a repayment decision on a loan
// whose folded state is st: what the borrower owes on date on
// (loan_outstanding: principal outstanding, billed interest and charges
// unpaid) and what of it is past due (loan_overdue), in whole rupees.
func repaymentFacts(st State, on schedule.Date) map[string]any {
	st.Rows = append([]Row(nil), st.Rows...)
	st.Charges = append([]Charge(nil), st.Charges...)
	if st.Status == StatusActive && on > st.AsOf {
		st.advanceTo(on)
	}
	var overdue money.Paise
	for _, r := range st.Rows {
		if r.Due < on {
			overdue += r.unpaidPrincipal() + r.unpaidInterest()
		}
	}
	for _, c := range st.Charges {
		if c.On < on {
			overdue += c.unpaid()
		}
	}
	return map[string]any{"loan_outstanding": rupees(st.Outstanding()), "loan_overdue": rupees(overdue)}
}
