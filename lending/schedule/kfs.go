package schedule

import (
	"fmt"
	"strconv"

	"github.com/nirnay/nirnay/money"
)

// Fee is an up-front fee or charge deducted from the disbursal. Amount is
// taken as given, tax included.
type Fee struct {
	Name   string
	Amount money.Paise
	// ExcludeFromAPR leaves the fee out of the APR (it is still listed and
	// still deducted from the disbursal). A product uses it for GST on fees
	// when its setting says GST does not count in the APR.
	ExcludeFromAPR bool
}

// Charge is a contingent charge shown on a Key Fact Statement (penal
// charges, foreclosure charges…): a name and its terms in words.
type Charge struct {
	Name  string `json:"name"`
	Terms string `json:"terms"`
}

// KFS is a Key Fact Statement in the shape of RBI's format: the loan's
// amount, instalment, interest, every up-front fee, the net disbursed
// amount, the total the borrower repays and the APR, with the repayment
// schedule. The first nine JSON keys are a stable contract.
type KFS struct {
	Principal     money.Paise            `json:"principal"`
	EMI           money.Paise            `json:"emi"`
	TenureMonths  int                    `json:"tenure_months"`
	TotalInterest money.Paise            `json:"total_interest"`
	Fees          map[string]money.Paise `json:"fees"`
	FeesTotal     money.Paise            `json:"fees_total"`
	// NetDisbursed = Principal − FeesTotal: what reaches the borrower.
	NetDisbursed money.Paise `json:"net_disbursed"`
	// TotalPayable = Principal + TotalInterest: the sum of the instalments,
	// as RBI's KFS illustration defines "total amount to be paid by the
	// borrower". Fees are not added: they are deducted from the disbursal,
	// so the borrower's whole cost is TotalInterest + FeesTotal.
	TotalPayable money.Paise `json:"total_payable"`
	// APRPercent is the annual percentage rate with two decimals, rounded
	// half-up: the monthly IRR of the net disbursed amount (principal minus
	// the fees that count in the APR) against the instalments, times 12.
	APRPercent string `json:"apr_percent"`

	AnnualRatePercent string       `json:"annual_rate_percent"`
	Method            Method       `json:"method"`
	DayCount          DayCount     `json:"day_count"`
	StartDate         Date         `json:"start_date"`
	FirstDueDate      Date         `json:"first_due_date"`
	ProductID         string       `json:"product_id,omitempty"`
	CoolingOffDays    *int         `json:"cooling_off_days,omitempty"`
	ContingentCharges []Charge     `json:"contingent_charges,omitempty"`
	Instalments       []Instalment `json:"instalments"`
}

// NewKFS computes the Key Fact Statement of t with the given up-front fees.
// It returns an *InputError (matching ErrInvalidInput) for invalid terms, a
// fee with an empty or repeated name or a negative amount, or fees that
// leave nothing to disburse; ErrNoAPR when the APR has no solution.
func NewKFS(t Terms, fees []Fee) (KFS, error) {
	t, err := t.normalize()
	if err != nil {
		return KFS{}, err
	}
	s, err := Generate(t)
	if err != nil {
		return KFS{}, err
	}
	k := KFS{
		Principal: t.Principal, EMI: s.EMI, TenureMonths: t.Tenure,
		TotalInterest: s.TotalInterest, Fees: make(map[string]money.Paise, len(fees)),
		TotalPayable:      s.TotalPayable(),
		AnnualRatePercent: t.Rate.Percent(), Method: t.Method, DayCount: t.DayCount,
		StartDate: t.Start, FirstDueDate: t.dueDate(1), Instalments: s.Instalments,
	}
	aprNet := int64(t.Principal)
	for _, f := range fees {
		switch _, dup := k.Fees[f.Name]; {
		case f.Name == "":
			return KFS{}, inputErr("fee", "a fee needs a name")
		case dup:
			return KFS{}, inputErr("fee", "fee %q is given twice", f.Name)
		case f.Amount < 0:
			return KFS{}, inputErr("fee", "fee %q must not be negative (got %s)", f.Name, f.Amount)
		}
		k.Fees[f.Name] = f.Amount
		k.FeesTotal += f.Amount
		if !f.ExcludeFromAPR {
			aprNet -= int64(f.Amount)
		}
	}
	k.NetDisbursed = t.Principal - k.FeesTotal
	if k.NetDisbursed <= 0 {
		return KFS{}, inputErr("fee", "fees total %s leave nothing of the principal %s to disburse", k.FeesTotal, t.Principal)
	}
	in := aprInput{net: aprNet, flows: make([]int64, len(s.Instalments)), firstNum: 1, firstDen: 1}
	for i, row := range s.Instalments {
		in.flows[i] = int64(row.Amount)
	}
	if t.FirstDue != 0 {
		if t.DayCount == Actual365 {
			in.firstNum, in.firstDen = 12*int64(t.FirstDue-t.Start), 365
		} else {
			in.firstNum, in.firstDen = days360(t.Start, t.FirstDue), 30
		}
	}
	bps, err := aprBPS(in)
	if err != nil {
		return KFS{}, fmt.Errorf("kfs: %w", err)
	}
	k.APRPercent = formatBPS(bps)
	return k, nil
}

// formatBPS writes basis points as a percent with two decimals ("24.16").
func formatBPS(bps int64) string {
	frac := bps % 100
	s := strconv.FormatInt(bps/100, 10) + "."
	if frac < 10 {
		s += "0"
	}
	return s + strconv.FormatInt(frac, 10)
}
