package sms

// Message formats of NBFCs, digital lenders, wallets and senders the parser
// does not know. Labelling rules as in corpus_templates_test.go.

var corpusTemplates = concatTemplates(bankTemplates, lenderTemplates, walletTemplates, miscTemplates, literalTemplates)

func concatTemplates(groups ...[]tmpl) []tmpl {
	var all []tmpl
	for _, g := range groups {
		all = append(all, g...)
	}
	return all
}

var lenderTemplates = []tmpl{
	// Bajaj Finance
	{senders: sBajaj, inst: iBajaj, kind: "emi_debit", n: 3, lo: 1000, hi: 30000,
		body: "Dear Customer, EMI of Rs.{A:p} for Loan A/c 4XXXXXX{LN} has been received. Thank you for banking with Bajaj Finance."},
	{senders: sBajaj, inst: iBajaj, kind: "other", n: 2,
		body: "Your EMI of Rs {X:p} for loan XXXXXX{LN} is due on {D3}. Please maintain sufficient balance in your bank account to avoid bounce charges. - Bajaj Finance"},
	{senders: sBajaj, inst: iBajaj, kind: "bounce", n: 3, lo: 1000, hi: 30000,
		body: "Your EMI of Rs.{A:p} for Loan A/c XXXXXX{LN} has bounced. Bounce charges of Rs.{X:p} are levied. Pay now at bajajfinserv.in/pay - Bajaj Finance"},
	{senders: sBajaj, inst: iBajaj, kind: "loan_disbursal", n: 3, lo: 20000, hi: 800000,
		body: "Dear Customer, your Bajaj Finance Personal Loan of Rs.{A:in} (A/c XXXXXX{LN}) has been disbursed on {D3}. First EMI of Rs {X:p} due on {D3}."},
	{senders: sBajaj, inst: iBajaj, kind: "promotional", n: 2,
		body: "Get a Pre-approved Personal Loan of up to Rs.{BIG} from Bajaj Finance with minimal documents. Apply now: bajajfinserv.in/pl T&C apply"},
	{senders: sBajaj, inst: iBajaj, kind: "otp", n: 2,
		body: "{O} is your OTP to login to the Bajaj Finserv app. Do not share it with anyone. - Bajaj Finance"},

	// Tata Capital
	{senders: sTata, inst: iTata, kind: "loan_disbursal", n: 3, lo: 30000, hi: 1500000,
		body: "Dear Customer, we have disbursed Rs.{A:in} towards your Tata Capital Personal Loan A/c no. XXXXXX{LN} on {D3}. Thank you."},
	{senders: sTata, inst: iTata, kind: "emi_debit", n: 3, lo: 1500, hi: 40000,
		body: "Dear Customer, we have received your EMI payment of Rs.{A:p} for Loan A/c XXXXXX{LN} on {D3}. - Tata Capital"},
	{senders: sTata, inst: iTata, kind: "bounce", n: 2, lo: 1500, hi: 40000,
		body: "Dear Customer, EMI of Rs {A:p} for loan a/c XXXXXX{LN} presented on {D3} is dishonoured. Kindly pay immediately to avoid additional charges. -Tata Capital"},
	{senders: sTata, inst: iTata, kind: "promotional", n: 2,
		body: "Tata Capital: Home Loan at attractive interest rates starting 8.75% p.a. Get up to Rs {BIG}. Limited period offer. T&C apply."},

	// HDB Financial Services
	{senders: sHDB, inst: iHDB, kind: "emi_debit", n: 3, lo: 1500, hi: 30000,
		body: "Dear Customer, your EMI of Rs.{A:p} for loan no. XXXXXXX{LN} has been successfully debited via NACH on {D1}. HDB Financial Services"},
	{senders: sHDB, inst: iHDB, kind: "bounce", n: 3, lo: 1500, hi: 30000,
		body: "Dear Customer, NACH presentation of Rs.{A:p} for Loan no XXXXXXX{LN} has returned unpaid due to insufficient funds. Pay now to avoid charges -HDB Financial Services"},
	{senders: sHDB, inst: iHDB, kind: "loan_disbursal", n: 2, lo: 20000, hi: 500000,
		body: "Dear Customer, your loan no XXXXXXX{LN} for Rs.{A:in} has been disbursed on {D1}. Your first EMI is due on {D1}. HDB Financial Services"},
	{senders: sHDB, inst: iHDB, kind: "other", n: 2,
		body: "Dear Customer, your EMI of Rs.{X:p} for loan no XXXXXXX{LN} is overdue by 12 days. Please pay immediately to avoid late payment charges. HDB Financial Services"},

	// Home Credit
	{senders: sHome, inst: iHome, kind: "loan_disbursal", n: 3, lo: 5000, hi: 200000,
		body: "Dear {N}, your Home Credit loan of Rs {A:i} has been disbursed to your bank account XX{S}. Contract no. {LID}. First instalment due on {D3}."},
	{senders: sHome, inst: iHome, kind: "emi_debit", n: 3, lo: 500, hi: 15000,
		body: "We have received your payment of Rs {A:i} for contract {LID}. Thank you! - Home Credit"},
	{senders: sHome, inst: iHome, kind: "promotional", n: 2,
		body: "Home Credit: You are eligible for a loan of up to Rs {BIG}! Get money in your account in minutes. Apply in the app. T&C apply"},

	// KreditBee
	{senders: sKB, inst: iKB, kind: "loan_disbursal", n: 3, lo: 1000, hi: 200000,
		body: "Hi {N}, Rs.{A:i} has been disbursed to your bank account XXXXXX{S} against your KreditBee loan {LID}. Repay by {D3}."},
	{senders: sKB, inst: iKB, kind: "emi_debit", n: 3, lo: 500, hi: 30000,
		body: "Hi, we have received your repayment of Rs.{A:p} for loan {LID}. Thank you for choosing KreditBee!"},
	{senders: sKB, inst: iKB, kind: "promotional", n: 2,
		body: "Your KreditBee limit of Rs {BIG} is ready! Get instant cash in 10 mins. Apply now. T&C"},
	{senders: sKB, inst: iKB, kind: "otp", n: 2,
		body: "{O} is your KreditBee verification code. Do not share it with anyone."},
	{senders: sKB, inst: iKB, kind: "other", n: 2,
		body: "Your KreditBee loan repayment of Rs {X:i} is overdue. Pay now to avoid a late fee and impact on your credit score."},

	// MoneyView
	{senders: sMV, inst: iMV, kind: "loan_disbursal", n: 3, lo: 5000, hi: 500000,
		body: "Congratulations! Your Moneyview loan of Rs.{A:in} has been disbursed to your bank a/c XXXX{S}. First EMI on {D3}."},
	{senders: sMV, inst: iMV, kind: "emi_debit", n: 3, lo: 500, hi: 30000,
		body: "Your EMI of Rs.{A:p} for Moneyview loan {LID} has been received on {D3}. Thank you."},
	{senders: sMV, inst: iMV, kind: "bounce", n: 2, lo: 500, hi: 30000,
		body: "Your EMI of Rs {A:p} for Moneyview loan {LID} has bounced due to insufficient funds. Please pay to avoid charges and impact on credit score."},
	{senders: sMV, inst: iMV, kind: "promotional", n: 2,
		body: "Need funds? Get a personal loan up to Rs {BIG} from Moneyview in 24 hrs. Check eligibility in 2 mins. Apply now: mvw.in/a T&C apply"},

	// Navi
	{senders: sNavi, inst: iNavi, kind: "loan_disbursal", n: 3, lo: 10000, hi: 2000000,
		body: "Rs {A:in} has been credited to your bank a/c XXXX{S} towards your Navi personal loan. Loan ID {LID}."},
	{senders: sNavi, inst: iNavi, kind: "emi_debit", n: 3, lo: 1000, hi: 50000,
		body: "EMI of Rs {A:p} for your Navi loan was auto-debited from a/c XXXX{S} on {D3}."},
	{senders: sNavi, inst: iNavi, kind: "otp", n: 2,
		body: "Your OTP for Navi is {O}. It is valid for 10 minutes. Do not share it with anyone."},

	// Fibe (formerly EarlySalary)
	{senders: sFibe, inst: iFibe, kind: "loan_disbursal", n: 3, lo: 5000, hi: 300000,
		body: "Hi {N}, Rs.{A:i} has been transferred to your bank account XXXXXXXX{S} towards your Fibe loan {LID}."},
	{senders: sFibe, inst: iFibe, kind: "emi_debit", n: 2, lo: 500, hi: 30000,
		body: "Your Fibe EMI of Rs.{A:p} has been successfully paid on {D3}. Thank you!"},
	{senders: sFibe, inst: iFibe, kind: "bounce", n: 2, lo: 500, hi: 30000,
		body: "Your Fibe EMI of Rs.{A:p} due on {D3} could not be collected as the NACH mandate was rejected by your bank (insufficient balance)."},
}

