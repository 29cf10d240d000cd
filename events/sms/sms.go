// Package sms parses the SMS that Indian banks, NBFCs, digital lenders and
// wallets send, into what Nirnay's features need: the kind of message (salary
// credit, EMI debit, bounce, another lender's disbursal, credit, debit, OTP,
// promotion, other), the transaction amount, the balance, the institution and
// the last digits of the masked account or card.
//
// Parse is a pure function: no I/O, no global state that changes, safe for
// concurrent use, and it does not allocate for bodies up to MaxBody bytes
// (the returned strings are constants or substrings of the input).
package sms

import (
	"unsafe"

	"github.com/nirnay/nirnay/money"
)

// Kind is what a message reports.
type Kind uint8

// The kinds, in the order they are decided (see Parse).
const (
	Other         Kind = iota // anything else: reminders, statements, failed payments, notices
	SalaryCredit              // a credit marked as salary or payroll
	EMIDebit                  // an EMI/instalment paid: a debit towards a loan, or a lender's receipt
	Bounce                    // a returned NACH/ECS/ACH debit, cheque or EMI presentation
	LoanDisbursal             // a loan paid out to the customer (by any lender)
	Credit                    // money in: UPI, IMPS, NEFT, refunds, wallet loads
	Debit                     // money out: UPI, card, ATM, POS, wallet payments
	OTP                       // one-time passwords and verification codes
	Promotional               // offers and marketing, including pre-approved loans
	numKinds
)

var kindNames = [numKinds]string{"other", "salary_credit", "emi_debit", "bounce", "loan_disbursal", "credit", "debit", "otp", "promotional"}

// String returns the stable name used in JSON output ("salary_credit", …).
func (k Kind) String() string {
	if k >= numKinds {
		return "other"
	}
	return kindNames[k]
}

// Kinds lists every kind in a fixed order.
func Kinds() []Kind {
	ks := make([]Kind, numKinds)
	for i := range ks {
		ks[i] = Kind(i)
	}
	return ks
}

// Transactional reports whether a message of this kind moves money, which is
// when Parse reports an amount.
func (k Kind) Transactional() bool {
	switch k {
	case SalaryCredit, EMIDebit, Bounce, LoanDisbursal, Credit, Debit:
		return true
	}
	return false
}

// Result is the parse of one message. The zero value is an Other message
// with nothing extracted.
type Result struct {
	Kind Kind
	// Amount is the transaction amount; HasAmount is false when the message
	// has none or the kind is not Transactional (an OTP or a promotion never
	// reports one, whatever amounts it mentions).
	Amount    money.Paise
	HasAmount bool
	// Balance is the available balance the message states, for any kind.
	Balance    money.Paise
	HasBalance bool
	// Institution is a stable short name ("HDFC Bank", "Bajaj Finance"), from
	// the sender id or, when that is unknown, from the body; "" if neither.
	Institution string
	// AccountSuffix is the digits at the end of the first masked account,
	// card or loan number ("XX1234" → "1234"); "" if none.
	AccountSuffix string
}

// MaxBody bounds the part of a body that is read: bytes after it are ignored.
// Real SMS, even concatenated, are far shorter.
const MaxBody = 2048

// Parse classifies one message and extracts its fields. sender is the header
// ("VM-HDFCBK", "AD-ICICIB-S", "HDFCBK" or a phone number); body is the text.
//
// Checks run in this order, the first that matches deciding the kind:
//  1. OTP: "OTP", "one time password", "verification code", unless only in a
//     warning ("never share your OTP");
//  2. Promotional: offer language ("pre-approved", "T&C", "apply now", …);
//  3. Bounce: "bounced", "dishonoured", "returned unpaid", or a failure word
//     ("insufficient", "could not be collected") beside NACH/ECS/EMI/cheque,
//     not in "to avoid bounce charges";
//  4. LoanDisbursal: "disbursed", not in the future ("will be disbursed");
//  5. EMIDebit: a lender's receipt ("we have received your EMI");
//  6. Other: a failed or declined payment (unless reversed or refunded);
//  7. the direction of the first completed (not future, not negated) money
//     verb: a credit is SalaryCredit with a salary marker, LoanDisbursal when
//     it names a loan or a lender, else Credit; a debit is EMIDebit when it
//     names an EMI, loan or NACH/ACH/ECS (not a SIP or premium), else Debit;
//  8. anything else is Other.
func Parse(sender, body string) Result {
	if len(body) > MaxBody {
		body = body[:MaxBody]
	}
	var buf [MaxBody]byte
	low := buf[:len(body)]
	lowerASCII(low, body)
	var h hits
	t := text{orig: body, low: unsafe.String(unsafe.SliceData(low), len(low)), h: &h}
	h.scan(t.low)

	var r Result
	r.Institution = institutionFromSender(sender)
	if r.Institution == "" {
		r.Institution = institutionFromBody(t.low)
	}
	if i, j, ok := t.accountSuffix(); ok {
		r.AccountSuffix = body[i:j]
	}
	r.Balance, r.HasBalance = t.balance()
	r.Kind = t.classify()
	if r.Kind.Transactional() {
		r.Amount, r.HasAmount = t.amount()
	}
	return r
}

// lowerASCII writes s into dst with ASCII letters lowered and line breaks and
// tabs turned into spaces; every byte keeps its offset, so positions found in
// dst index s as well.
func lowerASCII(dst []byte, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '\n' || c == '\r' || c == '\t':
			c = ' '
		}
		dst[i] = c
	}
}

// text is a body and its lowered copy (same length, same offsets). low
// shares memory with a buffer on Parse's stack: nothing derived from it may
// be returned (results slice orig instead).
type text struct {
	orig string
	low  string
	h    *hits // keyword occurrences in low
}
