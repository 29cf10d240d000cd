package loans

import (
	"sort"

	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/money"
)

// Ledger accounts of a loan. Receivables are debit-normal assets; incomes,
// GST payable and the borrower's advance are credit-normal.
const (
	AccPrincipal     = "principal_receivable"
	AccInterest      = "interest_receivable"
	AccPenal         = "penal_receivable"
	AccFees          = "fees_receivable"
	AccBank          = "bank"
	AccInterestIncom = "interest_income"
	AccPenalIncome   = "penal_income"
	AccFeeIncome     = "fee_income"
	AccGST           = "gst_payable"
	AccAdvance       = "borrower_advance"
	AccWaiver        = "waiver_expense"
	AccWriteOff      = "write_off_expense"
)

// ReceivableAccounts sum to the loan's outstanding.
var ReceivableAccounts = []string{AccPrincipal, AccInterest, AccPenal, AccFees}

// Line is one ledger line; exactly one of Debit and Credit is non-zero.
type Line struct {
	Account string      `json:"account"`
	Debit   money.Paise `json:"debit"`
	Credit  money.Paise `json:"credit"`
}

// balances are the signed (debit positive) account balances a state
// implies. They always sum to zero: every paisa received is allocated or
// held, every receivable was lent or charged against an income or GST.
func (s *State) balances() map[string]money.Paise {
	b := map[string]money.Paise{}
	if s.Status == "" {
		return b
	}
	t := s.Terms
	var billedInterest, woRows money.Paise
	for _, r := range s.Rows {
		if r.Billed {
			billedInterest += r.Interest
		}
		woRows += r.WOPrincipal + r.WOInterest
	}
	var income = map[product.Bucket]money.Paise{}
	var gst, waived, woCharges money.Paise
	for _, c := range s.Charges {
		income[c.Bucket] += c.Base
		gst += c.GST
		waived += c.Waived
		woCharges += c.WrittenOff
	}
	b[AccPrincipal] = s.PrincipalOutstanding()
	b[AccInterest] = s.interestReceivable()
	b[AccPenal] = s.chargesUnpaid(product.PenalCharges)
	b[AccFees] = s.chargesUnpaid(product.Fees)
	b[AccBank] = s.Received - (t.Principal - t.FeeBase - t.FeeGST)
	b[AccInterestIncom] = -(billedInterest + income[product.Interest])
	b[AccPenalIncome] = -income[product.PenalCharges]
	b[AccFeeIncome] = -(t.FeeBase + income[product.Fees])
	b[AccGST] = -(t.FeeGST + gst)
	b[AccAdvance] = -s.Advance
	b[AccWaiver] = waived
	b[AccWriteOff] = woRows + woCharges
	return b
}

// journalLines returns the lines that move the ledger from before's
// balances to after's, in account order. The lines balance because both
// sets of balances sum to zero.
func journalLines(before, after *State) []Line {
	a, b := before.balances(), after.balances()
	accts := map[string]bool{}
	for k := range a {
		accts[k] = true
	}
	for k := range b {
		accts[k] = true
	}
	names := make([]string, 0, len(accts))
	for k := range accts {
		names = append(names, k)
	}
	sort.Strings(names)
	var lines []Line
	for _, k := range names {
		switch d := b[k] - a[k]; {
		case d > 0:
			lines = append(lines, Line{Account: k, Debit: d})
		case d < 0:
			lines = append(lines, Line{Account: k, Credit: -d})
		}
	}
	return lines
}

// Balanced reports whether the lines' debits equal their credits.
func Balanced(lines []Line) bool {
	var d, c money.Paise
	for _, l := range lines {
		d += l.Debit
		c += l.Credit
	}
	return d == c
}
