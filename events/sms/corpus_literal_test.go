package sms

// literalTemplates are single hand-written messages in phrasings the
// templates do not use (variants, older formats, edge cases), labelled by
// hand. They were written after the parser's first version, as a held-out
// check, and kept even where the parser then needed a general fix.

func lit(sender, inst, kind, body, amt, sfx, bal string) tmpl {
	return tmpl{senders: []string{sender}, inst: inst, kind: kind, body: body, n: 1, amt: amt, sfx: sfx, bal: bal, suffix: "none"}
}

var literalTemplates = []tmpl{
	lit("VM-HDFCBK", iHDFC, "debit", "UPDATE: Your A/c XX4821 has been debited with INR 2,150.00 on 03-NOV-26 for POS txn at RELIANCE FRESH. Avl Bal INR 18,442.10", "2150.00", "4821", "18442.10"),
	lit("AD-HDFCBK", iHDFC, "credit", "Money Received - INR 750.00 in your HDFC Bank A/c xx9031 on 04-11-26 by IMPS from ANIL KUMAR. Avl bal: INR 3,204.55", "750.00", "9031", "3204.55"),
	lit("VM-HDFCBK-S", iHDFC, "salary_credit", "Salary of Rs 64,500.00 for Oct-26 credited to your HDFC Bank A/c XX7310 on 31-10-26. Avl bal Rs 71,880.40", "64500.00", "7310", "71880.40"),
	lit("AD-ICICIB", iICICI, "debit", "Rs 1,999.00 debited from ICICI Bank Credit Card XX5532 at NETFLIX on 05-Nov-26. Available limit Rs 48,001.00.", "1999.00", "5532", ""),
	lit("JD-ICICIB-S", iICICI, "emi_debit", "Dear Customer, Loan instalment of Rs 12,340 for ICICI Bank Loan A/c XXXXXXXX2290 has been recovered from your Acct XX771 on 05-Nov-26.", "12340.00", "2290", ""),
	lit("VM-ICICIT", iICICI, "bounce", "ICICI Bank: ECS debit of Rs.7,500 towards HOME CREDIT INDIA on 02-Nov-26 from Acct XX118 returned - reason: Funds Insufficient. Charges of Rs 500+GST applicable.", "7500.00", "118", ""),
	lit("JD-SBIINB", iSBI, "debit", "Your a/c no. XXXXXXXX4412 is debited for Rs.450.00 on 06-11-2026 and credited to a/c no. XXXXXXXX9980 (UPI Ref no 631245998812)", "450.00", "4412", ""),
	lit("BZ-CBSSBI", iSBI, "credit", "Your a/c no. XXXXXXXX4412 is credited by Rs.12,000.00 on 06-11-2026 by a/c linked to mobile 9XXXXXX123 (IMPS Ref no 631244551234).", "12000.00", "4412", ""),
	lit("VK-SBIPSG", iSBI, "other", "Dear Customer, Your SBI Debit Card ending 7781 has been blocked as requested. For a new card visit your branch.", "", "7781", ""),
	lit("VK-AXISBK", iAxis, "debit", "Axis Bank: INR 3,000 withdrawn from A/c no. XX6624 at ATM MUMBAI on 07-11-26. Avl bal INR 9,512.35", "3000.00", "6624", "9512.35"),
	lit("JM-AXISBK", iAxis, "loan_disbursal", "Dear Customer, INR 2,50,000.00 has been credited to your A/c no. XX6624 towards disbursal of your Axis Bank Personal Loan. Loan A/c XXXXXXXX5510.", "250000.00", "6624", ""),
	lit("BZ-KOTAKB", iKotak, "debit", "Rs.640.00 spent on Kotak Credit Card x9912 at ZOMATO on 07/11/2026. Avl limit Rs.39,360.00. Not you? Call 18602662666", "640.00", "9912", ""),
	lit("VM-KOTAKB-S", iKotak, "otp", "OTP 482913 for your Kotak Bank transaction of Rs 25,000 to ROHIT VERMA. Do not share. If not initiated by you call 18602662666", "", "", ""),
	lit("VM-PNBSMS", iPNB, "debit", "Your Ac XXXXXXXX1207 is debited with Rs.5,000.00 on 08-11-26 for ATM withdrawal. Aval Bal Rs.2,318.90 CR -PNB", "5000.00", "1207", "2318.90"),
	lit("AD-PNBSMS", iPNB, "other", "Dear Customer, your PNB Debit Card XX3321 will expire on 30-11-26. A new card will be dispatched to your registered address. -PNB", "", "3321", ""),
	lit("VM-BOBTXN", iBoB, "salary_credit", "Rs.38,200.00 Credited to A/c ...4415 on 01-11-26 by NEFT-SALARY-GLOBEX INDIA PVT LTD. Total Bal:Rs.40,115.75CR - Bank of Baroda", "38200.00", "4415", "40115.75"),
	lit("VM-CANBNK", iCanara, "otp", "Dear Customer, 551209 is the OTP to register beneficiary on Canara ai1 app. Never share your OTP with anyone - Canara Bank", "", "", ""),
	lit("AD-UNIONB", iUnion, "bounce", "Dear Customer, NACH debit of Rs 3,150.00 for TATA CAPITAL LTD on A/c *8810 dated 05-11-2026 is returned unpaid due to insufficient balance. -Union Bank of India", "3150.00", "8810", ""),
	lit("VM-IDFCFB", iIDFC, "emi_debit", "EMI of INR 4,416 towards your IDFC FIRST Bank loan XXXXXX3301 has been debited from your account XXXXXXX5126 on 05-Nov-26.", "4416.00", "3301", ""),
	lit("VM-INDUSB", iIndus, "promotional", "IndusInd Bank: Enjoy 10% cashback up to Rs 1,500 on your Credit Card spends this festive season. Offer valid till 30 Nov. T&C apply", "", "", ""),
	lit("VK-YESBNK", iYes, "debit", "Dear Customer, INR 899.00 has been spent on your YES BANK Credit Card XX0417 at MYNTRA on 09-11-2026. Avl Lmt: INR 60,101.00", "899.00", "0417", ""),
	lit("VM-AUBANK", iAU, "emi_debit", "Dear Customer, Rs.6,250 has been debited from A/c XX3390 towards EMI of your AU Bank Two Wheeler Loan on 10-11-26.", "6250.00", "3390", ""),
	lit("VM-BAJFIN", iBajaj, "emi_debit", "Bajaj Finance: We have received Rs 2,874 towards EMI of loan 4XXXXXX0921 on 02/11/2026. Thank you.", "2874.00", "0921", ""),
	lit("AD-BAJFIN-S", iBajaj, "bounce", "Your EMI of Rs 2,874 for loan 4XXXXXX0921 presented on 02/11/2026 was not honoured by your bank. Pay via Bajaj Finserv app to avoid further charges.", "2874.00", "0921", ""),
	lit("VM-TATACP", iTata, "other", "Dear Customer, your EMI of Rs 5,210 for loan a/c XXXXXX7712 is due on 05-12-2026 and will be presented to your bank. - Tata Capital", "", "7712", ""),
	lit("VM-HDBFSL", iHDB, "loan_disbursal", "Dear Customer, Loan amount of Rs 85,000 against Loan No XXXXXXX4810 has been credited to your bank account on 11-11-2026. -HDB Financial Services", "85000.00", "4810", ""),
	lit("JD-HOMECR", iHome, "bounce", "Your instalment of Rs 1,899 due on 10-11-2026 could not be collected from your bank account (insufficient funds). Please pay in the Home Credit app.", "1899.00", "", ""),
	lit("AD-KREDTB", iKB, "loan_disbursal", "Congrats RAHUL! Your loan of Rs 15,000 is disbursed. Net amount Rs 14,410 transferred to A/c XXXXXX2231. Repay Rs 15,850 by 10-12-2026. - KreditBee", "15000.00", "2231", ""),
	lit("VM-MNYVEW", iMV, "otp", "Use 734120 as your one-time password to sign your Moneyview loan agreement. Valid for 10 mins.", "", "", ""),
	lit("JD-NAVIFN", iNavi, "bounce", "Your Navi loan EMI of Rs 3,333 bounced on 05-11-2026. A bounce charge of Rs 500 will be applied. Pay now on the Navi app.", "3333.00", "", ""),
	lit("VM-FIBEIN", iFibe, "promotional", "Salary delayed? Get up to Rs 5 lakh instantly with Fibe. 100% digital, no collateral. Apply now: fibe.in T&C", "", "", ""),
	lit("VM-PAYTMB", iPaytm, "debit", "Rs 250 sent to meera.i@okicici from your Paytm Payments Bank a/c XX8120 on 11 Nov. UPI Ref: 631299812345", "250.00", "8120", ""),
	lit("AD-iPaytm", iPaytm, "credit", "Rs.1,200 added to your Paytm Wallet. Updated Balance: Rs 1,345.60. Txn ID 20261111001", "1200.00", "", "1345.60"),
	lit("VM-PHONPE", iPhPe, "debit", "Your UPI AutoPay of Rs 149 to NETFLIX has been executed successfully from a/c XX4410. Ref 631200012345 - PhonePe", "149.00", "4410", ""),
	lit("AD-AMAZON", iAmzn, "other", "Your Amazon Pay Later bill of Rs 4,312 is generated. Pay by 05-Dec-2026 to avoid late fee.", "", "", ""),
	lit("VM-AMZNPY", iAmzn, "credit", "Cashback of Rs 75 has been credited to your Amazon Pay balance for your recharge. Balance: Rs 412.00", "75.00", "", "412.00"),
	lit("+919900112233", iICICI, "credit", "Dear Customer, Acct XX551 is credited with Rs 2,000.00 on 12-Nov-26 from PRIYA NAIR. UPI:631288812345-ICICI Bank.", "2000.00", "551", ""),
	lit("VM-SBICRD", "SBI Card", "debit", "Rs.3,250.00 spent on your SBI Credit Card ending 6612 at AMAZON on 12/11/26. Trxn. not done by you? Report at sbicard.com", "3250.00", "6612", ""),
	lit("VM-HDFCBK", iHDFC, "bounce", "Cheque No. 000214 for Rs 18,000 deposited in your HDFC Bank A/c XX4821 has been returned. Reason: Funds insufficient in drawer's account.", "18000.00", "4821", ""),
	lit("VK-AXISBK", iAxis, "promotional", "Congratulations! You are pre-qualified for an Axis Bank Credit Card with a limit of Rs 1,50,000. Lifetime free. Apply in 2 mins: axis.bank/cc", "", "", ""),
	lit("AD-ICICIB", iICICI, "credit", "Dear Customer, INR 1,450.00 has been refunded to your ICICI Bank Credit Card XX5532 by AMAZON on 12-Nov-26.", "1450.00", "5532", ""),
	lit("VM-KOTAKB-S", iKotak, "salary_credit", "Rs.91,230.00 credited to Kotak Bank A/c X5521 on 30-10-26 towards SAL OCT26 from KESTREL LOGISTICS LTD. Avl Bal Rs 1,02,004.12", "91230.00", "5521", "102004.12"),
	lit("VM-UNIONB-T", iUnion, "other", "Your A/c *8810 balance is Rs:12,455.30 as on 12-11-2026 10:00. -Union Bank of India", "", "8810", "12455.30"),
	lit("VM-CANBNK", iCanara, "emi_debit", "An amount of INR 7,812.00 has been DEBITED to your account XXX4410 on 05/11/2026 towards LOAN EMI RECOVERY. Total Avail.bal INR 2,110.45 - Canara Bank", "7812.00", "4410", "2110.45"),
	lit("VM-KRBEE", iKB, "other", "Reminder: Rs 3,850 is due on your KreditBee loan tomorrow. Keep your bank account funded for auto-debit.", "", "", ""),
	lit("VM-NAVIFN", iNavi, "debit", "Rs 2,000.00 debited from your Navi UPI a/c XX6012 to kavya99@ibl. UPI Ref 631277712345.", "2000.00", "6012", ""),
	// A second held-out batch, run through the command before being added.
	lit("VM-HDFCBK", iHDFC, "debit", "Txn Rs.250.00 On HDFC Bank Card 1234 At PAYTM On 2026-11-20:10:11:12 Bal Rs.10.00", "250.00", "1234", "10.00"),
	lit("AX-SBIINB", iSBI, "salary_credit", "Dear Customer, INR 2,000.00 credited to your A/c No XX4321 on 20/11/2026 through NEFT with UTR SBIN1234 by ACME PVT LTD, INFO: SALARY NOV. Avl Bal INR 50,000.00-SBI", "2000.00", "4321", "50000.00"),
	lit("VM-ICICIB", iICICI, "other", "Your ICICI Bank Credit Card XX1234 bill of Rs 5,000 is due on 05-12-2026. Minimum amount due Rs 250.", "", "1234", ""),
	lit("CP-KOTAKB", iKotak, "emi_debit", "Rs.1,500.00 is debited from your Kotak A/c X1234 for NACH/ECS towards BAJAJ FINANCE LTD on 05-11-26", "1500.00", "1234", ""),
	lit("VM-AXISBK", iAxis, "bounce", "Your mandate for INR 3,000 towards NAVI FINSERV was not honoured due to insufficient funds in A/c XX9999", "3000.00", "9999", ""),
	lit("VM-MNYVEW", iMV, "other", "Rs 30,000 loan approved! Disbursal to your bank account XX1234 will happen within 24 hours.", "", "1234", ""),
	lit("VM-PAYTMB", iPaytm, "debit", "Rs 100.00 paid to Jio Prepaid from your Paytm UPI linked A/c XX5678. UPI Ref 123456789012", "100.00", "5678", ""),
	lit("VM-HDFCBK", iHDFC, "otp", "Your OTP for Netbanking login is 123456. Do not share it with anyone.", "", "", ""),
	lit("VM-SBIINB", iSBI, "loan_disbursal", "Dear Customer, your A/c XX1234 has been credited with Rs 1,00,000.00 on 01-11-26 towards loan disbursement of Home Loan A/c XXXX5678.", "100000.00", "1234", ""),
	lit("VM-YESBNK", iYes, "credit", "Dear Customer, Rs 599 cashback has been credited to your YES BANK Credit Card XX1111.", "599.00", "1111", ""),
}