var walletTemplates = []tmpl{
	// Paytm
	{senders: sPaytm, inst: iPaytm, kind: "debit", n: 3, lo: 10, hi: 3000,
		body: "Paid Rs.{A:p} to {M} from Paytm Balance. Updated Balance: Paytm Wallet- Rs {B:p}."},
	{senders: sPaytm, inst: iPaytm, kind: "credit", n: 2, lo: 10, hi: 20000,
		body: "Rs.{A:p} received from {N} in your Paytm Payments Bank a/c XX{S}. UPI Ref: {R}."},
	{senders: sPaytm, inst: iPaytm, kind: "credit", n: 2, lo: 5, hi: 200,
		body: "You have received cashback of Rs.{A:p} in your Paytm Wallet for your {M} payment. Updated Balance: Rs {B:p}"},
	{senders: sPaytm, inst: iPaytm, kind: "promotional", n: 2,
		body: "Get flat Rs.100 cashback on your first electricity bill payment via Paytm UPI. Use code PAYBILL. T&C apply"},
	{senders: sPaytm, inst: iPaytm, kind: "otp", n: 2,
		body: "{O} is your Paytm verification code. Do not share it with anyone, Paytm never asks for it."},
	{senders: sPaytm, inst: iPaytm, kind: "other", n: 2,
		body: "Your Paytm Postpaid bill of Rs {X:p} is due on {D3}. Pay now to avoid a late fee."},

	// PhonePe
	{senders: sPhPe, inst: iPhPe, kind: "debit", n: 3, lo: 10, hi: 9000,
		body: "Paid Rs {A:p} to {N} from your a/c XX{S}. UPI Ref {R} - PhonePe"},
	{senders: sPhPe, inst: iPhPe, kind: "credit", n: 2, lo: 10, hi: 20000,
		body: "Received Rs {A:p} from {N} in your a/c XX{S}. UPI Ref {R} - PhonePe"},
	{senders: sPhPe, inst: iPhPe, kind: "other", n: 2,
		body: "{N} has requested money (Rs {X:p}) from you on PhonePe. Pay only if you know the sender."},
	{senders: sPhPe, inst: iPhPe, kind: "promotional", n: 2,
		body: "Win up to Rs 1000 cashback on your first bill payment on PhonePe. Offer valid till {D3}. T&C"},
	{senders: sPhPe, inst: iPhPe, kind: "otp", n: 2,
		body: "Your PhonePe OTP is {O}. Valid for 10 minutes. Do not share this OTP with anyone."},

	// Amazon Pay
	{senders: sAmzn, inst: iAmzn, kind: "debit", n: 3, lo: 10, hi: 5000,
		body: "You've paid Rs.{A:p} to {M} using Amazon Pay balance. Balance: Rs.{B:p}"},
	{senders: sAmzn, inst: iAmzn, kind: "credit", n: 2, lo: 100, hi: 10000,
		body: "Rs.{A:p} added to your Amazon Pay balance. Updated balance: Rs.{B:p}"},
	{senders: sAmzn, inst: iAmzn, kind: "credit", n: 2, lo: 50, hi: 5000,
		body: "Refund of Rs.{A:p} for your order has been credited to your Amazon Pay balance."},
	{senders: sAmzn, inst: iAmzn, kind: "promotional", n: 2,
		body: "Amazon Pay Later: Get instant credit of up to Rs 60,000. Activate now in 2 minutes. T&C apply"},
	{senders: sAmzn, inst: iAmzn, kind: "otp", n: 2,
		body: "{O} is your Amazon OTP. Do not share it with anyone."},
}

