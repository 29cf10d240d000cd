package schedule

import (
	"errors"
	"testing"
	"time"

	"pgregory.net/rapid"
)

func TestDateMatchesTimePackage(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		days := rapid.IntRange(-200_000, 200_000).Draw(rt, "days")
		want := time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, days)
		d := Date(days)
		if got := d.String(); got != want.Format(time.DateOnly) {
			rt.Fatalf("Date(%d) = %s, want %s", days, got, want.Format(time.DateOnly))
		}
		if back := DateOf(want); back != d {
			rt.Fatalf("DateOf(%s) = %d, want %d", want.Format(time.DateOnly), back, days)
		}
	})
}

func TestAddMonthsClamps(t *testing.T) {
	cases := []struct {
		from string
		k    int
		want string
	}{
		{"2026-01-31", 1, "2026-02-28"}, {"2028-01-31", 1, "2028-02-29"}, {"2026-01-31", 3, "2026-04-30"},
		{"2026-01-31", 2, "2026-03-31"}, {"2026-11-15", 2, "2027-01-15"}, {"2026-03-31", -1, "2026-02-28"},
		{"2026-12-31", 12, "2027-12-31"}, {"2026-08-31", 6, "2027-02-28"},
	}
	for _, c := range cases {
		if got := mustDate(t, c.from).AddMonths(c.k).String(); got != c.want {
			t.Errorf("%s + %d months = %s, want %s", c.from, c.k, got, c.want)
		}
	}
}

func TestDays360(t *testing.T) {
	cases := []struct {
		a, b string
		want int64
	}{
		{"2026-01-10", "2026-03-05", 55}, {"2026-01-31", "2026-03-15", 45}, {"2026-01-01", "2026-02-01", 30},
		{"2026-02-28", "2026-03-31", 32}, {"2026-12-15", "2027-01-15", 30},
	}
	for _, c := range cases {
		if got := days360(mustDate(t, c.a), mustDate(t, c.b)); got != c.want {
			t.Errorf("days360(%s, %s) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}

func TestParseDateRejects(t *testing.T) {
	for _, s := range []string{"", "2026-02-30", "2026-13-01", "26-01-01", "2026/01/01", "2026-1-1"} {
		if _, err := ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) accepted a bad date", s)
		}
	}
}

func TestParsePercent(t *testing.T) {
	cases := []struct{ in, want string }{
		{"24", "24"}, {"10.99", "10.99"}, {"10.990", "10.99"}, {"0.5", "0.5"}, {".5", "0.5"},
		{"100", "100"}, {"0", "0"}, {"18%", "18"}, {"12.345678", "12.345678"},
	}
	for _, c := range cases {
		r, err := ParsePercent(c.in)
		if err != nil || r.Percent() != c.want {
			t.Errorf("ParsePercent(%q) = %s, %v; want %s", c.in, r.Percent(), err, c.want)
		}
	}
	for _, bad := range []string{"", "-1", "100.01", "101", "1000", "abc", "1.2.3", "12.", "1e2", "12.3456789", "+5"} {
		if _, err := ParsePercent(bad); !errors.Is(err, ErrInvalidRate) {
			t.Errorf("ParsePercent(%q) error = %v; want ErrInvalidRate", bad, err)
		}
	}
	if r, _ := RateFromBPS(1850); r.Percent() != "18.5" {
		t.Errorf("RateFromBPS(1850) = %s, want 18.5", r.Percent())
	}
	if _, err := RateFromBPS(10001); !errors.Is(err, ErrInvalidRate) {
		t.Errorf("RateFromBPS(10001) error = %v; want ErrInvalidRate", err)
	}
	if got := mustRate(t, "18").OfPaise(2000_00); got != 360_00 {
		t.Errorf("18%% of ₹2000 = %d paise, want 36000", got)
	}
	if got := mustRate(t, "2.5").OfPaise(1); got != 0 {
		t.Errorf("2.5%% of 1 paisa = %d, want 0 (0.025 rounds down)", got)
	}
	if got := mustRate(t, "50").OfPaise(1); got != 1 {
		t.Errorf("50%% of 1 paisa = %d, want 1 (half rounds up)", got)
	}
}

func TestMulDivRound(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		a := rapid.Uint64Range(0, 1<<50).Draw(rt, "a")
		b := rapid.Uint64Range(0, 1<<12).Draw(rt, "b")
		c := rapid.Uint64Range(1, 1<<40).Draw(rt, "c")
		q := mulDivRound(a, b, c)
		// q is the half-up rounding of a·b/c: (q − ½)·c ≤ a·b < (q + ½)·c
		p := a * b // fits: < 2^62
		if 2*p < (2*q-1)*c && q > 0 || 2*p >= (2*q+1)*c {
			rt.Fatalf("mulDivRound(%d, %d, %d) = %d", a, b, c, q)
		}
	})
}
