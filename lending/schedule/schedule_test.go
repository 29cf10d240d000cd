package schedule

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/nirnay/nirnay/money"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

func mustPaise(t testing.TB, s string) money.Paise {
	t.Helper()
	p, err := money.ParseRupees(s)
	if err != nil {
		t.Fatalf("ParseRupees(%q): %v", s, err)
	}
	return p
}

func mustRate(t testing.TB, s string) Rate {
	t.Helper()
	r, err := ParsePercent(s)
	if err != nil {
		t.Fatalf("ParsePercent(%q): %v", s, err)
	}
	return r
}

func mustDate(t testing.TB, s string) Date {
	t.Helper()
	if s == "" {
		return 0
	}
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestEMIWorkedExamples checks the EMI against published worked examples
// (EMI = P·r·(1+r)^n/((1+r)^n − 1), exact, rounded half-up to the paisa).
func TestEMIWorkedExamples(t *testing.T) {
	cases := []struct {
		principal, rate string
		tenure          int
		want            string
		source          string
	}{
		{"100.00", "24", 6, "17.85", "17.8526: the textbook small example"},
		{"100000", "12", 12, "8884.88", "₹1 lakh at 12% for a year (8884.8789)"},
		{"500000", "10.5", 60, "10746.95", "₹5 lakh at 10.5% for 5 years (10746.9502; bank calculators show ₹10,747)"},
		{"47000", "21", 24, "2415.13", "a lender's published KFS shows 2415.14 (rounded up); exact 2415.1256"},
		{"100000", "24", 12, "9455.96", "₹1 lakh at 24% for a year (9455.9597)"},
		{"1200", "0", 12, "100.00", "zero rate: P/n"},
	}
	for _, c := range cases {
		s, err := Generate(Terms{Principal: mustPaise(t, c.principal), Rate: mustRate(t, c.rate), Tenure: c.tenure, Start: mustDate(t, "2026-01-01")})
		if err != nil {
			t.Fatalf("Generate(%s, %s%%, %d): %v", c.principal, c.rate, c.tenure, err)
		}
		if got := s.EMI.String(); got != c.want {
			t.Errorf("EMI(%s, %s%%, %d) = %s, want %s (%s)", c.principal, c.rate, c.tenure, got, c.want, c.source)
		}
	}
}

func TestFlatWorkedExample(t *testing.T) {
	// ₹1,00,000 at 12% flat for 12 months: interest 12,000, EMI 9,333.33,
	// the last instalment 9,333.37.
	s, err := Generate(Terms{Principal: mustPaise(t, "100000"), Rate: mustRate(t, "12"), Tenure: 12, Method: Flat, Start: mustDate(t, "2026-01-15")})
	if err != nil {
		t.Fatal(err)
	}
	if s.EMI.String() != "9333.33" || s.TotalInterest.String() != "12000.00" {
		t.Errorf("flat EMI, interest = %s, %s; want 9333.33, 12000.00", s.EMI, s.TotalInterest)
	}
	if last := s.Instalments[11]; last.Amount.String() != "9333.37" || last.Interest.String() != "1000.00" {
		t.Errorf("flat last row = %+v; want amount 9333.37, interest 1000.00", last)
	}
}

// goldenCase is a named loan's terms as text.
type goldenCase struct {
	name            string
	principal, rate string
	tenure          int
	method          Method
	dayCount        DayCount
	start, firstDue string
}

func (c goldenCase) terms(t *testing.T) Terms {
	t.Helper()
	return Terms{Principal: mustPaise(t, c.principal), Rate: mustRate(t, c.rate), Tenure: c.tenure, Method: c.method,
		DayCount: c.dayCount, Start: mustDate(t, c.start), FirstDue: mustDate(t, c.firstDue)}
}

var goldenSchedules = []goldenCase{
	{"reducing-100-24pct-6m", "100", "24", 6, Reducing, Days30360, "2026-01-01", ""},
	{"reducing-100000-12pct-12m", "100000", "12", 12, Reducing, Days30360, "2026-01-05", ""},
	{"reducing-500000-10.5pct-60m", "500000", "10.5", 60, Reducing, Days30360, "2026-04-10", ""},
	{"flat-100000-12pct-12m", "100000", "12", 12, Flat, Days30360, "2026-01-15", ""},
	{"actual365-100000-24pct-12m-month-end", "100000", "24", 12, Reducing, Actual365, "2026-01-31", ""},
	{"broken-100000-12pct-12m-30360", "100000", "12", 12, Reducing, Days30360, "2026-01-10", "2026-03-05"},
	{"broken-250000-18pct-24m-actual365", "250000", "18", 24, Reducing, Actual365, "2026-11-26", "2026-12-10"},
	{"flat-broken-75000-10.99pct-9m-actual365", "75000", "10.99", 9, Flat, Actual365, "2028-02-29", "2028-04-15"},
}

// TestGoldenSchedules compares whole schedules with testdata/*.json. The
// files were cross-checked row by row against an independent exact-fraction
// implementation of the same rules; run with -update only after a deliberate
// change of those rules.
func TestGoldenSchedules(t *testing.T) {
	for _, c := range goldenSchedules {
		t.Run(c.name, func(t *testing.T) {
			s, err := Generate(c.terms(t))
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, c.name, s)
		})
	}
}

