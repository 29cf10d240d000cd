package simulator

import (
	"fmt"
	"io"
	"iter"
	"math"
	"math/rand/v2"
	"time"
)

// Epoch is the start of the window synthetic decisions fall in; decisions
// are spread over the 180 days that follow it.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	windowSeconds = 180 * 24 * 3600
	blockSize     = 1000 // fraud rings are laid out per block of customers
)

// Generate writes n synthetic customers (one JSON line each, see AppendJSON)
// to w. The output is a pure function of n and seed: the same arguments give
// byte-identical output. Memory use does not grow with n. progress, when
// not nil, is called after every 4096 customers with the count so far.
func Generate(w io.Writer, n int, seed uint64, progress func(done int)) error {
	buf := make([]byte, 0, 8192)
	i := 0
	for r := range Customers(n, seed) {
		buf = AppendJSON(buf[:0], &r)
		buf = append(buf, '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
		i++
		if progress != nil && i%4096 == 0 {
			progress(i)
		}
	}
	if progress != nil {
		progress(i)
	}
	return nil
}

// Customers yields n synthetic customers in id order; see Generate. The demo
// mode seeds its customers' features from it.
func Customers(n int, seed uint64) iter.Seq[Record] {
	return func(yield func(Record) bool) {
		var layout *blockLayout
		for i := range n {
			if b := i / blockSize; layout == nil || layout.block != b {
				layout = newBlockLayout(seed, b)
			}
			if !yield(customer(seed, i, layout)) {
				return
			}
		}
	}
}

// Customer returns the i-th (0-based) customer of the dataset for seed,
// exactly as Customers yields it.
func Customer(seed uint64, i int) Record {
	return customer(seed, i, newBlockLayout(seed, i/blockSize))
}

// blockLayout places fraud rings within one block of customers: members of
// a ring share a device and a bank account and apply within a few days.
type blockLayout struct {
	block  int
	ringOf [blockSize]int16 // -1: not in a ring
	rings  []ring
}

type ring struct {
	size  int
	start int64 // unix seconds around which its members apply
}

func newBlockLayout(seed uint64, block int) *blockLayout {
	rng := rand.New(rand.NewPCG(seed^0x72696e6773, uint64(block)))
	l := &blockLayout{block: block}
	for i := range l.ringOf {
		l.ringOf[i] = -1
	}
	nrings := poisson(rng, 2.5)
	for r := range nrings {
		size := 3 + rng.IntN(6)
		l.rings = append(l.rings, ring{size: size, start: Epoch.Unix() + rng.Int64N(windowSeconds-7*86400)})
		for placed := 0; placed < size; {
			j := rng.IntN(blockSize)
			if l.ringOf[j] == -1 {
				l.ringOf[j] = int16(r)
				placed++
			}
		}
	}
	return l
}

func customerRNG(seed uint64, i int) *rand.Rand {
	return rand.New(rand.NewPCG(seed, splitmix(uint64(i)+0x9e3779b97f4a7c15)))
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// person is the latent state behind one synthetic customer: what is true
// about them, of which the features are noisy evidence.
type person struct {
	quality    float64 // credit quality, N(0,1); higher is better
	hunger     float64 // appetite for credit, N(0,1)
	trueIncome int64   // rupees a month
	inflated   bool    // declared income well above the true income
	fraud      bool    // the application is fraudulent
	ring       int     // fraud ring index in the block, -1 when none
	ringSize   int
}

func customer(seed uint64, i int, layout *blockLayout) Record {
	rng := customerRNG(seed, i)
	g := &gen{rng: rng, f: make(map[string]any, 96)}
	p := person{quality: rng.NormFloat64(), hunger: rng.NormFloat64(), ring: -1}
	ringIdx := int(layout.ringOf[i%blockSize])
	var at time.Time
	if ringIdx >= 0 {
		rg := layout.rings[ringIdx]
		p.ring, p.ringSize, p.fraud = ringIdx, rg.size, true
		at = time.Unix(rg.start+rng.Int64N(5*86400), 0).UTC()
	} else {
		at = time.Unix(Epoch.Unix()+rng.Int64N(windowSeconds), 0).UTC()
		p.fraud = rng.Float64() < 0.008 // lone fraudsters: identity theft, account takeover
	}
	id := fmt.Sprintf("C%08d", i+1)
	rec := Record{CustomerID: id, DecidedAt: at, Step: "application"}
	rec.Entities = map[string]string{
		"device":       fmt.Sprintf("D%08d", i+1),
		"bank_account": fmt.Sprintf("BA%08d", i+1),
		"phone":        fmt.Sprintf("PH%08d", i+1),
		"pan":          fmt.Sprintf("PAN%08d", i+1),
	}
	if p.ring >= 0 {
		rec.Entities["device"] = fmt.Sprintf("DR%05d-%d", layout.block, p.ring)
		rec.Entities["bank_account"] = fmt.Sprintf("BAR%05d-%d", layout.block, p.ring)
	}

	g.profile(&p, at)
	g.bureau(&p, at)
	g.sms(&p)
	g.kyc(&p, at)
	if p.ring >= 0 {
		// Ring members share the device and the bank account: draw their
		// features once per ring so every member reports the same ones.
		rg := &gen{rng: rand.New(rand.NewPCG(seed^0x646576696365, uint64(layout.block)<<16|uint64(p.ring))), f: g.f}
		rg.device(&p, time.Unix(layout.rings[p.ring].start, 0).UTC())
		rg.bank(&p)
	} else {
		g.device(&p, at)
		g.bank(&p)
	}
	g.payments(&p, seed, i)
	rec.Features = g.f
	rec.Input = g.input(&p, rec.Entities["device"])
	rec.Labels = g.labels(&p, rec.Input)
	return rec
}

// gen draws one customer's features into f.
type gen struct {
	rng *rand.Rand
	f   map[string]any
}

func (g *gen) u(lo, hi float64) float64 { return lo + (hi-lo)*g.rng.Float64() }
func (g *gen) p(prob float64) bool      { return g.rng.Float64() < prob }
func (g *gen) i(lo, hi int) int64       { return int64(lo + g.rng.IntN(hi-lo+1)) }
func (g *gen) round2(x float64) float64 { return math.Round(x*100) / 100 }

// pick chooses among options by weight.
func (g *gen) pick(options []string, weights []float64) string {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := g.rng.Float64() * total
	for k, w := range weights {
		if x < w {
			return options[k]
		}
		x -= w
	}
	return options[len(options)-1]
}

type city struct {
	state  string
	tier   int64
	prefix int
}

var cities = []city{
	{"MH", 1, 400}, {"DL", 1, 110}, {"KA", 1, 560}, {"TG", 1, 500}, {"TN", 1, 600}, {"WB", 1, 700}, {"MH", 1, 411}, {"GJ", 1, 380},
	{"RJ", 2, 302}, {"UP", 2, 226}, {"MP", 2, 452}, {"MH", 2, 440}, {"TN", 2, 641}, {"KL", 2, 682}, {"BR", 2, 800}, {"CH", 2, 160},
	{"BR", 3, 842}, {"UP", 3, 243}, {"WB", 3, 734}, {"TG", 3, 506}, {"KA", 3, 580}, {"RJ", 3, 311}, {"OD", 3, 768}, {"AS", 3, 781},
}

var medianIncome = map[int64]float64{1: 42000, 2: 32000, 3: 24000}

func (g *gen) profile(p *person, at time.Time) {
	c := cities[g.rng.IntN(len(cities))]
	g.f["state"] = c.state
	g.f["city_tier"] = c.tier
	g.f["pincode"] = fmt.Sprintf("%03d%03d", c.prefix, g.rng.IntN(1000))
	emp := g.pick([]string{"salaried", "self_employed", "student", "unemployed", "retired"}, []float64{68, 25, 3, 2, 2})
	if p.ring >= 0 {
		emp = "salaried" // rings claim salaried jobs
	}
	g.f["employment_type"] = emp
	// Applicants are mostly in their twenties and thirties; a few are
	// below the minimum age or above the maximum.
	age := int64(math.Round(22 + math.Abs(9*g.rng.NormFloat64()) + 3*g.rng.Float64()))
	if g.p(0.03) {
		age = g.i(18, 20)
	}
	switch emp {
	case "student":
		age = g.i(18, 25)
	case "retired":
		age = g.i(55, 68)
	}
	g.f["age"] = max(18, min(age, 70))
	mult := map[string]float64{"salaried": 1, "self_employed": 1.1, "student": 0.25, "unemployed": 0.15, "retired": 0.6}[emp]
	income := medianIncome[c.tier] * mult * math.Exp(0.55*g.rng.NormFloat64()+0.15*p.quality)
	p.trueIncome = max(4000, int64(income/100)*100)
	declared := float64(p.trueIncome) * (1 + 0.03*g.rng.NormFloat64())
	if p.fraud || g.p(0.12) {
		p.inflated = true
		declared = float64(p.trueIncome) * g.u(1.3, 2.0)
	}
	if p.ring >= 0 {
		declared = g.u(40000, 90000)
	}
	g.f["monthly_income"] = max(5000, int64(declared/1000)*1000)
	if emp == "salaried" {
		g.f["employer_category"] = g.pick([]string{"cat_a", "cat_b", "cat_c", "unlisted"}, []float64{20, 30, 25, 25})
		g.f["months_at_current_employer"] = g.i(1, 120)
	}
	g.f["residence_type"] = g.pick([]string{"owned", "rented", "family", "company"}, []float64{25, 45, 27, 3})
	g.f["email_domain"] = g.pick([]string{"gmail.com", "yahoo.co.in", "outlook.com", "rediffmail.com", "tcs.com", "infosys.com", "icloud.com"}, []float64{70, 8, 5, 3, 4, 4, 6})
	g.f["pep_sanctions_hit"] = g.p(0.001)
	g.f["bureau_consent"] = g.p(0.985)
	g.f["data_sharing_consent"] = g.p(0.95)
	_ = at
}

func (g *gen) bureau(p *person, at time.Time) {
	age := g.f["age"].(int64)
	ntcProb := 0.12
	if age < 25 {
		ntcProb = 0.3
	}
	if p.ring >= 0 {
		ntcProb = 0.5
	}
	g.f["bureau_pulled_at"] = at.Add(-time.Duration(g.rng.Int64N(20*86400)) * time.Second)
	hunger := max(p.hunger, 0)
	if g.p(ntcProb) {
		g.f["bureau_score"] = int64(-1)
		g.f["bureau_vintage_months"] = int64(0)
		g.f["bureau_tradelines"] = int64(0)
		g.f["bureau_enquiries_30d"] = int64(poisson(g.rng, 0.5+hunger))
		g.f["bureau_enquiries_90d"] = g.f["bureau_enquiries_30d"].(int64) + int64(poisson(g.rng, 0.5+hunger))
		return
	}
	score := 720 + 55*p.quality + 12*g.rng.NormFloat64() - 8*hunger
	g.f["bureau_score"] = int64(max(300, min(900, math.Round(score))))
	vintage := int64(max(1, float64(age-20)*12*g.u(0.15, 1)))
	if p.ring >= 0 || g.p(0.05) {
		vintage = g.i(1, 8)
	}
	g.f["bureau_vintage_months"] = min(vintage, 300)
	tradelines := 1 + int64(poisson(g.rng, float64(vintage)/30+2*hunger))
	if vintage < 9 {
		tradelines = g.i(1, 2)
	}
	g.f["bureau_tradelines"] = tradelines
	// Delinquency grows as quality falls.
	var maxDPD int64
	if g.p(logistic(-2.6 - 1.5*p.quality)) {
		maxDPD = []int64{5, 12, 20, 35, 45, 60, 95, 120}[min(7, int(g.rng.ExpFloat64()*2.2))]
	}
	g.f["max_dpd_12m"] = maxDPD
	dpd30 := int64(0)
	if maxDPD >= 30 {
		dpd30 = 1 + int64(poisson(g.rng, 0.8-0.5*min(p.quality, 0)))
	} else if g.p(0.04) {
		dpd30 = 1
	}
	g.f["dpd_30_plus_count_24m"] = dpd30
	dpd90 := int64(0)
	if maxDPD >= 90 || (p.quality < -1.2 && g.p(0.15)) {
		dpd90 = g.i(1, 3)
	}
	g.f["dpd_90_plus_count_36m"] = dpd90
	g.f["written_off_accounts"] = boolInt(g.p(logistic(-5.2 - 1.6*p.quality)))
	g.f["settled_accounts"] = boolInt(g.p(logistic(-4.8 - 1.4*p.quality)))
	g.f["suit_filed_or_wilful_default"] = p.quality < -1.5 && g.p(0.02)
	active := min(tradelines, int64(poisson(g.rng, 0.8+1.2*hunger)))
	g.f["active_loans"] = active
	g.f["unsecured_loans_opened_6m"] = int64(poisson(g.rng, 0.3+1.4*hunger))
	enq30 := int64(poisson(g.rng, 0.5+1.8*hunger))
	g.f["bureau_enquiries_30d"] = enq30
	g.f["bureau_enquiries_90d"] = enq30 + int64(poisson(g.rng, 0.8+2*hunger))
	emi := int64(0)
	if active > 0 {
		share := max(0.02, min(0.8, 0.16+0.08*p.hunger+0.08*g.rng.NormFloat64()))
		emi = int64(float64(p.trueIncome)*share/100) * 100
	}
	g.f["total_emi"] = emi
	if g.p(0.45) {
		g.f["credit_card_utilisation_pct"] = g.round2(max(0, min(100, 35-18*p.quality+12*g.rng.NormFloat64())))
	}
}

func (g *gen) sms(p *person) {
	if !g.f["data_sharing_consent"].(bool) {
		return
	}
	emp := g.f["employment_type"].(string)
	salary := int64(0)
	switch {
	case p.ring >= 0:
		if g.p(0.3) {
			salary = g.i(8000, 20000)
		}
	case emp == "salaried" && g.p(0.88), emp == "self_employed" && g.p(0.1), emp == "retired" && g.p(0.5):
		salary = int64(float64(p.trueIncome) * g.u(0.92, 1.0))
	}
	g.f["sms_salary_median_3m"] = salary
	credits := int64(0)
	if salary > 0 {
		credits = 3
		if g.p(0.1) {
			credits = 2
		}
	}
	g.f["sms_salary_credits_90d"] = credits
	active := int64(0)
	if v, ok := g.f["active_loans"].(int64); ok {
		active = v
	}
	bounces := 0
	if active > 0 {
		bounces = poisson(g.rng, math.Exp(-2.4-1.2*p.quality+0.4*p.hunger))
	}
	g.f["sms_emi_bounces_90d"] = int64(bounces)
	hunger := max(p.hunger, 0)
	disb := int64(poisson(g.rng, 0.1+0.6*hunger*hunger))
	g.f["sms_lender_disbursals_30d"] = disb
	g.f["sms_distinct_lenders_90d"] = disb + int64(poisson(g.rng, 0.3*hunger))
	g.f["sms_overdue_reminders_30d"] = int64(poisson(g.rng, math.Exp(-1.8-1.3*p.quality)))
	avg := float64(p.trueIncome) * g.u(0.1, 1.4) * math.Exp(0.3*p.quality)
	g.f["sms_avg_balance_3m"] = int64(avg)
	g.f["sms_min_balance_30d"] = int64(avg * g.u(0, 0.4))
	if emi, ok := g.f["total_emi"].(int64); ok && emi > 0 {
		g.f["sms_emi_debit_total_30d"] = int64(float64(emi) * g.u(0.85, 1.0))
	}
	if salary > 0 && g.p(0.25) {
		g.f["sms_max_credit_7d"] = salary
	} else {
		g.f["sms_max_credit_7d"] = int64(float64(p.trueIncome) * g.u(0, 0.3))
	}
}

func (g *gen) kyc(p *person, at time.Time) {
	lone := p.fraud && p.ring < 0
	g.f["pan_name_match_score"] = g.i(86, 100)
	if p.ring >= 0 || lone || g.p(0.04) {
		g.f["pan_name_match_score"] = g.i(55, 90)
	}
	g.f["pan_dob_match"] = !g.p(0.02)
	okyc := g.pick([]string{"success", "pending", "failed", "not_attempted"}, []float64{90, 3, 2, 5})
	g.f["aadhaar_okyc_status"] = okyc
	if okyc == "success" {
		g.f["aadhaar_name_match_score"] = g.i(80, 100)
	}
	g.f["liveness_score"] = g.round2(g.u(0.85, 0.99))
	g.f["face_match_score"] = g.round2(g.u(0.8, 0.99))
	if lone && g.p(0.5) {
		g.f["face_match_score"] = g.round2(g.u(0.5, 0.8))
	}
	g.f["ckyc_found"] = g.p(0.6)
	g.f["video_kyc_status"] = g.pick([]string{"not_attempted", "approved", "pending", "rejected"}, []float64{90, 8, 1, 1})
	g.f["kyc_completed_at"] = at.Add(-time.Duration(g.rng.Int64N(72*3600)) * time.Second)
	g.f["kyc_attempts_24h"] = g.i(1, 2)
	g.f["pan_status"] = g.pick([]string{"valid", "invalid", "deactivated"}, []float64{995, 3, 2})
	g.f["pan_aadhaar_linked"] = !g.p(0.03)
	g.f["customers_per_pan"] = 1 + boolInt(g.p(0.003))
	g.f["pan_applications_30d"] = 1 + int64(poisson(g.rng, 0.2+max(p.hunger, 0)))
	phoneAge := int64(math.Exp(6.5 + g.rng.NormFloat64()))
	if p.ring >= 0 {
		phoneAge = g.i(1, 60)
	}
	g.f["phone_age_days"] = max(3, min(phoneAge, 5000))
	g.f["customers_per_phone"] = boolInt(g.p(0.03))
	g.f["disposable_phone"] = g.p(0.002) || (p.ring >= 0 && g.p(0.2))
	g.f["phone_ported_30d"] = g.p(0.015) || (lone && g.p(0.3))
	g.f["otp_requests_1h"] = g.i(1, 2)
}

func (g *gen) device(p *person, at time.Time) {
	lone := p.fraud && p.ring < 0
	hunger := max(p.hunger, 0)
	if p.ring >= 0 {
		hunger = 1 // the ring's device, the same for every member
	}
	g.f["customers_per_device"] = 1 + boolInt(g.p(0.04))
	if p.ring >= 0 {
		g.f["customers_per_device"] = int64(p.ringSize)
	}
	g.f["device_rooted"] = g.p(0.02) || (p.ring >= 0 && g.p(0.3))
	g.f["emulator"] = g.p(0.003) || (p.ring >= 0 && g.p(0.25))
	g.f["device_blocklisted"] = g.p(0.001)
	g.f["lending_apps_installed"] = int64(poisson(g.rng, 1.5+2.5*hunger))
	betting := int64(0)
	if g.p(0.08) {
		betting = g.i(1, 4)
	}
	g.f["betting_apps_installed"] = betting
	g.f["remote_access_apps_installed"] = boolInt(g.p(0.015) || (lone && g.p(0.6)))
	g.f["device_first_seen_at"] = at.Add(-time.Duration(g.rng.Int64N(700*86400)) * time.Second)
	g.f["sim_changed_7d"] = g.p(0.02) || (lone && g.p(0.4))
	g.f["vpn_active"] = g.p(0.03) || (p.ring >= 0 && g.p(0.3))
	g.f["mock_location"] = g.p(0.005)
	g.f["device_os"] = g.pick([]string{"android", "ios"}, []float64{93, 7})
	g.f["ip_country"] = "IN"
	if g.p(0.004) {
		g.f["ip_country"] = g.pick([]string{"AE", "SG", "US", "NP"}, []float64{4, 2, 2, 1})
	}
	g.f["signups_per_device_24h"] = boolInt(g.p(0.05))
	g.f["new_device_for_customer"] = g.p(0.1) || (lone && g.p(0.7))
	g.f["login_failures_1h"] = int64(poisson(g.rng, 0.1))
	g.f["mpin_reset_24h"] = g.p(0.02)
	g.f["ip_risk_score"] = int64(min(100, g.rng.ExpFloat64()*8))
	g.f["loan_applications_7d"] = 1 + int64(poisson(g.rng, 0.2+0.9*hunger))
	if p.ring >= 0 {
		g.f["ip_risk_score"] = g.i(30, 90)
	}
}

var banks = []string{"HDFC", "ICIC", "SBIN", "UTIB", "KKBK", "PUNB", "BARB", "CNRB", "YESB", "IDIB"}

func (g *gen) bank(p *person) {
	g.f["penny_drop_status"] = g.pick([]string{"success", "failed", "pending"}, []float64{96, 2, 2})
	g.f["penny_drop_name_match"] = g.i(85, 100)
	g.f["bank_account_type"] = g.pick([]string{"savings", "current", "wallet"}, []float64{91, 8, 1})
	g.f["bank_ifsc"] = fmt.Sprintf("%s0%06d", banks[g.rng.IntN(len(banks))], g.rng.IntN(1000000))
	g.f["bank_account_age_days"] = g.i(30, 3500)
	g.f["customers_per_bank_account"] = int64(1)
	g.f["inbound_credits_24h"] = int64(poisson(g.rng, 0.5))
	g.f["inbound_credit_amount_24h"] = int64(float64(g.f["inbound_credits_24h"].(int64)) * g.u(200, 5000))
	g.f["distinct_payers_7d"] = int64(poisson(g.rng, 1))
	g.f["bank_account_mule_flag"] = g.p(0.0005)
	if p.ring >= 0 {
		g.f["penny_drop_name_match"] = g.i(40, 90)
		g.f["bank_account_age_days"] = g.i(1, 40)
		g.f["customers_per_bank_account"] = int64(p.ringSize)
		g.f["inbound_credits_24h"] = g.i(5, 40)
		g.f["inbound_credit_amount_24h"] = g.i(20000, 400000)
		g.f["distinct_payers_7d"] = g.i(5, 60)
		g.f["bank_account_mule_flag"] = g.p(0.2)
	}
	// Genuine applicants set up the repayment mandate (eNACH/UPI Autopay)
	// with the application; fraudsters often leave it pending, failed or
	// not started. (The draw is made for everyone, so the values drawn
	// after it stay as they were.)
	mandate := g.pick([]string{"none", "active", "pending", "failed"}, []float64{40, 30, 20, 10})
	if !p.fraud {
		mandate = "active"
	}
	g.f["mandate_status"] = mandate
}

// payments draws the features of the customer's repayment instrument from
// its own stream (seed, i), so adding them leaves every other value as it
// was: the risk score of the account or VPA they pay from is low for most,
// high for fraud-ring members.
func (g *gen) payments(p *person, seed uint64, i int) {
	rng := rand.New(rand.NewPCG(seed^0x7061796d656e74, uint64(i)))
	risk := int64(min(100, rng.ExpFloat64()*10))
	if p.ring >= 0 {
		risk = int64(40 + rng.IntN(56))
	}
	g.f["payment_source_risk"] = risk
}

var tenures = []int64{3, 6, 9, 12, 18, 24, 36}

func (g *gen) input(p *person, device string) map[string]any {
	mult := math.Exp(0.7 + 0.6*g.rng.NormFloat64() + 0.2*p.hunger)
	if p.fraud {
		mult *= 2
	}
	amount := int64(float64(g.f["monthly_income"].(int64))*mult/1000) * 1000
	amount = max(5000, min(amount, 800000))
	tenure := tenures[min(len(tenures)-1, int(g.pickIndex([]float64{5, 15, 10, 35, 15, 15, 5})))]
	return map[string]any{
		"amount":        amount,
		"tenure_months": tenure,
		"loan_purpose":  g.pick([]string{"personal", "medical", "education", "travel", "business", "other"}, []float64{45, 12, 10, 8, 10, 15}),
		"device_id":     device,
	}
}

func (g *gen) pickIndex(weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := g.rng.Float64() * total
	for k, w := range weights {
		if x < w {
			return k
		}
		x -= w
	}
	return len(weights) - 1
}

// labels draws the outcomes. Default depends on credit quality (which the
// bureau score reflects), credit hunger, the true obligation burden with the
// new loan, income inflation, bounces, betting and delinquency history;
// fraudulent applications almost always default.
func (g *gen) labels(p *person, input map[string]any) Labels {
	amount := float64(input["amount"].(int64))
	tenure := float64(input["tenure_months"].(int64))
	emi := 0.0
	if v, ok := g.f["total_emi"].(int64); ok {
		emi = float64(v)
	}
	trueFOIR := (emi + amount*0.02 + amount/tenure) / float64(p.trueIncome)
	x := -3.3 - 0.9*p.quality + 0.35*p.hunger + 1.2*min(trueFOIR-0.35, 1.5)
	if p.inflated {
		x += 0.6
	}
	if b, _ := g.f["sms_emi_bounces_90d"].(int64); b > 0 {
		x += 0.5 * float64(min(b, 3))
	}
	if g.f["betting_apps_installed"].(int64) > 0 {
		x += 0.4
	}
	if g.f["bureau_score"].(int64) == -1 {
		x += 0.4
	}
	if g.f["max_dpd_12m"] != nil && g.f["max_dpd_12m"].(int64) >= 30 {
		x += 0.5
	}
	if g.f["lending_apps_installed"].(int64) >= 8 {
		x += 0.3
	}
	switch g.f["employment_type"] {
	case "self_employed":
		x += 0.2
	case "student", "unemployed":
		x += 0.8
	}
	if g.f["employer_category"] == "cat_a" {
		x -= 0.3
	}
	l := Labels{Fraud: p.fraud && g.p(0.9)}
	l.Default90d = g.p(logistic(x)) || (p.fraud && g.p(0.9))
	return l
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// poisson draws from a Poisson distribution (Knuth's method; lambda is
// small here).
func poisson(rng *rand.Rand, lambda float64) int {
	if lambda <= 0 {
		return 0
	}
	lambda = min(lambda, 30)
	l := math.Exp(-lambda)
	k, p := 0, 1.0
	for {
		p *= rng.Float64()
		if p <= l {
			return k
		}
		k++
	}
}
