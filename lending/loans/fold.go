package loans

import (
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
)

// Event types folded into a loan's money state.
const (
	EvDisbursed = "disbursed"
	EvPayment   = "payment"
	EvBounce    = "bounce"
	EvDayEnd    = "day_end"
	EvForeclose = "foreclose" // foreclosure or cooling-off exit: pays everything
	EvWaive     = "waive"
	EvWriteOff  = "write_off"
	evAccepted  = "accepted" // lifecycle only, not folded
)

// Loan statuses after disbursal, decided by the fold.
const (
	StatusActive     = "active"
	StatusClosed     = "closed"
	StatusForeclosed = "foreclosed"
	StatusCancelled  = "cancelled"
	StatusWrittenOff = "written_off"
)

// Event is one folded event. Only the fields of its Type are set.
type Event struct {
	Type      string        `json:"type"`
	On        schedule.Date `json:"on"`
	PaymentID string        `json:"payment_id,omitempty"`
	Amount    money.Paise   `json:"amount,omitempty"`
	// Disbursal carries the terms and schedule (EvDisbursed).
	Disbursal *Disbursal `json:"disbursal,omitempty"`
	// Foreclosure: accrued interest and the foreclosure charge (EvForeclose).
	Accrued    money.Paise `json:"accrued,omitempty"`
	ChargeBase money.Paise `json:"charge_base,omitempty"`
	ChargeGST  money.Paise `json:"charge_gst,omitempty"`
	Exit       string      `json:"exit,omitempty"` // foreclosed | cancelled
}

// Disbursal is everything the fold needs about a loan, fixed at disbursal so
// that a later product change never rewrites an existing loan.
type Disbursal struct {
	Principal     money.Paise       `json:"principal"`
	FeeBase       money.Paise       `json:"fee_base"`
	FeeGST        money.Paise       `json:"fee_gst"`
	AnnualRateBPS int64             `json:"annual_rate_bps"`
	Method        schedule.Method   `json:"method"`
	DayCount      schedule.DayCount `json:"day_count"`
	Order         []product.Bucket  `json:"allocation_order"`
	Excess        product.Excess    `json:"excess"`
	PenalBase     money.Paise       `json:"penal_base"`
	PenalGST      money.Paise       `json:"penal_gst"`
	EMI           money.Paise       `json:"emi"`
	Rows          []Row             `json:"rows"`
}

// Row is one instalment as serviced.
type Row struct {
	N             int           `json:"n"`
	Due           schedule.Date `json:"due_date"`
	Principal     money.Paise   `json:"principal"`
	Interest      money.Paise   `json:"interest"`
	PaidPrincipal money.Paise   `json:"paid_principal"`
	PaidInterest  money.Paise   `json:"paid_interest"`
	WOPrincipal   money.Paise   `json:"written_off_principal,omitempty"`
	WOInterest    money.Paise   `json:"written_off_interest,omitempty"`
	// Billed: the interest is receivable (its due date has come, or a
	// payment was allocated to it).
	Billed    bool `json:"billed"`
	Penalised bool `json:"penalised,omitempty"`
}

func (r Row) unpaidPrincipal() money.Paise { return r.Principal - r.PaidPrincipal - r.WOPrincipal }
func (r Row) unpaidInterest() money.Paise  { return r.Interest - r.PaidInterest - r.WOInterest }

// Charge is an amount owed beyond the schedule: a penal charge, a
// foreclosure charge or interest accrued to a foreclosure date. It never
// earns interest.
type Charge struct {
	Kind       string         `json:"kind"` // late | bounce | foreclosure | accrued_interest
	Bucket     product.Bucket `json:"bucket"`
	On         schedule.Date  `json:"on"`
	Base       money.Paise    `json:"base"`
	GST        money.Paise    `json:"gst"`
	Paid       money.Paise    `json:"paid"`
	Waived     money.Paise    `json:"waived,omitempty"`
	WrittenOff money.Paise    `json:"written_off,omitempty"`
}

func (c Charge) unpaid() money.Paise { return c.Base + c.GST - c.Paid - c.Waived - c.WrittenOff }