// miscTemplates: other message shapes seen from the same senders, plus
// senders that are not financial institutions (institution null) and a
// phone-number sender whose bank is named only in the body.
var miscTemplates = []tmpl{
	{senders: []string{"+919812345670", "9812345671"}, inst: iHDFC, kind: "debit", n: 2, lo: 10, hi: 5000,
		body: "Rs.{A:p} debited from HDFC Bank A/c XX{S} on {D1} to VPA {V}. Not you? Call 18002586161"},
	{senders: []string{"VM-SWIGGY", "AD-ZOMATO"}, kind: "promotional", n: 2,
		body: "Flat 50% OFF up to Rs 100 on your next order! Use code HUNGRY. Order now. T&C apply"},
	{senders: []string{"VM-AIRTEL", "JD-JIOINF"}, kind: "other", n: 2,
		body: "Your bill of Rs {X:p} for mobile number 98XXXXXX21 is due on {D3}. Pay now to avoid disconnection."},
	{senders: sICICI, inst: iICICI, kind: "other", n: 2,
		body: "Dear Customer, the available balance in your ICICI Bank Acct XX{S3} is Rs {B:in} as on {D4}."},
	{senders: sAxis, inst: iAxis, kind: "other", n: 2,
		body: "Dear Customer, your Axis Bank Debit Card XX{S} has been dispatched and will reach you in 5 working days."},
	{senders: sSBI, inst: iSBI, kind: "other", n: 2,
		body: "Dear Customer, your e-mandate of Rs {X:p} in favour of {L} on A/c XXXXX{S} has been registered successfully. -SBI"},
	{senders: sKotak, inst: iKotak, kind: "other", n: 2,
		body: "Your UPI payment of Rs.{X:p} to {V} from Kotak Bank AC X{S} failed due to insufficient balance. No amount was debited."},
	{senders: sHDFC, inst: iHDFC, kind: "other", n: 2,
		body: "Your EMI of Rs.{X:p} for HDFC Bank Loan XXXXXXXX{LN} will be debited from A/c XX{S} on {D4}. Please keep sufficient balance to avoid charges."},
	{senders: sTata, inst: iTata, kind: "other", n: 2,
		body: "Dear Customer, your Personal Loan of Rs.{X:in} has been sanctioned. Please sign the agreement in the Tata Capital app to proceed."},
	{senders: sICICI, inst: iICICI, kind: "debit", n: 2, lo: 500, hi: 25000,
		body: "ICICI Bank Acct XX{S3} debited with Rs {A:p} on {D4} towards NACH-ICICI PRU MF SIP. Avl Bal Rs {B:p}."},
	{senders: sAxis, inst: iAxis, kind: "credit", n: 2, lo: 50, hi: 5000,
		body: "INR {A:p} reversed to A/c no. XX{S} on {D1} for failed UPI txn {R}. Axis Bank"},
	{senders: sBoB, inst: iBoB, kind: "other", n: 2,
		body: "Dear Customer, update your KYC details for A/c ...{S} by {D3} to avoid restrictions. Visit your branch. - Bank of Baroda"},
	{senders: sKB, inst: iKB, kind: "promotional", n: 2,
		body: "Loan disbursed in 10 minutes! Get up to Rs {BIG} with KreditBee. Apply now. T&C apply"},
	{senders: sYes, inst: iYes, kind: "salary_credit", n: 2, lo: 15000, hi: 200000,
		body: "INR {A:in} credited to your A/c XXXXXXXX{S} on {D4} by NEFT from {E} - Salary for {MON}. Avl Bal: INR {B:in} - YES BANK"},
	{senders: sCanara, inst: iCanara, kind: "loan_disbursal", n: 2, lo: 10000, hi: 300000,
		body: "An amount of INR {A:in} has been CREDITED to your account XXX{S} on {D3} towards NEFT/{R}/KREDITBEE LOAN DISB. Total Avail.bal INR {B:in} - Canara Bank"},
	{senders: sPNB, inst: iPNB, kind: "emi_debit", n: 2, lo: 1000, hi: 30000,
		body: "Ac XX{S} debited INR {A:p} on {D1} {T} thru ECS/{L}.Bal INR {B:p} CR.Not you? Call 18001800-PNB"},
}
