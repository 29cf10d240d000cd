package simulator

// The generator's feature groups: each fills one part of a synthetic
// customer's features from its person (see customer in generate.go).

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

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