// State is a disbursed loan's money state: a pure function of its events.
type State struct {
	Status    string        `json:"status"`
	Disbursed schedule.Date `json:"disbursed_on"`
	AsOf      schedule.Date `json:"as_of"`
	Terms     Disbursal     `json:"-"`
	Rows      []Row         `json:"instalments"`
	Charges   []Charge      `json:"charges"`
	Advance   money.Paise   `json:"advance"`
	Prepaid   money.Paise   `json:"prepaid_principal"`
	Received  money.Paise   `json:"received"`
}

// Fold replays events in order. Payments named by a bounce anywhere in the
// list are skipped as if they never happened, which is what makes a bounce
// restore the prior state exactly. It returns the zero State (Status "")
// before a disbursal.
func Fold(events []Event) State {
	bounced := map[string]bool{}
	for _, e := range events {
		if e.Type == EvBounce {
			bounced[e.PaymentID] = true
		}
	}
	var s State
	for _, e := range events {
		if (e.Type == EvPayment || e.Type == EvForeclose) && bounced[e.PaymentID] {
			continue
		}
		s.apply(e)
	}
	return s
}

func (s *State) apply(e Event) {
	if e.Type == EvDisbursed {
		d := *e.Disbursal
		d.Rows = append([]Row(nil), d.Rows...)
		*s = State{Status: StatusActive, Disbursed: e.On, AsOf: e.On, Terms: d, Rows: d.Rows}
		return
	}
	if s.Status != StatusActive && s.Status != StatusClosed {
		return // nothing but a bounce (handled by Fold) changes an ended loan
	}
	s.advanceTo(e.On)
	switch e.Type {
	case EvPayment:
		s.Received += e.Amount
		left := s.allocate(e.Amount, modeNext)
		s.excess(left)
	case EvBounce:
		s.addCharge(Charge{Kind: "bounce", Bucket: product.PenalCharges, On: e.On, Base: s.Terms.PenalBase, GST: s.Terms.PenalGST})
	case EvDayEnd:
		for i := range s.Rows {
			r := &s.Rows[i]
			if r.Due < e.On && !r.Penalised && r.unpaidPrincipal()+r.unpaidInterest() > 0 {
				r.Penalised = true
				s.addCharge(Charge{Kind: "late", Bucket: product.PenalCharges, On: e.On, Base: s.Terms.PenalBase, GST: s.Terms.PenalGST})
			}
		}
	case EvForeclose:
		s.addCharge(Charge{Kind: "accrued_interest", Bucket: product.Interest, On: e.On, Base: e.Accrued})
		s.addCharge(Charge{Kind: "foreclosure", Bucket: product.Fees, On: e.On, Base: e.ChargeBase, GST: e.ChargeGST})
		s.Received += e.Amount
		s.Advance = s.allocate(s.Advance+e.Amount, modeAll)
		for i := range s.Rows {
			if !s.Rows[i].Billed { // interest not yet earned is never owed
				s.Rows[i].Interest = 0
			}
		}
		if s.Outstanding() == 0 {
			s.Status = e.Exit
		}
		return
	case EvWaive:
		left := e.Amount
		for i := range s.Charges {
			c := &s.Charges[i]
			if c.Bucket == product.PenalCharges && left > 0 {
				w := min(left, c.unpaid())
				c.Waived += w
				left -= w
			}
		}
	case EvWriteOff:
		for i := range s.Rows {
			r := &s.Rows[i]
			r.WOPrincipal += r.unpaidPrincipal()
			if r.Billed {
				r.WOInterest += r.unpaidInterest()
			} else {
				r.Interest = r.PaidInterest
			}
		}
		for i := range s.Charges {
			s.Charges[i].WrittenOff += s.Charges[i].unpaid()
		}
		s.Status = StatusWrittenOff
		return
	}
	s.settleStatus()
}

func (s *State) addCharge(c Charge) {
	if c.Base+c.GST > 0 {
		s.Charges = append(s.Charges, c)
	}
}

