package screening

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A date of birth, on a listed entry or a customer, is text in one
// grammar: "" when unknown, else one or more parts separated by ";", each
// a day (1970-03-14), a month (1970-03), a year (1970) or a range of years
// (1968/1971, the UN list's BETWEEN). ParseDOB checks it and gives its
// canonical form, which is what the database keeps.
//
// The rule (Index.Screen): a date of birth known on both sides and more
// than a year away from every listed part lowers the hit away — the name
// score stands only while some part of the customer's date is within a
// year (calendar year, either side) of some part of the listed one. A date
// unknown on either side leaves the name score as it is.

// maxDOBParts bounds the parts of one date of birth.
const maxDOBParts = 12

// dobSpan is one part of a date of birth as the days (since 1970-01-01)
// it covers, first to last inclusive.
type dobSpan struct{ first, last int32 }

// ParseDOB checks a date of birth in the grammar above and returns it in
// canonical form (parts trimmed, joined by "; "). Errors are
// KindInvalid-ready messages (the caller names the field).
func ParseDOB(s string) (string, error) {
	parts, err := parseDOB(s)
	if err != nil {
		return "", err
	}
	if len(parts) == 0 {
		return "", nil
	}
	out := make([]string, 0, len(parts))
	for _, p := range strings.Split(s, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; "), nil
}

// parseDOB returns the spans of a date of birth; none when it is "".
func parseDOB(s string) ([]dobSpan, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	fields := strings.Split(s, ";")
	if len(fields) > maxDOBParts {
		return nil, fmt.Errorf("date of birth has %d parts; at most %d", len(fields), maxDOBParts)
	}
	var out []dobSpan
	for _, f := range fields {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		sp, ok := parseDOBPart(f)
		if !ok {
			return nil, fmt.Errorf("date of birth %q is not a date (1970-03-14), month (1970-03), year (1970) or range of years (1968/1971)", clip(f))
		}
		out = append(out, sp)
	}
	return out, nil
}

func parseDOBPart(f string) (dobSpan, bool) {
	if from, to, ok := strings.Cut(f, "/"); ok {
		a, okA := year(from)
		b, okB := year(to)
		if !okA || !okB || a > b {
			return dobSpan{}, false
		}
		return span(date(a, 1, 1), date(b, 12, 31)), true
	}
	switch len(f) {
	case 4:
		y, ok := year(f)
		if !ok {
			return dobSpan{}, false
		}
		return span(date(y, 1, 1), date(y, 12, 31)), true
	case 7:
		t, err := time.Parse("2006-01", f)
		if err != nil || !inYears(t.Year()) {
			return dobSpan{}, false
		}
		return span(t, t.AddDate(0, 1, -1)), true
	case 10:
		t, err := time.Parse(time.DateOnly, f)
		if err != nil || !inYears(t.Year()) {
			return dobSpan{}, false
		}
		return span(t, t), true
	}
	return dobSpan{}, false
}

// year reads four digits as a year in the accepted range.
func year(s string) (int, bool) {
	if len(s) != 4 {
		return 0, false
	}
	y, err := strconv.Atoi(s)
	return y, err == nil && inYears(y)
}

// inYears bounds the years of a date of birth.
func inYears(y int) bool { return y >= 1800 && y <= 2200 }

func date(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }

func span(first, last time.Time) dobSpan { return dobSpan{dayOf(first), dayOf(last)} }

func dayOf(t time.Time) int32 { return int32(t.Unix() / 86400) }

// widened is the span with a calendar year added on each side: a date
// inside it is within a year of the span.
func (s dobSpan) widened() dobSpan {
	first := time.Unix(int64(s.first)*86400, 0).UTC().AddDate(-1, 0, 0)
	last := time.Unix(int64(s.last)*86400, 0).UTC().AddDate(1, 0, 0)
	return span(first, last)
}

// dobConflict reports whether a customer's date of birth (spans c) is more
// than a year from every part of a listed one (widened spans e); false when
// either is unknown.
func dobConflict(c, e []dobSpan) bool {
	if len(c) == 0 || len(e) == 0 {
		return false
	}
	for _, x := range c {
		for _, y := range e {
			if x.last >= y.first && x.first <= y.last {
				return false
			}
		}
	}
	return true
}

// clip shortens text quoted back in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return strings.ToValidUTF8(s[:40], "") + "…"
	}
	return strings.ToValidUTF8(s, "?")
}
