package sms

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nirnay/nirnay/money"
)

func TestParseCases(t *testing.T) {
	cases := []struct {
		name, sender, body string
		kind               Kind
		amount             string // "" = none
		inst, suffix       string
		balance            string
	}{
		{"rupee sign and Indian grouping", "VM-HDFCBK", "₹1,23,456.50 debited from A/c XX1234 on 01-11-26", Debit, "123456.50", "HDFC Bank", "1234", ""},
		{"INR without space", "AD-ICICIB", "INR500 credited to Acct XX123 on 01-Nov-26", Credit, "500.00", "ICICI Bank", "123", ""},
		{"one decimal, no currency", "JD-SBIINB", "Dear UPI user A/C X4321 debited by 75.5 on date 01Nov26 trf to X", Debit, "75.50", "SBI", "4321", ""},
		{"Rs colon", "AD-UNIONB", "A/c *9012 Debited for Rs:1,000.00 on 01-11-26 Avl Bal Rs:20.00", Debit, "1000.00", "Union Bank of India", "9012", "20.00"},
		{"warning footer is not an OTP", "VM-HDFCBK", "Rs.99.00 debited from a/c **5555 to VPA x@ybl. Never share your OTP with anyone.", Debit, "99.00", "HDFC Bank", "5555", ""},
		{"OTP mentioning debit keeps no amount", "VM-AXISBK", "OTP 123456 for INR 5,000 to be debited from A/c XX1111. Do not share.", OTP, "", "Axis Bank", "1111", ""},
		{"pre-approved loan is promotional", "VM-BAJFIN", "Pre-approved loan of Rs 5 lakh will be credited instantly! Apply now.", Promotional, "", "Bajaj Finance", "", ""},
		{"reminder with bounce warning is other", "VM-BAJFIN", "EMI of Rs 2,000 is due on 05-12. Maintain sufficient balance to avoid bounce charges.", Other, "", "Bajaj Finance", "", ""},
		{"future debit is other", "VM-HDFCBK", "Rs 2,000 will be debited from A/c XX1234 on 05-12 towards EMI.", Other, "", "HDFC Bank", "1234", ""},
		{"negated debit is other", "BZ-KOTAKB", "UPI payment of Rs 50 failed. No amount was debited from AC X1234.", Other, "", "Kotak Mahindra Bank", "1234", ""},
		{"nach debit to a lender is EMI", "VM-PNBSMS", "Ac XX1234 debited INR 3,000.00 thru ACH/BAJAJ FINANCE LTD", EMIDebit, "3000.00", "Punjab National Bank", "1234", ""},
		{"nach debit to a SIP is a debit", "VM-PNBSMS", "Ac XX1234 debited INR 3,000.00 thru ACH/ABC MF SIP", Debit, "3000.00", "Punjab National Bank", "1234", ""},
		{"salary marker", "VK-AXISBK", "INR 50,000.00 credited to A/c no. XX9999 NEFT/ACME/SAL NOV", SalaryCredit, "50000.00", "Axis Bank", "9999", ""},
		{"lender credit is a disbursal", "VK-AXISBK", "INR 20,000.00 credited to A/c no. XX9999 IMPS/KREDITBEE", LoanDisbursal, "20000.00", "Axis Bank", "9999", ""},
		{"dishonoured cheque", "VM-CANBNK", "Cheque 000123 for Rs 9,000 on account XXX7777 dishonoured", Bounce, "9000.00", "Canara Bank", "7777", ""},
		{"balance skipped for amount", "VM-IDFCFB", "Avl Bal INR 1,000.00. Your A/C XXX4444 is debited by INR 10.00", Debit, "10.00", "IDFC First Bank", "4444", "1000.00"},
		{"card ending, unmasked", "VM-SBICRD", "Rs 10 spent on card ending 4321 at SHOP", Debit, "10.00", "SBI Card", "4321", ""},
		{"bullet mask", "VM-YESBNK", "INR 10.00 debited from A/c ••••6789", Debit, "10.00", "Yes Bank", "6789", ""},
		{"unknown sender, bank in body", "+911234567890", "Rs 10 debited from Axis Bank A/c XX2222", Debit, "10.00", "Axis Bank", "2222", ""},
		{"unknown sender, nothing in body", "VM-SHOPPY", "Big sale! 50% off", Promotional, "", "", "", ""},
		{"lowercase sender, no prefix", "hdfcbk", "hello", Other, "", "HDFC Bank", "", ""},
		{"ref numbers are not suffixes", "VM-HDFCBK", "Rs 5 credited. Ref 123456789012. UPI:4321", Credit, "5.00", "HDFC Bank", "", ""},
		{"hours is not rupees", "VM-HDFCBK", "Rs 500 will reach in 24 hours 300 kms", Other, "", "HDFC Bank", "", ""},
		{"empty body", "", "", Other, "", "", "", ""},
	}
	for _, c := range cases {
		r := Parse(c.sender, c.body)
		amt := ""
		if r.HasAmount {
			amt = r.Amount.String()
		}
		bal := ""
		if r.HasBalance {
			bal = r.Balance.String()
		}
		if r.Kind != c.kind || amt != c.amount || r.Institution != c.inst || r.AccountSuffix != c.suffix || bal != c.balance {
			t.Errorf("%s: Parse(%q, %q) = {%s %q %q %q bal %q}; want {%s %q %q %q bal %q}", c.name, c.sender, c.body,
				r.Kind, amt, r.Institution, r.AccountSuffix, bal, c.kind, c.amount, c.inst, c.suffix, c.balance)
		}
	}
}

