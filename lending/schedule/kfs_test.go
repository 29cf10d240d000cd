package schedule

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/nirnay/nirnay/money"
)

// TestAPRWorkedExamples checks the APR against independently computed IRRs
// (a float bisection over the same cash flows, outside this code base).
func TestAPRWorkedExamples(t *testing.T) {
	cases := []struct {
		goldenCase
		fees []Fee
		want string
	}{
		{goldenCase{"no fees is the nominal rate", "100000", "24", 12, Reducing, Days30360, "2026-01-01", ""}, nil, "24.00"},
		{goldenCase{"no fees, 10.99%", "250000", "10.99", 36, Reducing, Days30360, "2026-01-01", ""}, nil, "10.99"},
		{goldenCase{"₹1 lakh 12% 12m, ₹3,000 fee (IRR 17.8249%)", "100000", "12", 12, Reducing, Days30360, "2026-01-01", ""},
			[]Fee{{Name: "processing_fee", Amount: 3000_00}}, "17.82"},
		{goldenCase{"₹47,000 21% 24m, fee ₹1,175 + 18% GST (IRR 24.1539%)", "47000", "21", 24, Reducing, Days30360, "2026-01-01", ""},
			[]Fee{{Name: "processing_fee", Amount: 1175_00}, {Name: "gst", Amount: 211_50}}, "24.15"},
		{goldenCase{"GST left out of the APR", "47000", "21", 24, Reducing, Days30360, "2026-01-01", ""},
			[]Fee{{Name: "processing_fee", Amount: 1175_00}, {Name: "gst", Amount: 211_50, ExcludeFromAPR: true}}, "23.66"},
		{goldenCase{"flat 12% is about 21.46% (IRR 21.4572%)", "100000", "12", 12, Flat, Days30360, "2026-01-15", ""}, nil, "21.46"},
		{goldenCase{"broken 55-day first period, ₹2,000 fee (IRR 15.4358%)", "100000", "12", 12, Reducing, Days30360, "2026-01-10", "2026-03-05"},
			[]Fee{{Name: "processing_fee", Amount: 2000_00}}, "15.44"},
		{goldenCase{"broken actual/365, ₹5,900 fee (IRR 20.5871%)", "250000", "18", 24, Reducing, Actual365, "2026-11-26", "2026-12-10"},
			[]Fee{{Name: "processing_fee", Amount: 5900_00}}, "20.59"},
	}
	for _, c := range cases {
		k, err := NewKFS(c.terms(t), c.fees)
		if err != nil {
			t.Errorf("%s: NewKFS: %v", c.name, err)
			continue
		}
		if k.APRPercent != c.want {
			t.Errorf("%s: APR = %s, want %s", c.name, k.APRPercent, c.want)
		}
	}
}

func TestKFSGolden(t *testing.T) {
	terms := Terms{Principal: mustPaise(t, "100000"), Rate: mustRate(t, "12"), Tenure: 12, Start: mustDate(t, "2026-01-05")}
	k, err := NewKFS(terms, []Fee{{Name: "processing_fee", Amount: 2000_00}, {Name: "gst_on_processing_fee", Amount: 360_00}})
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "kfs-100000-12pct-12m-fee2360", k)
	if k.NetDisbursed != 97640_00 || k.FeesTotal != 2360_00 || k.TotalPayable != k.Principal+k.TotalInterest {
		t.Errorf("net %s, fees %s, total payable %s; want 97640.00, 2360.00, principal + interest", k.NetDisbursed, k.FeesTotal, k.TotalPayable)
	}
}

func TestKFSRejectsBadFees(t *testing.T) {
	terms := Terms{Principal: 1000_00, Rate: mustRate(t, "12"), Tenure: 12, Start: mustDate(t, "2026-01-05")}
	cases := map[string][]Fee{
		"negative":     {{Name: "x", Amount: -1}},
		"no name":      {{Name: "", Amount: 1}},
		"twice":        {{Name: "x", Amount: 1}, {Name: "x", Amount: 2}},
		"all of it":    {{Name: "x", Amount: 1000_00}},
		"more than it": {{Name: "x", Amount: 600_00}, {Name: "y", Amount: 600_00}},
	}
	for name, fees := range cases {
		_, err := NewKFS(terms, fees)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != "fee" {
			t.Errorf("%s: NewKFS error = %v; want an InputError on fee", name, err)
		}
	}
}

func TestAPRNoSolution(t *testing.T) {
	if _, err := aprBPS(aprInput{net: 1000, flows: []int64{500, 400}, firstNum: 1, firstDen: 1}); !errors.Is(err, ErrNoAPR) {
		t.Errorf("repaying less than disbursed: error = %v, want ErrNoAPR", err)
	}
	if got, err := aprBPS(aprInput{net: 1200, flows: []int64{100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100}, firstNum: 1, firstDen: 1}); err != nil || got != 0 {
		t.Errorf("zero-interest flows: APR = %d bps, %v; want 0", got, err)
	}
}

func TestKFSHTML(t *testing.T) {
	terms := Terms{Principal: mustPaise(t, "100000"), Rate: mustRate(t, "12"), Tenure: 3, Start: mustDate(t, "2026-01-05")}
	k, err := NewKFS(terms, []Fee{{Name: "<script>x</script>", Amount: 500_00}})
	if err != nil {
		t.Fatal(err)
	}
	days := 3
	k.CoolingOffDays = &days
	k.ContingentCharges = []Charge{{Name: "Penal charges", Terms: "₹500.00 per missed instalment"}}
	var b bytes.Buffer
	if err := WriteKFSHTML(&b, k); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	for _, want := range []string{
		"<title>Key Fact Statement</title>", ">100000.00<", k.EMI.String(), ">" + k.APRPercent + "%<",
		"&lt;script&gt;x&lt;/script&gt;", "Penal charges", "3 days", k.Instalments[2].DueDate.String(),
		money.Paise(k.NetDisbursed).String(),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("KFS page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") {
		t.Errorf("KFS page contains an unescaped fee name")
	}
}