func checkGolden(t *testing.T, name string, v any) {
	t.Helper()
	got, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	path := filepath.Join("testdata", name+".json")
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update to create): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from %s:\ngot:\n%s\nwant:\n%s", name, path, got, want)
	}
}

func TestBrokenPeriodInterest(t *testing.T) {
	// 30/360 from 2026-01-10 to 2026-03-05 is 55 days: interest on ₹1,00,000
	// at 12% = 100000 × 0.12 × 55/360 = 1833.33.
	s, err := Generate(Terms{Principal: mustPaise(t, "100000"), Rate: mustRate(t, "12"), Tenure: 12,
		Start: mustDate(t, "2026-01-10"), FirstDue: mustDate(t, "2026-03-05")})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Instalments[0].Interest.String(); got != "1833.33" {
		t.Errorf("broken first period interest = %s, want 1833.33", got)
	}
	if got := s.Instalments[1].DueDate.String(); got != "2026-04-05" {
		t.Errorf("second due date = %s, want 2026-04-05", got)
	}
	// actual/365 over 31 days of January: 100000 × 0.24 × 31/365 = 2038.36.
	s, err = Generate(Terms{Principal: mustPaise(t, "100000"), Rate: mustRate(t, "24"), Tenure: 12,
		DayCount: Actual365, Start: mustDate(t, "2026-01-01")})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Instalments[0].Interest.String(); got != "2038.36" {
		t.Errorf("actual/365 January interest = %s, want 2038.36", got)
	}
	// A first due date one month after the start is not a broken period.
	a, _ := Generate(Terms{Principal: 1e7, Rate: mustRate(t, "12"), Tenure: 6, Start: mustDate(t, "2026-01-31")})
	b, _ := Generate(Terms{Principal: 1e7, Rate: mustRate(t, "12"), Tenure: 6, Start: mustDate(t, "2026-01-31"), FirstDue: mustDate(t, "2026-02-28")})
	if a.Instalments[0].Interest != b.Instalments[0].Interest || a.Instalments[2].DueDate != b.Instalments[2].DueDate {
		t.Errorf("explicit regular first due date changed the schedule: %+v vs %+v", a.Instalments[:3], b.Instalments[:3])
	}
	if got := a.Instalments[2].DueDate.String(); got != "2026-04-30" {
		t.Errorf("third due date from 2026-01-31 = %s, want 2026-04-30 (no drift)", got)
	}
}

func TestGenerateRejects(t *testing.T) {
	base := Terms{Principal: 1e7, Rate: mustRate(t, "12"), Tenure: 12, Start: mustDate(t, "2026-01-10")}
	cases := []struct {
		field string
		edit  func(*Terms)
	}{
		{"principal", func(x *Terms) { x.Principal = 0 }},
		{"principal", func(x *Terms) { x.Principal = -100 }},
		{"tenure", func(x *Terms) { x.Tenure = 0 }},
		{"tenure", func(x *Terms) { x.Tenure = MaxTenureMonths + 1 }},
		{"method", func(x *Terms) { x.Method = "balloon" }},
		{"day_count", func(x *Terms) { x.DayCount = "actual/360" }},
		{"start", func(x *Terms) { x.Start = 0 }},
		{"first_due", func(x *Terms) { x.FirstDue = x.Start }},
		{"first_due", func(x *Terms) { x.FirstDue = x.Start.AddMonths(2) + 1 }},
	}
	for _, c := range cases {
		x := base
		c.edit(&x)
		_, err := Generate(x)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Field != c.field {
			t.Errorf("Generate(%+v) error = %v; want an InputError on %s", x, err, c.field)
		}
	}
}
