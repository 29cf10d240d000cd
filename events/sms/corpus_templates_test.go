package sms

// Message formats of the corpus, by sender. Labels are a human reader's:
//   - a reminder ("is due", "will be debited") or a failed/declined payment
//     that moved no money is "other";
//   - a lender's "we have received your EMI/repayment" is "emi_debit";
//   - a credit whose narration names a lender or a loan is "loan_disbursal";
//   - an EMI or NACH return is "bounce" with the amount that bounced;
//   - amounts are reported only for the six transaction kinds.

const (
	iHDFC   = "HDFC Bank"
	iICICI  = "ICICI Bank"
	iSBI    = "SBI"
	iAxis   = "Axis Bank"
	iKotak  = "Kotak Mahindra Bank"
	iPNB    = "Punjab National Bank"
	iBoB    = "Bank of Baroda"
	iCanara = "Canara Bank"
	iUnion  = "Union Bank of India"
	iIDFC   = "IDFC First Bank"
	iIndus  = "IndusInd Bank"
	iYes    = "Yes Bank"
	iAU     = "AU Small Finance Bank"
	iBajaj  = "Bajaj Finance"
	iTata   = "Tata Capital"
	iHDB    = "HDB Financial Services"
	iHome   = "Home Credit"
	iKB     = "KreditBee"
	iMV     = "MoneyView"
	iNavi   = "Navi"
	iFibe   = "Fibe"
	iPaytm  = "Paytm"
	iPhPe   = "PhonePe"
	iAmzn   = "Amazon Pay"
)

var (
	sHDFC   = []string{"VM-HDFCBK", "AD-HDFCBK", "JM-HDFCBK-S", "HDFCBK"}
	sICICI  = []string{"AD-ICICIB", "VM-ICICIT", "JD-ICICIB-S"}
	sSBI    = []string{"JD-SBIINB", "VM-SBIUPI", "BZ-CBSSBI", "VK-SBIPSG"}
	sSBIATM = []string{"AD-ATMSBI", "VM-ATMSBI-S"}
	sAxis   = []string{"VK-AXISBK", "AD-AXISBK-S", "JM-AXISBK"}
	sKotak  = []string{"BZ-KOTAKB", "VM-KOTAKB-S"}
	sPNB    = []string{"VM-PNBSMS", "AD-PNBSMS"}
	sBoB    = []string{"VM-BOBTXN", "AD-BOBSMS"}
	sCanara = []string{"VM-CANBNK", "JD-CANBNK"}
	sUnion  = []string{"AD-UNIONB", "VM-UNIONB-T"}
	sIDFC   = []string{"VM-IDFCFB", "AD-IDFCFB"}
	sIndus  = []string{"VM-INDUSB", "JD-INDUSB"}
	sYes    = []string{"VK-YESBNK", "AD-YESBNK"}
	sAU     = []string{"VM-AUBANK", "AD-AUBANK"}
	sBajaj  = []string{"VM-BAJFIN", "AD-BAJFIN-S"}
	sTata   = []string{"VM-TATACP", "AD-TATACP"}
	sHDB    = []string{"VM-HDBFSL", "AD-HDBFSL"}
	sHome   = []string{"VM-HOMECR", "JD-HOMECR"}
	sKB     = []string{"VM-KRBEE", "AD-KREDTB"}
	sMV     = []string{"VM-MNYVEW", "AD-MNYVEW"}
	sNavi   = []string{"VM-NAVIFN", "JD-NAVIFN"}
	sFibe   = []string{"VM-FIBEIN", "AD-ERLSAL"}
	sPaytm  = []string{"VM-PAYTMB", "AD-iPaytm"}
	sPhPe   = []string{"VM-PHONPE", "AD-PHONPE"}
	sAmzn   = []string{"VM-AMZNPY", "AD-AMAZON"}
)

