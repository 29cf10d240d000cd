package sms

import "strings"

// senderIDs maps the 5–6 letter entity part of a DLT header (the "HDFCBK" of
// "VM-HDFCBK-S") to Nirnay's stable institution name. Several ids map to
// one institution; add new ones here as they are seen.
var senderIDs = map[string]string{
	"HDFCBK": "HDFC Bank", "HDFCBN": "HDFC Bank", "HDFCCC": "HDFC Bank",
	"ICICIB": "ICICI Bank", "ICICIT": "ICICI Bank", "ICICIO": "ICICI Bank",
	"SBIINB": "SBI", "SBIUPI": "SBI", "ATMSBI": "SBI", "CBSSBI": "SBI", "SBIPSG": "SBI", "SBYONO": "SBI", "SBIOTP": "SBI",
	"SBICRD": "SBI Card", "SBMSMS": "SBI Card",
	"AXISBK": "Axis Bank", "AXISBN": "Axis Bank", "AXISMR": "Axis Bank",
	"KOTAKB": "Kotak Mahindra Bank", "KOTAKM": "Kotak Mahindra Bank", "KMBANK": "Kotak Mahindra Bank",
	"PNBSMS": "Punjab National Bank", "PNBBNK": "Punjab National Bank",
	"BOBTXN": "Bank of Baroda", "BOBSMS": "Bank of Baroda", "BOBCRD": "Bank of Baroda", "BARODA": "Bank of Baroda",
	"CANBNK": "Canara Bank", "CNRBNK": "Canara Bank",
	"UNIONB": "Union Bank of India", "UBOIIN": "Union Bank of India", "UBISMS": "Union Bank of India",
	"IDFCFB": "IDFC First Bank", "IDFCBK": "IDFC First Bank",
	"INDUSB": "IndusInd Bank", "INDUSL": "IndusInd Bank",
	"YESBNK": "Yes Bank", "YESBK": "Yes Bank",
	"AUBANK": "AU Small Finance Bank", "AUSFBL": "AU Small Finance Bank",
	"BOIIND": "Bank of India", "CENTBK": "Central Bank of India", "INDBNK": "Indian Bank",
	"IDBIBK": "IDBI Bank", "FEDBNK": "Federal Bank", "RBLBNK": "RBL Bank", "SCBANK": "Standard Chartered",
	"BAJFIN": "Bajaj Finance", "BAJAJF": "Bajaj Finance", "BFLSMS": "Bajaj Finance",
	"TATACP": "Tata Capital", "TCLHFL": "Tata Capital",
	"HDBFSL": "HDB Financial Services", "HDBFIN": "HDB Financial Services",
	"HOMECR": "Home Credit", "HCINDA": "Home Credit",
	"KRBEE": "KreditBee", "KREDTB": "KreditBee", "KRDBEE": "KreditBee",
	"MNYVEW": "MoneyView", "MONEYV": "MoneyView", "MNYVIW": "MoneyView",
	"NAVIFN": "Navi", "NAVIAP": "Navi",
	"FIBEIN": "Fibe", "FIBEAP": "Fibe", "ERLSAL": "Fibe", "ESALRY": "Fibe",
	"CASHEA": "CASHe", "MPOKKT": "mPokket", "STSHFN": "Stashfin", "LZYPAY": "LazyPay", "KISSHT": "Kissht",
	"PAYTMB": "Paytm", "IPAYTM": "Paytm", "PYTMSM": "Paytm",
	"PHONPE": "PhonePe", "PHNEPE": "PhonePe",
	"AMZNPY": "Amazon Pay", "AMAZON": "Amazon Pay", "AMZPAY": "Amazon Pay",
	"MOBIKW": "MobiKwik", "AIRBNK": "Airtel Payments Bank", "IPBMSG": "India Post Payments Bank",
}

// institutionFromSender returns the institution for a header like
// "VM-HDFCBK", "AD-ICICIB-S" or "HDFCBK", or "" when its id is unknown
// (phone numbers, unknown brands).
func institutionFromSender(sender string) string {
	var buf [24]byte
	for part := range strings.SplitSeq(strings.TrimSpace(sender), "-") {
		if len(part) >= 3 && len(part) <= len(buf) {
			n := copy(buf[:], part)
			for i := 0; i < n; i++ {
				if 'a' <= buf[i] && buf[i] <= 'z' {
					buf[i] -= 'a' - 'A'
				}
			}
			if name, ok := senderIDs[string(buf[:n])]; ok {
				return name
			}
		}
	}
	return ""
}

// bodyNames are names looked for in the body when the sender is unknown;
// the one found earliest in the body wins.
var bodyNames = []struct{ word, name string }{
	{"hdfc bank", "HDFC Bank"}, {"icici bank", "ICICI Bank"}, {"sbi card", "SBI Card"}, {"state bank", "SBI"},
	{"sbi", "SBI"}, {"axis bank", "Axis Bank"}, {"kotak", "Kotak Mahindra Bank"},
	{"punjab national bank", "Punjab National Bank"}, {"pnb", "Punjab National Bank"},
	{"bank of baroda", "Bank of Baroda"}, {"canara bank", "Canara Bank"}, {"union bank", "Union Bank of India"},
	{"idfc first", "IDFC First Bank"}, {"indusind", "IndusInd Bank"}, {"yes bank", "Yes Bank"},
	{"au small finance", "AU Small Finance Bank"}, {"bajaj finance", "Bajaj Finance"}, {"bajaj finserv", "Bajaj Finance"},
	{"tata capital", "Tata Capital"}, {"hdb financial", "HDB Financial Services"}, {"home credit", "Home Credit"},
	{"kreditbee", "KreditBee"}, {"moneyview", "MoneyView"}, {"money view", "MoneyView"}, {"navi", "Navi"},
	{"fibe", "Fibe"}, {"earlysalary", "Fibe"}, {"paytm", "Paytm"}, {"phonepe", "PhonePe"}, {"amazon pay", "Amazon Pay"},
}

func institutionFromBody(low string) string {
	best, name := len(low)+1, ""
	for _, b := range bodyNames {
		if i := indexWord(low, b.word); i >= 0 && i < best {
			best, name = i, b.name
		}
	}
	return name
}
