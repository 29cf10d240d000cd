package sms

// Keyword lists, lowered. Word lists match whole words; prefix lists match
// the start of a word.
var (
	otpWords    = words("otp", "otps", "one time password", "one-time password", "verification code", "login code")
	otpNegators = words("share", "sharing", "never", "not", "ask", "asks", "asking", "disclose")

	promoWords = words(
		"t&c", "t & c", "tnc", "t&cs", "pre-approved", "preapproved", "pre approved",
		"apply now", "apply here", "apply:", "limited period", "limited time", "hurry",
		"get up to", "get upto", "use code", "promo code", "coupon", "no paperwork",
		"lowest", "instant loan", "check eligibility", "eligible for", "you are eligible",
		"download now", "install now", "activate now", "click here", "starting at", "starting from",
		"exclusive", "win up to", "win upto", "pre-qualified", "prequalified", "apply in", "lifetime free",
	)
	promoPrefixes = prefixes("offer", "% off")

	bounceWords = words(
		"bounce", "bounced", "dishonoured", "dishonored", "dishonour", "dishonor", "returned unpaid",
		"return unpaid", "not honoured", "not honored", "debit return", "ach return", "nach return",
		"ecs return", "cheque return", "chq return", "cheque returned", "mandate was rejected",
		"mandate rejected", "mandate failed",
	)
	bounceNegators = words("avoid", "prevent")
	failureWords   = words(
		"insufficient", "could not be processed", "could not be collected", "not processed",
		"failed", "unsuccessful", "rejected", "declined", "funds insufficient",
	)
	mandateWords = words(
		"nach", "ach", "ecs", "mandate", "e-mandate", "emi", "cheque", "chq", "instalment",
		"installment", "auto-debit", "auto debit", "standing instruction",
	)
	avoidWords    = words("avoid")
	reversalWords = words("reversed", "reversal", "refund", "refunded")

	// Only the verb: "disbursal will happen in 24 hours" has not happened;
	// the nouns reach LoanDisbursal through a credit naming a loan.
	disbursalWords = words("disbursed")
	futureWords    = words("will", "shall", "would", "can", "may", "to be", "not", "never", "no amount", "if", "once")

	salaryWords = words("salary", "sal", "salaries", "payroll", "wages", "stipend")
	loanWords   = words("emi", "emis", "instalment", "installment", "loan", "nach", "ach", "ecs", "repayment")
	notLoan     = words("sip", "mutual fund", "mf", "insurance", "premium", "policy", "broking")
	lenderWords = words(
		"loan", "disb", "bajaj finance", "bajaj fin", "kreditbee", "krazybee", "moneyview", "money view",
		"navi", "fibe", "earlysalary", "home credit", "hdb financial", "tata capital", "cashe", "mpokket",
		"stashfin", "lendingkart", "kissht", "paysense", "dhani", "truebalance", "smartcoin",
	)
	receiptWords = words("received your", "has been received", "have been received", "is received", "received with thanks", "payment received", "received towards")
	emiWords     = words("emi", "emis", "instalment", "installment", "repayment")
	receiptFor   = words("emi", "emis", "instalment", "installment", "repayment", "loan", "payment", "contract")
)

type direction uint8

const (
	dirNone direction = iota
	dirCredit
	dirDebit
)

// Verbs report money moving. The first completed one in the body decides
// the direction (the account holder's side comes first in every format
// seen: "debited … NAME credited").
var (
	debitVerbs = words("debited", "debit of", "debit by", "debit for", "debit alert", "dr.", "spent",
		"withdrawn", "withdrawal", "sent", "paid", "deducted", "purchase", "transferred from",
		"transaction of", "txn of", "txn rs", "txn inr", "charged", "recovered", "executed")
	creditVerbs = words("credited", "credit of", "credit by", "credit alert", "received", "deposited",
		"added to", "refunded", "refund of", "reversed", "cr.", "transferred to your")
	receivedVerb = words("received")
)

// classify decides the kind; see Parse for the order.
func (t text) classify() Kind {
	h := t.h
	switch {
	case t.isOTP():
		return OTP
	case h.any(promoWords) || h.any(promoPrefixes):
		return Promotional
	case t.isBounce():
		return Bounce
	case t.completed(disbursalWords):
		return LoanDisbursal
	case h.any(receiptWords) && h.any(receiptFor):
		return EMIDebit // a lender acknowledging a repayment
	case h.any(failureWords) && !h.any(reversalWords):
		return Other // a failed or declined payment moved nothing
	}
	dir, received := t.direction()
	switch dir {
	case dirCredit:
		switch {
		case received && h.any(emiWords):
			return EMIDebit // "we have received Rs 2,874 towards EMI"
		case h.any(salaryWords):
			return SalaryCredit
		case h.any(lenderWords):
			return LoanDisbursal
		}
		return Credit
	case dirDebit:
		if h.any(loanWords) && !h.any(notLoan) {
			return EMIDebit
		}
		return Debit
	}
	return Other
}

// isOTP: an OTP word that is not part of a warning ("never share your OTP").
func (t text) isOTP() bool {
	p, _ := t.h.first(otpWords, func(i int) bool { return !t.h.anyBefore(otpNegators, i, 24) })
	return p >= 0
}

// isBounce: a return/dishonour word not in "to avoid bounce charges", or a
// failure word next to a mandate, EMI or cheque.
func (t text) isBounce() bool {
	h := t.h
	if p, _ := h.first(bounceWords, func(i int) bool { return !h.anyBefore(bounceNegators, i, 16) }); p >= 0 {
		return true
	}
	return h.any(failureWords) && h.any(mandateWords) && !h.any(avoidWords)
}

// completed reports whether any of l occurs not preceded by a future or
// negating word ("will be disbursed", "not debited").
func (t text) completed(l kwList) bool {
	p, _ := t.h.first(l, t.isCompleted)
	return p >= 0
}

func (t text) isCompleted(i int) bool { return !t.h.anyBefore(futureWords, i, 16) }

// direction returns the direction of the first completed verb and whether
// that verb is "received".
func (t text) direction() (direction, bool) {
	d, _ := t.h.first(debitVerbs, t.isCompleted)
	c, id := t.h.first(creditVerbs, t.isCompleted)
	switch {
	case c >= 0 && (d < 0 || c < d):
		return dirCredit, id == receivedVerb[0]
	case d >= 0:
		return dirDebit, false
	}
	return dirNone, false
}