var bankTemplates = []tmpl{
	// HDFC Bank
	{senders: sHDFC, inst: iHDFC, kind: "debit", n: 4, lo: 20, hi: 9000,
		body: "Sent Rs.{A:p}\nFrom HDFC Bank A/C *{S}\nTo {N}\nOn {D6}\nRef {R}\nNot You?\nCall 18002586161/SMS BLOCK UPI to 7308080808"},
	{senders: sHDFC, inst: iHDFC, kind: "debit", n: 3, lo: 20, hi: 5000,
		body: "Rs.{A:p} debited from a/c **{S} on {D1} to VPA {V}(UPI Ref No {R}). Not you? Call on 18002586161 to report"},
	{senders: sHDFC, inst: iHDFC, kind: "debit", n: 4, lo: 100, hi: 40000,
		body: "Spent Rs.{A:in} On HDFC Bank Card {S} At {M} On {D5}:{T}\nNot You? \nTo Block+Reissue Call 18002586161/SMS BLOCK CC {S} to 7308080808"},
	{senders: sHDFC, inst: iHDFC, kind: "credit", n: 3, lo: 500, hi: 90000,
		body: "Update! INR {A:in} deposited in HDFC Bank A/c XX{S} on {D4} for NEFT Cr-{IFSC}-{N}-XXXXXXXX{ID}-{R}.Avl bal INR {B:in}. Cheque deposits in A/C are subject to clearing"},
	{senders: sHDFC, inst: iHDFC, kind: "salary_credit", n: 4, lo: 18000, hi: 250000,
		body: "Update! INR {A:in} deposited in HDFC Bank A/c XX{S} on {D4} for NEFT Cr-{IFSC}-{E}-SALARY {MON} {YYYY}.Avl bal INR {B:in}. Cheque deposits in A/C are subject to clearing"},
	{senders: sHDFC, inst: iHDFC, kind: "credit", n: 3, lo: 10, hi: 20000,
		body: "Rs. {A:p} credited to HDFC Bank A/c XX{S} on {D1} from VPA {V} (UPI {R})"},
	{senders: sHDFC, inst: iHDFC, kind: "debit", n: 2, lo: 500, hi: 10000,
		body: "Rs.{A:i} withdrawn from HDFC Bank A/c XX{S} at ATM on {D1}. Avl bal: INR {B:p}. Not you? Call 18002586161"},
	{senders: sHDFC, inst: iHDFC, kind: "emi_debit", n: 3, lo: 1500, hi: 30000,
		body: "Rs.{A:p} debited from A/c XX{S} on {D1} towards ACH D- TP ACH {L}-{R}. Avl bal: INR {B:in}"},
	{senders: sHDFC, inst: iHDFC, kind: "bounce", n: 2, lo: 1500, hi: 30000,
		body: "Dear Customer, ECS/NACH of INR {A:in} presented on {D4} against your HDFC Bank A/c XX{S} has been returned unpaid due to Insufficient Funds. Charges applicable."},
	{senders: sHDFC, inst: iHDFC, kind: "otp", n: 3, lo: 100, hi: 20000,
		body: "{O} is OTP for txn of INR {A:in} at {M} on HDFC Bank card ending {S}. Valid till {T}. Do not share OTP for security reasons"},
	{senders: sHDFC, inst: iHDFC, kind: "promotional", n: 2,
		body: "Dear Customer, you have a Pre-approved Personal Loan of Rs.{BIG} in your HDFC Bank A/c XX{S}. Get funds in 10 secs. Apply now: hdfcbk.io/pl T&C"},
	{senders: sHDFC, inst: iHDFC, kind: "other", n: 2,
		body: "HDFC Bank Credit Card XX{S} Statement: Total Amt Due Rs.{X:in} Min Amt Due Rs.{X:p} Due by {D4}. Pay now via NetBanking/PayZapp"},
	{senders: sHDFC, inst: iHDFC, kind: "loan_disbursal", n: 2, lo: 20000, hi: 500000,
		body: "Update! INR {A:in} deposited in HDFC Bank A/c XX{S} on {D4} for NEFT Cr-YESB0000001-{L}-LOAN DISBURSAL-{R}.Avl bal INR {B:in}."},

	// ICICI Bank
	{senders: sICICI, inst: iICICI, kind: "debit", n: 4, lo: 10, hi: 9000,
		body: "ICICI Bank Acct XX{S3} debited for Rs {A:p} on {D4}; {N} credited. UPI:{R}. Call 18002662 for dispute. SMS BLOCK {S3} to 9215676766."},
	{senders: sICICI, inst: iICICI, kind: "credit", n: 3, lo: 10, hi: 30000,
		body: "Dear Customer, Acct XX{S3} is credited with Rs {A:p} on {D4} from {N}. UPI:{R}-ICICI Bank."},
	{senders: sICICI, inst: iICICI, kind: "debit", n: 3, lo: 100, hi: 60000,
		body: "INR {A:in} spent using ICICI Bank Card XX{S} on {D4} on {M}. Avl Limit: INR {X:in}. If not you, call 1800 2662/SMS BLOCK {S} to 9215676766"},
	{senders: sICICI, inst: iICICI, kind: "salary_credit", n: 3, lo: 20000, hi: 300000,
		body: "ICICI Bank Account XX{S3} credited:Rs. {A:in} on {D4}. Info NEFT-{R}-{E}-SAL. Available Balance is Rs. {B:in}."},
	{senders: sICICI, inst: iICICI, kind: "emi_debit", n: 2, lo: 1500, hi: 40000,
		body: "ICICI Bank Acct XX{S3} debited with Rs {A:p} on {D4} towards NACH-{L}-EMI. Avl Bal Rs {B:p}."},
	{senders: sICICI, inst: iICICI, kind: "bounce", n: 2, lo: 1500, hi: 40000,
		body: "Dear Customer, your NACH debit of Rs {A:p} towards {L} from ICICI Bank Acct XX{S3} on {D4} has bounced due to insufficient funds. Return charges will apply."},
	{senders: sICICI, inst: iICICI, kind: "otp", n: 2, lo: 100, hi: 20000,
		body: "{O} is the OTP for transaction of INR {A:p} on your ICICI Bank Credit Card XX{S}. OTPs are SECRET. DO NOT share OTP with anyone."},
	{senders: sICICI, inst: iICICI, kind: "loan_disbursal", n: 2, lo: 50000, hi: 1500000,
		body: "Dear Customer, your ICICI Bank Personal Loan of Rs {A:in} has been disbursed to your Acct XX{S3} on {D4}. Loan A/c no. XXXXXXXX{LN}."},
	{senders: sICICI, inst: iICICI, kind: "promotional", n: 2,
		body: "Get an Instant Personal Loan up to Rs {BIG} from ICICI Bank in 3 steps. Low EMIs, no paperwork. Apply now: icici.co/pl T&C apply."},

	// SBI
	{senders: sSBI, inst: iSBI, kind: "debit", n: 4, lo: 10, hi: 9000,
		body: "Dear UPI user A/C X{S} debited by {A:1} on date {D2} trf to {N} Refno {R}. If not u? call 1800111109. -SBI"},
	{senders: sSBI, inst: iSBI, kind: "credit", n: 4, lo: 10, hi: 30000,
		body: "Dear SBI User, your A/c X{S}-credited by Rs.{A:1} on {D2} transfer from {N} Ref No {R} -SBI"},
	{senders: sSBIATM, inst: iSBI, kind: "debit", n: 3, lo: 500, hi: 10000,
		body: "Dear Customer, Rs.{A:i} withdrawn at SBI ATM S1ANW{ID} from A/cX{S} on {D2} Transaction Number {ID}. Available Balance Rs.{B:p}. If not withdrawn by you, forward this SMS to 9223008333/ call 1800111109 to block your Card. -SBI"},
	{senders: sSBI, inst: iSBI, kind: "salary_credit", n: 3, lo: 15000, hi: 200000,
		body: "Dear Customer, Your A/C XXXXX{S} has a credit by transfer of Rs {A:p} on {D2} by NEFT SALARY {E}. Avl Bal Rs {B:p} -SBI"},
	{senders: sSBI, inst: iSBI, kind: "debit", n: 2, lo: 500, hi: 50000,
		body: "Your A/C XXXXX{S} has a debit by transfer of Rs {A:p} on {D2}. Avl Bal Rs {B:p}.-SBI"},
	{senders: sSBI, inst: iSBI, kind: "emi_debit", n: 2, lo: 2000, hi: 40000,
		body: "Dear Customer, EMI of Rs {A:p} has been debited from your A/c XXXXX{S} towards Loan A/c XXXXXXX{LN} on {D2}. -SBI"},
	{senders: sSBI, inst: iSBI, kind: "otp", n: 2, lo: 100, hi: 20000,
		body: "OTP for online purchase of Rs. {A:p} at {M} thru State Bank Debit Card ending {S} is {O}. Do not share this with anyone."},
	{senders: sSBI, inst: iSBI, kind: "promotional", n: 2,
		body: "Pre-approved Personal Loan up to Rs {BIG} on YONO SBI at attractive interest rates. Apply now on the YONO app. T&C apply"},
	{senders: sSBI, inst: iSBI, kind: "bounce", n: 2, lo: 1000, hi: 90000,
		body: "Dear Customer, your cheque no {CHQ} for Rs {A:p} drawn on A/c XXXXX{S} has been returned unpaid for reason: FUNDS INSUFFICIENT. -SBI"},

	// Axis Bank
	{senders: sAxis, inst: iAxis, kind: "debit", n: 3, lo: 10, hi: 9000,
		body: "INR {A:p} debited\nA/c no. XX{S}\n{D1}, {T}\nUPI/P2A/{R}/{N}\nNot you? SMS BLOCKUPI Cust ID to 919951860002\nAxis Bank"},
	{senders: sAxis, inst: iAxis, kind: "credit", n: 3, lo: 10, hi: 30000,
		body: "INR {A:p} credited\nA/c no. XX{S}\n{D1}, {T}\nUPI/P2A/{R}/{N}\nNot you? SMS BLOCKUPI Cust ID to 919951860002\nAxis Bank"},
	{senders: sAxis, inst: iAxis, kind: "salary_credit", n: 3, lo: 20000, hi: 250000,
		body: "INR {A:p} credited\nA/c no. XX{S}\n{D1}, {T}\nNEFT/{IFSC}/{E}/SALARY {MON}\nAxis Bank"},
	{senders: sAxis, inst: iAxis, kind: "debit", n: 3, lo: 100, hi: 50000,
		body: "Spent\nCard no. XX{S}\nINR {A:p}\n{D1} {T}\n{M}\nAvl Limit: INR {X:p}\nSMS BLOCK {S} to 919951860002, if not you - Axis Bank"},
	{senders: sAxis, inst: iAxis, kind: "emi_debit", n: 2, lo: 2000, hi: 40000,
		body: "Dear Customer, EMI of INR {A:p} for your Axis Bank Loan A/c no. XXXXXXXX{LN} has been debited on {D1}. Thank you. - Axis Bank"},
	{senders: sAxis, inst: iAxis, kind: "bounce", n: 2, lo: 2000, hi: 40000,
		body: "Dear Customer, ECS/NACH mandate of INR {A:p} for {L} could not be processed from A/c no. XX{S} due to insufficient balance on {D1}. Charges applicable - Axis Bank"},
	{senders: sAxis, inst: iAxis, kind: "otp", n: 2, lo: 100, hi: 20000,
		body: "OTP is {O} for txn of INR {A:p} at {M} on Axis Bank card XX{S}. Valid for 5 mins. Don't share OTP with anyone - Axis Bank"},

	// Kotak Mahindra Bank
	{senders: sKotak, inst: iKotak, kind: "debit", n: 4, lo: 10, hi: 9000,
		body: "Sent Rs.{A:p} from Kotak Bank AC X{S} to {V} on {D1}.UPI Ref {R}. Not you, https://kotak.com/KBANKT/Fraud"},
	{senders: sKotak, inst: iKotak, kind: "credit", n: 3, lo: 10, hi: 30000,
		body: "Received Rs.{A:p} in your Kotak Bank AC X{S} from {V} on {D1}.UPI Ref:{R}."},
	{senders: sKotak, inst: iKotak, kind: "salary_credit", n: 2, lo: 20000, hi: 250000,
		body: "Your Kotak Bank A/c X{S} is credited with Rs.{A:p} on {D1} by NEFT from {E} towards SALARY. Avl bal Rs.{B:p}"},
	{senders: sKotak, inst: iKotak, kind: "emi_debit", n: 2, lo: 2000, hi: 40000,
		body: "Rs.{A:p} debited from Kotak Bank A/c X{S} towards your Loan EMI for {MON} on {D1}. Avl Bal Rs {B:p}"},
	{senders: sKotak, inst: iKotak, kind: "bounce", n: 2, lo: 2000, hi: 40000,
		body: "Your ECS/NACH debit of Rs.{A:p} towards {L} from Kotak Bank A/c X{S} was dishonoured on {D1} due to insufficient funds."},
	{senders: sKotak, inst: iKotak, kind: "otp", n: 2,
		body: "{O} is your Kotak Bank OTP for login. Valid for 3 mins. Do NOT share it with anyone. Kotak never calls asking for OTP."},
	{senders: sKotak, inst: iKotak, kind: "promotional", n: 2,
		body: "Kotak 811: Open a zero balance savings account in 5 mins & get a Virtual Debit Card. Download now: kotak.com/811 T&C"},

	// Punjab National Bank
	{senders: sPNB, inst: iPNB, kind: "debit", n: 3, lo: 10, hi: 9000,
		body: "Ac XX{S} debited INR {A:p} on {D1} {T} thru UPI:{R}.Bal INR {B:p} CR.Not you? Call 18001800/18002021-PNB"},
	{senders: sPNB, inst: iPNB, kind: "credit", n: 3, lo: 10, hi: 30000,
		body: "Ac XX{S} credited INR {A:p} on {D1} {T} thru UPI:{R}.Bal INR {B:p} CR - PNB"},
	{senders: sPNB, inst: iPNB, kind: "salary_credit", n: 2, lo: 15000, hi: 150000,
		body: "Your Ac XXXXXXXX{S} is credited with INR {A:in} on {D1} by NEFT SALARY {E}. Avl Bal INR {B:in} CR -PNB"},
	{senders: sPNB, inst: iPNB, kind: "bounce", n: 2, lo: 1000, hi: 90000,
		body: "Dear Customer, Cheque No.{CHQ} of Rs {A:p} presented in your Ac XX{S} has been returned unpaid on {D1}. Reason: Insufficient funds. -PNB"},

	// Bank of Baroda
	{senders: sBoB, inst: iBoB, kind: "debit", n: 3, lo: 10, hi: 9000,
		body: "Rs.{A:p} transferred from A/c ...{S} to:UPI/{R}. Total Bal:Rs.{B:p}CR. Avlbl Amt:Rs.{B:p}({D3} {T}) - Bank of Baroda"},
	{senders: sBoB, inst: iBoB, kind: "credit", n: 3, lo: 10, hi: 30000,
		body: "Rs.{A:p} Credited to A/c ...{S} thru UPI/{R} by {V}. Total Bal:Rs.{B:p}CR. Avlbl Amt:Rs.{B:p}({D3} {T}) - Bank of Baroda"},
	{senders: sBoB, inst: iBoB, kind: "emi_debit", n: 2, lo: 2000, hi: 40000,
		body: "Dear Customer, your a/c ...{S} is debited with Rs.{A:p} towards loan EMI on {D3}. Total Bal:Rs.{B:p}CR - Bank of Baroda"},
	{senders: sBoB, inst: iBoB, kind: "promotional", n: 2,
		body: "bob World: Get a car loan at 8.95%* p.a. Hurry! Limited period offer. Apply: bankofbaroda.in/car T&C apply - Bank of Baroda"},

	// Canara Bank
	{senders: sCanara, inst: iCanara, kind: "debit", n: 3, lo: 10, hi: 20000,
		body: "An amount of INR {A:in} has been DEBITED to your account XXX{S} on {D3} towards UPI/{R}. Total Avail.bal INR {B:in}. - Canara Bank"},
	{senders: sCanara, inst: iCanara, kind: "credit", n: 2, lo: 100, hi: 50000,
		body: "An amount of INR {A:in} has been CREDITED to your account XXX{S} on {D3} towards IMPS/{R}/{N}. Total Avail.bal INR {B:in} - Canara Bank"},
	{senders: sCanara, inst: iCanara, kind: "salary_credit", n: 2, lo: 15000, hi: 150000,
		body: "An amount of INR {A:in} has been CREDITED to your account XXX{S} on {D3} towards SALARY FOR {MON} {YYYY}. Total Avail.bal INR {B:in} - Canara Bank"},
	{senders: sCanara, inst: iCanara, kind: "bounce", n: 2, lo: 1500, hi: 40000,
		body: "Canara Bank: ACH debit return for INR {A:in} on account XXX{S} dated {D3} towards {L}. Reason: Balance Insufficient."},

	// Union Bank of India
	{senders: sUnion, inst: iUnion, kind: "debit", n: 3, lo: 10, hi: 9000,
		body: "A/c *{S} Debited for Rs:{A:p} on {D1} {T} by Mob Bk ref no {R} Avl Bal Rs:{B:p}.If not you, Call 1800222243 -Union Bank of India"},
	{senders: sUnion, inst: iUnion, kind: "credit", n: 2, lo: 10, hi: 30000,
		body: "A/c *{S} Credited for Rs:{A:p} on {D1} {T} by UPI ref no {R}.Avl Bal Rs:{B:p}.-Union Bank of India"},
	{senders: sUnion, inst: iUnion, kind: "salary_credit", n: 2, lo: 15000, hi: 150000,
		body: "A/c *{S} Credited for Rs:{A:p} on {D1} {T} by NEFT-SAL-{E}.Avl Bal Rs:{B:p}.-Union Bank of India"},
	{senders: sUnion, inst: iUnion, kind: "emi_debit", n: 2, lo: 2000, hi: 40000,
		body: "Your A/c *{S} Debited for Rs:{A:p} towards Loan A/c *{LN} EMI on {D1}. Avl Bal Rs:{B:p} -Union Bank of India"},

	// IDFC First Bank
	{senders: sIDFC, inst: iIDFC, kind: "debit", n: 3, lo: 10, hi: 9000,
		body: "Your A/C XXXXXXX{S} is debited by INR {A:p} on {D6} {T}. New Bal :INR {B:p}. If not done by you, call 18004194332 - IDFC FIRST Bank"},
	{senders: sIDFC, inst: iIDFC, kind: "credit", n: 2, lo: 10, hi: 30000,
		body: "Your A/C XXXXXXX{S} is credited by INR {A:p} on {D6} {T}. New Bal :INR {B:p}. - IDFC FIRST Bank"},
	{senders: sIDFC, inst: iIDFC, kind: "loan_disbursal", n: 2, lo: 50000, hi: 1000000,
		body: "Congratulations! Your IDFC FIRST Bank Personal Loan of Rs.{A:in} has been disbursed into your account XXXXXXX{S}. Loan A/c no. XXXXXX{LN}. Track it on the IDFC FIRST app."},
	{senders: sIDFC, inst: iIDFC, kind: "otp", n: 2,
		body: "Dear Customer, {O} is the One Time Password for login to IDFC FIRST Bank mobile app. Do not share it with anyone."},

	// IndusInd Bank
	{senders: sIndus, inst: iIndus, kind: "debit", n: 3, lo: 10, hi: 9000,
		body: "Your A/C *XX{S} debited by INR {A:p} on {D4} towards UPI/{R}/{N}. Avl Bal INR {B:p}. Not you? Call 18602677777 - IndusInd Bank"},
	{senders: sIndus, inst: iIndus, kind: "credit", n: 2, lo: 10, hi: 30000,
		body: "Your A/C *XX{S} credited by INR {A:p} on {D4} towards IMPS/{R}/{N}. Avl Bal INR {B:p} - IndusInd Bank"},
	{senders: sIndus, inst: iIndus, kind: "debit", n: 2, lo: 100, hi: 50000,
		body: "Transaction of INR {A:in} done on IndusInd Bank Credit Card XX{S} at {M} on {D4}. Avl Lmt: INR {X:in}. Not you? Call 18602677777"},
	{senders: sIndus, inst: iIndus, kind: "other", n: 2,
		body: "Transaction of INR {X:p} on IndusInd Bank Credit Card XX{S} at {M} has been declined due to incorrect PIN. Call 18602677777 for help."},

	// Yes Bank
	{senders: sYes, inst: iYes, kind: "debit", n: 3, lo: 10, hi: 9000,
		body: "INR {A:p} debited from A/c XXXXXXXX{S} on {D4} {T} for UPI-{R}. Avl Bal: INR {B:p}. Not you? Call 18001200 - YES BANK"},
	{senders: sYes, inst: iYes, kind: "credit", n: 2, lo: 10, hi: 30000,
		body: "INR {A:p} credited to your A/c XXXXXXXX{S} on {D4} {T} by IMPS-{R}. Avl Bal: INR {B:p} - YES BANK"},
	{senders: sYes, inst: iYes, kind: "bounce", n: 2, lo: 1500, hi: 40000,
		body: "Your NACH mandate payment of INR {A:p} towards {L} has failed due to insufficient funds in A/c XXXXXXXX{S}. - YES BANK"},

	// AU Small Finance Bank
	{senders: sAU, inst: iAU, kind: "debit", n: 3, lo: 10, hi: 9000,
		body: "A/c XX{S} Debited INR {A:p} on {D1} UPI/{R}. Avl Bal INR {B:p}. Not you? Call 18001200 - AU Small Finance Bank"},
	{senders: sAU, inst: iAU, kind: "salary_credit", n: 2, lo: 15000, hi: 150000,
		body: "A/c XX{S} Credited INR {A:p} on {D1} NEFT PAYROLL {E}. Avl Bal INR {B:p} - AU Small Finance Bank"},
	{senders: sAU, inst: iAU, kind: "credit", n: 2, lo: 10, hi: 30000,
		body: "A/c XX{S} Credited INR {A:p} on {D1} UPI/{R}/{N}. Avl Bal INR {B:p} - AU Small Finance Bank"},
}