// TestNumberAtAgreesWithMoney checks the parser's own digit reading against
// money.ParseRupees, the one definition of a rupee amount.
func TestNumberAtAgreesWithMoney(t *testing.T) {
	for _, in := range []string{"0", "7", "12.5", "12.50", "1,234.00", "1,23,456.78", "999999999999.99", "100000", "0.01", "1000000000000"} {
		want, err := money.ParseRupees(in)
		got, end, ok := numberAt(in, 0)
		if err != nil {
			if ok && end == len(in) {
				t.Errorf("numberAt(%q) = %v; money.ParseRupees rejects it: %v", in, got, err)
			}
			continue
		}
		if !ok || got != want || end != len(in) {
			t.Errorf("numberAt(%q) = %v, end %d, ok %v; want %v, end %d", in, got, end, ok, want, len(in))
		}
	}
	if _, _, ok := numberAt("1.234", 0); ok {
		t.Errorf("numberAt(%q) accepted three decimals", "1.234")
	}
}

func TestKindStrings(t *testing.T) {
	want := []string{"other", "salary_credit", "emi_debit", "bounce", "loan_disbursal", "credit", "debit", "otp", "promotional"}
	for i, k := range Kinds() {
		if k.String() != want[i] {
			t.Errorf("Kind(%d).String() = %q, want %q", i, k, want[i])
		}
	}
	if Kind(200).String() != "other" {
		t.Errorf("Kind(200).String() = %q, want other", Kind(200))
	}
}

// TestParseDoesNotAllocate holds the parser to its contract: no allocation
// per message, so ingest can run it on every SMS.
func TestParseDoesNotAllocate(t *testing.T) {
	lines := loadCorpus(t)
	for _, l := range lines[:40] {
		if n := testing.AllocsPerRun(20, func() { Parse(l.Sender, l.Body) }); n != 0 {
			t.Errorf("Parse(%q, %q) allocates %.0f times per call, want 0", l.Sender, l.Body, n)
		}
	}
}

func TestLongBodyIsBounded(t *testing.T) {
	body := "Rs 10 debited from A/c XX1234 " + strings.Repeat("z", 10*MaxBody) + " Rs 99 credited"
	r := Parse("VM-HDFCBK", body)
	if r.Kind != Debit || r.Amount != 1000 {
		t.Errorf("Parse(long body) = %v %v, want debit 10.00 (text past MaxBody ignored)", r.Kind, r.Amount)
	}
}

func FuzzParse(f *testing.F) {
	for _, l := range loadCorpus(f)[:60] {
		f.Add(l.Sender, l.Body)
	}
	f.Add("", "")
	f.Add("-", "rs")
	f.Add("VM--", "₹")
	f.Add("AD-X", "a/c ... card xx loan 1.2.3 rs.,,5 inr. bal bal:")
	f.Fuzz(func(t *testing.T, sender, body string) {
		r := Parse(sender, body)
		if r.Kind >= numKinds {
			t.Fatalf("kind %d out of range", r.Kind)
		}
		if r.HasAmount && (!r.Kind.Transactional() || r.Amount < 0) {
			t.Fatalf("amount %v reported for kind %s", r.Amount, r.Kind)
		}
		if r.AccountSuffix != "" {
			if !strings.Contains(body, r.AccountSuffix) || len(r.AccountSuffix) < 3 || len(r.AccountSuffix) > 6 {
				t.Fatalf("suffix %q not 3–6 digits of the body", r.AccountSuffix)
			}
			for i := 0; i < len(r.AccountSuffix); i++ {
				if !isDigit(r.AccountSuffix[i]) {
					t.Fatalf("suffix %q has a non-digit", r.AccountSuffix)
				}
			}
		}
		if !utf8.ValidString(r.Institution) {
			t.Fatalf("institution %q not UTF-8", r.Institution)
		}
	})
}

// BenchmarkParse parses the whole corpus per iteration and reports
// messages/s (the product budget is 20,000 SMS/s end to end on 2 cores; the
// parser alone should be an order of magnitude faster).
func BenchmarkParse(b *testing.B) {
	lines := loadCorpus(b)
	b.ReportAllocs()
	b.ResetTimer()
	n := 0
	for b.Loop() {
		for _, l := range lines {
			Parse(l.Sender, l.Body)
		}
		n += len(lines)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/msg")
}
