package money

import (
	"errors"
	"testing"

	"pgregory.net/rapid"
)

func TestParseRupees(t *testing.T) {
	cases := []struct {
		in   string
		want Paise
	}{
		{"100000", 10000000}, {"100000.5", 10000050}, {"100000.50", 10000050},
		{"1,00,000.05", 10000005}, {"0.01", 1}, {"-12.30", -1230}, {".5", 50}, {" 7 ", 700},
	}
	for _, c := range cases {
		got, err := ParseRupees(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseRupees(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "-", "1.234", "1.", "abc", "1e5", "12.3.4", "+5", "99999999999999"} {
		if _, err := ParseRupees(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("ParseRupees(%q) error = %v; want ErrInvalid", bad, err)
		}
	}
}

func TestStringRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := Paise(rapid.Int64Range(-1e14, 1e14).Draw(t, "paise"))
		got, err := ParseRupees(p.String())
		if err != nil || got != p {
			t.Fatalf("round trip %d -> %q -> %d, %v", p, p.String(), got, err)
		}
	})
}