// settleStatus closes a fully repaid active loan (and reopens a closed loan
// that a bounce made owe again).
func (s *State) settleStatus() {
	if s.Status != StatusActive && s.Status != StatusClosed {
		return
	}
	s.Status = StatusActive
	for _, r := range s.Rows {
		if r.unpaidPrincipal() > 0 || r.unpaidInterest() > 0 {
			return
		}
	}
	for _, c := range s.Charges {
		if c.unpaid() > 0 {
			return
		}
	}
	s.Status = StatusClosed
}

// advanceTo moves the state's clock to d: instalments due by d become
// billed and an advance held is applied to what is due.
func (s *State) advanceTo(d schedule.Date) {
	if d > s.AsOf {
		s.AsOf = d
	}
	for i := range s.Rows {
		if s.Rows[i].Due <= s.AsOf {
			s.Rows[i].Billed = true
		}
	}
	if s.Advance > 0 && s.Status == StatusActive {
		s.Advance = s.allocate(s.Advance, modeDue)
	}
}

type allocMode int

const (
	modeDue      allocMode = iota // only what is due (billed)
	modeNext                      // what is due, then the next instalment to fall due
	modeNextOnly                  // the next instalment to fall due
	modeAll                       // every charge and billed interest, and all principal
)

// allocate applies amt across the product's buckets in order: charges oldest
// first, then interest and principal of overdue then due instalments. It
// returns what is left over.
func (s *State) allocate(amt money.Paise, mode allocMode) money.Paise {
	if amt <= 0 {
		return amt
	}
	if mode == modeNext {
		// what is due first, then the instalment falling due next
		amt = s.allocate(amt, modeDue)
		if amt <= 0 {
			return amt
		}
		mode = modeNextOnly
	}
	next := -1
	for i, r := range s.Rows {
		if !r.Billed {
			next = i
			break
		}
	}
	if mode == modeNextOnly && next >= 0 {
		// only the instalment of the period now running: a payment on a
		// due date (or on the disbursal date) does not reach the next one
		periodStart := s.Disbursed
		if next > 0 {
			periodStart = s.Rows[next-1].Due
		}
		if s.AsOf <= periodStart {
			next = -1
		}
	}
	inTarget := func(i int) bool {
		switch mode {
		case modeAll:
			return true
		case modeNextOnly:
			return i == next
		}
		return s.Rows[i].Billed
	}
	for _, b := range s.Terms.Order {
		switch b {
		case product.PenalCharges, product.Fees:
			amt = s.payCharges(b, amt)
		case product.Interest:
			for i := range s.Rows {
				r := &s.Rows[i]
				if !inTarget(i) || (mode == modeAll && !r.Billed) || amt == 0 {
					continue
				}
				if x := min(amt, r.unpaidInterest()); x > 0 {
					r.Billed = true
					r.PaidInterest += x
					amt -= x
				}
			}
			amt = s.payCharges(product.Interest, amt)
		case product.Principal:
			for i := range s.Rows {
				r := &s.Rows[i]
				if !inTarget(i) {
					continue
				}
				x := min(amt, r.unpaidPrincipal())
				r.PaidPrincipal += x
				amt -= x
			}
		}
	}
	return amt
}

// payCharges pays amt toward the unpaid charges of bucket b, oldest first,
// and returns what is left of it.
func (s *State) payCharges(b product.Bucket, amt money.Paise) money.Paise {
	for i := range s.Charges {
		c := &s.Charges[i]
		if c.Bucket == b {
			x := min(amt, c.unpaid())
			c.Paid += x
			amt -= x
		}
	}
	return amt
}

// excess handles what a payment leaves after all that is due: held as an
// advance, or prepaid against the principal (the remaining schedule is
// recomputed: tenure shortens, the instalment stays at most the EMI).
func (s *State) excess(x money.Paise) {
	if x <= 0 {
		return
	}
	if s.Terms.Excess != product.Prepayment {
		s.Advance += x
		return
	}
	first := len(s.Rows)
	for i := len(s.Rows) - 1; i >= 0; i-- {
		r := s.Rows[i]
		if r.Billed || r.PaidPrincipal > 0 || r.PaidInterest > 0 {
			break
		}
		first = i
	}
	if first == len(s.Rows) {
		s.Advance += x
		return
	}
	var b money.Paise
	for _, r := range s.Rows[first:] {
		b += r.Principal
	}
	if x >= b {
		s.Prepaid += b
		s.Rows = s.Rows[:first]
		s.Advance += x - b
		return
	}
	start := s.Disbursed
	if first > 0 {
		start = s.Rows[first-1].Due
	}
	rows, ok := s.reschedule(b-x, start, s.Rows[first].Due, len(s.Rows)-first, s.Rows[first].N)
	if !ok {
		s.Advance += x
		return
	}
	s.Prepaid += x
	s.Rows = append(s.Rows[:first:first], rows...)
}

