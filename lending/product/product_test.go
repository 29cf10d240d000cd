package product

import (
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
)

// mustParse returns parse(s), failing the test on an error.
func mustParse[T any](t *testing.T, parse func(string) (T, error), s string) T {
	t.Helper()
	v, err := parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func date(t *testing.T, s string) schedule.Date {
	t.Helper()
	return mustParse(t, schedule.ParseDate, s)
}

func TestDefaultCatalog(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatalf("Default(): %v", err)
	}
	if got := strings.Join(c.IDs(), ","); got != "credit-line,personal-loan" {
		t.Fatalf("ids = %s, want credit-line,personal-loan", got)
	}
	pl, _ := c.Get("personal-loan")
	if pl.Kind != TermLoan || pl.AnnualRate.Percent() != "18" || pl.Method != schedule.Reducing || pl.DayCount != schedule.Days30360 {
		t.Errorf("personal-loan = %+v", pl)
	}
	if got := pl.AllocationOrder; len(got) != 4 || got[0] != PenalCharges || got[3] != Principal {
		t.Errorf("personal-loan allocation order = %v, want penal_charges fees interest principal", got)
	}
	cl, _ := c.Get("credit-line")
	if cl.Kind != CreditLine || cl.DrawAmount == nil || cl.Excess != Advance || cl.DayCount != schedule.Actual365 {
		t.Errorf("credit-line = %+v", cl)
	}
}

func TestUpfrontFeesAndKFS(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	pl, _ := c.Get("personal-loan")
	cases := []struct{ amount, fee, gst string }{
		{"200000", "4000.00", "720.00"}, // 2%
		{"20000", "999.00", "179.82"},   // 2% = 400, raised to the minimum
		{"500000", "10000.00", "1800.00"},
	}
	for _, c := range cases {
		fees := pl.UpfrontFees(money.Paise(mustRupees(t, c.amount)))
		if len(fees) != 2 || fees[0].Amount.String() != c.fee || fees[1].Amount.String() != c.gst {
			t.Errorf("fees on %s = %+v, want processing %s + GST %s", c.amount, fees, c.fee, c.gst)
		}
	}
	k, err := pl.KFS(mustRupees(t, "200000"), 24, date(t, "2026-01-05"), 0)
	if err != nil {
		t.Fatal(err)
	}
	if k.FeesTotal.String() != "4720.00" || k.NetDisbursed.String() != "195280.00" || k.ProductID != "personal-loan" {
		t.Errorf("KFS fees %s net %s product %q; want 4720.00, 195280.00, personal-loan", k.FeesTotal, k.NetDisbursed, k.ProductID)
	}
	if k.CoolingOffDays == nil || *k.CoolingOffDays != 3 || len(k.ContingentCharges) != 2 {
		t.Errorf("KFS cooling-off %v, charges %+v", k.CoolingOffDays, k.ContingentCharges)
	}
	if !strings.Contains(k.ContingentCharges[1].Terms, "4% of the principal outstanding, plus 18% GST") {
		t.Errorf("foreclosure charge terms = %q", k.ContingentCharges[1].Terms)
	}
	if k.APRPercent <= "18.00" {
		t.Errorf("APR %s should exceed the 18%% rate with fees", k.APRPercent)
	}
}

func TestTermsOutOfRange(t *testing.T) {
	c, _ := Default()
	pl, _ := c.Get("personal-loan")
	cl, _ := c.Get("credit-line")
	start := date(t, "2026-01-05")
	cases := []struct {
		p      *Product
		amount string
		tenure int
		field  string
	}{
		{pl, "9999.99", 12, "amount"}, {pl, "500000.01", 12, "amount"}, {pl, "50000", 2, "tenure_months"},
		{pl, "50000", 37, "tenure_months"}, {cl, "499", 6, "amount"}, {cl, "1000", 13, "tenure_months"},
	}
	for _, c := range cases {
		_, err := c.p.Terms(mustRupees(t, c.amount), c.tenure, start, 0)
		var te *TermsError
		if !errors.Is(err, ErrOutOfRange) || !errors.As(err, &te) || te.Field != c.field {
			t.Errorf("%s.Terms(%s, %d) error = %v; want a TermsError on %s", c.p.ID, c.amount, c.tenure, err, c.field)
		}
	}
	if _, err := pl.Terms(mustRupees(t, "10000"), 3, start, 0); err != nil {
		t.Errorf("minimum amount and tenure rejected: %v", err)
	}
	if err := cl.CheckLimit(mustRupees(t, "250000")); !errors.Is(err, ErrOutOfRange) {
		t.Errorf("credit-line limit above max: error = %v, want ErrOutOfRange", err)
	}
}

