package screening

import "testing"

func TestParseDOB(t *testing.T) {
	cases := []struct {
		in, want string
		bad      bool
	}{
		{in: "", want: ""},
		{in: " 1971-06-14 ", want: "1971-06-14"},
		{in: "1965;1967", want: "1965; 1967"},
		{in: "1980/1983", want: "1980/1983"},
		{in: "1971-06", want: "1971-06"},
		{in: "1971-06-14; ;1972", want: "1971-06-14; 1972"},
		{in: "1971-02-30", bad: true},
		{in: "1983/1980", bad: true},
		{in: "14/06/1971", bad: true},
		{in: "1700", bad: true},
		{in: "about 1970", bad: true},
		{in: "1;2;3;4;5;6;7;8;9;10;11;12;13", bad: true},
	}
	for _, c := range cases {
		got, err := ParseDOB(c.in)
		switch {
		case c.bad && err == nil:
			t.Errorf("ParseDOB(%q) = %q, want an error", c.in, got)
		case !c.bad && (err != nil || got != c.want):
			t.Errorf("ParseDOB(%q) = %q, %v; want %q", c.in, got, err, c.want)
		}
	}
}

func TestDOBConflict(t *testing.T) {
	cases := []struct {
		customer, listed string
		conflict         bool
	}{
		{"1971-06-14", "1971-06-14", false},
		{"1972-06-14", "1971-06-14", false}, // a year apart exactly
		{"1972-06-15", "1971-06-14", true},  // a year and a day
		{"1970-06-13", "1971-06-14", true},
		{"1975-03-01", "1980/1983", true},
		{"1979-01-01", "1980/1983", false},
		{"1984-12-31", "1980/1983", false},
		{"1985-01-01", "1980/1983", true},
		{"1966-12-31", "1965; 1967", false},
		{"1990-05-05", "1965; 1967", true},
		{"1990", "1991-12-31", false}, // a customer's year: any day of it
		{"1990", "1992-01-01", true},
		{"", "1971-06-14", false}, // unknown on one side
		{"1990-01-01", "", false},
		{"not a date", "1971-06-14", false}, // unreadable counts as unknown
	}
	for _, c := range cases {
		cust, _ := parseDOB(c.customer)
		listed, _ := parseDOB(c.listed)
		for i := range listed {
			listed[i] = listed[i].widened()
		}
		if got := dobConflict(cust, listed); got != c.conflict {
			t.Errorf("customer %q, listed %q: conflict %v, want %v", c.customer, c.listed, got, c.conflict)
		}
	}
}