// reschedule returns the shortest schedule of p from start with its first
// due date firstDue whose instalment is at most the loan's EMI.
func (s *State) reschedule(p money.Paise, start, firstDue schedule.Date, maxN, fromN int) ([]Row, bool) {
	rate, err := schedule.RateFromBPS(s.Terms.AnnualRateBPS)
	if err != nil {
		return nil, false
	}
	for n := 1; n <= maxN; n++ {
		sch, err := schedule.Generate(schedule.Terms{Principal: p, Rate: rate, Tenure: n, Method: s.Terms.Method,
			DayCount: s.Terms.DayCount, Start: start, FirstDue: firstDue})
		if err != nil {
			return nil, false
		}
		if sch.EMI <= s.Terms.EMI || n == maxN {
			return rowsOf(sch, fromN), true
		}
	}
	return nil, false
}

func rowsOf(sch schedule.Schedule, fromN int) []Row {
	rows := make([]Row, len(sch.Instalments))
	for i, in := range sch.Instalments {
		rows[i] = Row{N: fromN + i, Due: in.DueDate, Principal: in.Principal, Interest: in.Interest}
	}
	return rows
}

// Outstanding is what the borrower owes now: principal outstanding, billed
// interest unpaid and charges unpaid. Interest not yet due is not owed.
func (s *State) Outstanding() money.Paise {
	return s.PrincipalOutstanding() + s.interestReceivable() + s.chargesUnpaid(product.PenalCharges) + s.chargesUnpaid(product.Fees)
}

// PrincipalOutstanding is the principal not yet repaid or written off.
func (s *State) PrincipalOutstanding() money.Paise {
	var t money.Paise
	for _, r := range s.Rows {
		t += r.unpaidPrincipal()
	}
	return t
}

func (s *State) interestReceivable() money.Paise {
	var t money.Paise
	for _, r := range s.Rows {
		if r.Billed {
			t += r.unpaidInterest()
		}
	}
	return t + s.chargesUnpaid(product.Interest)
}

func (s *State) chargesUnpaid(b product.Bucket) money.Paise {
	var t money.Paise
	for _, c := range s.Charges {
		if c.Bucket == b {
			t += c.unpaid()
		}
	}
	return t
}

// DPD is the days past due on date d: the age of the oldest amount (an
// instalment or a charge) due before d and still unpaid; 0 when nothing is.
func (s *State) DPD(d schedule.Date) int {
	if s.Status != StatusActive {
		return 0
	}
	oldest := d
	for _, r := range s.Rows {
		if r.Due < oldest && r.unpaidPrincipal()+r.unpaidInterest() > 0 {
			oldest = r.Due
		}
	}
	for _, c := range s.Charges {
		if c.On < oldest && c.unpaid() > 0 {
			oldest = c.On
		}
	}
	return int(d - oldest)
}

// accrued is the interest on the principal outstanding from the last date
// interest was billed to (or disbursal) up to d, at the loan's day count.
func (s *State) accrued(d schedule.Date) money.Paise {
	from := s.Disbursed
	for _, r := range s.Rows {
		if r.Billed && r.Due > from {
			from = r.Due
		}
	}
	if d <= from {
		return 0
	}
	var num, den int64
	if s.Terms.DayCount == schedule.Actual365 {
		num, den = int64(d-from), 365
	} else {
		num, den = days360(from, d), 360
	}
	return money.Paise(mulDivRound(int64(s.PrincipalOutstanding()), s.Terms.AnnualRateBPS*num, 10000*den))
}