const validYAML = `id: p
name: P
kind: term_loan
amount: {min: "1000", max: "2000"}
tenure_months: {min: 1, max: 12}
annual_rate: "12.5"
`

func TestParseStrict(t *testing.T) {
	p, err := Parse("products/p.yaml", []byte(validYAML))
	if err != nil {
		t.Fatalf("valid product rejected: %v", err)
	}
	if !p.GSTInAPR || p.GSTPercent.Percent() != "18" || p.Excess != Prepayment || p.Method != schedule.Reducing {
		t.Errorf("defaults not applied: %+v", p)
	}
	cases := []struct {
		name, yaml, field, msg string
	}{
		{"unknown key", validYAML + "colour: red\n", "colour", "unknown field"},
		{"unknown nested key", strings.Replace(validYAML, `max: "2000"}`, `max: "2000", step: 5}`, 1), "amount.step", "unknown field"},
		{"bad rate", strings.Replace(validYAML, `"12.5"`, `"120"`, 1), "annual_rate", "above 100"},
		{"bad amount", strings.Replace(validYAML, `min: "1000"`, `min: "abc"`, 1), "amount", "invalid rupee amount"},
		{"bad bool", validYAML + "gst_in_apr: maybe\n", "gst_in_apr", "line 7"},
		{"twice", validYAML + "name: Q\n", "name", "given twice"},
		{"min above max", strings.Replace(validYAML, `min: "1000"`, `min: "3000"`, 1), "amount", "min ≤ max"},
		{"bad tenure", strings.Replace(validYAML, "min: 1,", "min: 0,", 1), "tenure_months", "1 ≤ min"},
		{"bad method", validYAML + "method: balloon\n", "method", "reducing or flat"},
		{"bad day count", validYAML + "day_count: actual/360\n", "day_count", "30/360"},
		{"percent and flat", validYAML + "processing_fee: {percent: \"2\", flat: \"100\"}\n", "processing_fee", "not both"},
		{"allocation", validYAML + "allocation_order: [fees, interest, principal]\n", "allocation_order", "exactly once"},
		{"excess", validYAML + "excess: refund\n", "excess", "advance or prepayment"},
		{"missing rate", strings.Replace(validYAML, "annual_rate: \"12.5\"\n", "", 1), "annual_rate", "required"},
		{"credit line without draws", strings.Replace(validYAML, "term_loan", "credit_line", 1), "draw_amount", "required"},
		{"bad id", strings.Replace(validYAML, "id: p", "id: P_1", 1), "id", "[a-z0-9-]+"},
		{"two documents", validYAML + "---\nid: q\n", "", "more than one"},
		{"cooling off", validYAML + "cooling_off_days: 90\n", "cooling_off_days", "0–30"},
	}
	for _, c := range cases {
		_, err := Parse("products/p.yaml", []byte(c.yaml))
		var fe *FileError
		if !errors.As(err, &fe) || !errors.Is(err, ErrInvalidProduct) {
			t.Errorf("%s: error = %v; want a FileError", c.name, err)
			continue
		}
		if fe.File != "products/p.yaml" || fe.Field != c.field || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: error = %q (file %q, field %q); want file products/p.yaml, field %q, mentioning %q", c.name, err, fe.File, fe.Field, c.field, c.msg)
		}
	}
}

func TestLoadDuplicateID(t *testing.T) {
	fsys := fstest.MapFS{
		"products/a.yaml": {Data: []byte(validYAML)},
		"products/b.yaml": {Data: []byte(validYAML)},
	}
	_, err := Load(fsys, "products")
	if !errors.Is(err, ErrInvalidProduct) || !strings.Contains(err.Error(), "products/a.yaml") || !strings.Contains(err.Error(), "products/b.yaml") {
		t.Errorf("duplicate id: error = %v; want one naming both files", err)
	}
}

func mustRupees(t *testing.T, s string) money.Paise {
	t.Helper()
	return mustParse(t, money.ParseRupees, s)
}
