package sms

// Institutions of the corpus's literal messages. The message formats with
// placeholders are testdata/corpus_templates.jsonl, by sender, one a line
// (see templateJSON). Labels are a human reader's:
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
