package schedule

import "testing"

// FuzzParsePercent: any accepted rate is within 0–100% and its Percent()
// parses back to the same rate.
func FuzzParsePercent(f *testing.F) {
	for _, s := range []string{"24", "10.99", "0", "100", ".5", "18%", "100.000001", "-1", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParsePercent(s)
		if err != nil {
			return
		}
		if r.num < 0 || r.num > r.den {
			t.Fatalf("ParsePercent(%q) = %d/%d, outside 0–100%%", s, r.num, r.den)
		}
		back, err := ParsePercent(r.Percent())
		if err != nil || back != r {
			t.Fatalf("ParsePercent(%q) = %s does not round-trip: %v, %v", s, r.Percent(), back, err)
		}
	})
}

// FuzzParseDate: an accepted date formats back to the same string.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-01-31", "2028-02-29", "2026-02-29", "0001-01-01", "9999-12-31"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDate(s)
		if err != nil {
			return
		}
		if d.String() != s {
			t.Fatalf("ParseDate(%q).String() = %q", s, d.String())
		}
	})
}
