package schedule

import (
	"fmt"
	"time"
)

// Date is a calendar date with no time of day and no zone, counted in days
// since 1970-01-01. Differences between dates are plain subtraction. It
// encodes as "YYYY-MM-DD" in JSON and YAML.
type Date int32

// NewDate returns the date y-m-d. It reports false when the date does not
// exist (month outside 1–12 or day outside the month).
func NewDate(y int, m time.Month, d int) (Date, bool) {
	if m < time.January || m > time.December || d < 1 || d > daysIn(y, m) {
		return 0, false
	}
	return fromCivil(y, int(m), d), true
}

// DateOf returns the calendar date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return fromCivil(y, int(m), d)
}

// ParseDate parses "YYYY-MM-DD" strictly (the date must exist).
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a date (want YYYY-MM-DD)", s)
	}
	return DateOf(t), nil
}

// YMD returns the year, month and day of d.
func (d Date) YMD() (int, time.Month, int) {
	y, m, dd := toCivil(int64(d))
	return y, time.Month(m), dd
}

// String formats d as "YYYY-MM-DD".
func (d Date) String() string {
	y, m, dd := d.YMD()
	var b [10]byte
	b[0], b[1], b[2], b[3] = byte('0'+y/1000%10), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10)
	b[4] = '-'
	b[5], b[6] = byte('0'+int(m)/10), byte('0'+int(m)%10)
	b[7] = '-'
	b[8], b[9] = byte('0'+dd/10), byte('0'+dd%10)
	return string(b[:])
}

// MarshalText encodes d as "YYYY-MM-DD".
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText parses "YYYY-MM-DD".
func (d *Date) UnmarshalText(b []byte) error { return unmarshalWith(d, b, ParseDate) }

// unmarshalWith is the UnmarshalText of the package's text types: it sets
// *dst to what parse makes of b, and leaves *dst as it was on an error.
func unmarshalWith[T any](dst *T, b []byte, parse func(string) (T, error)) error {
	v, err := parse(string(b))
	if err == nil {
		*dst = v
	}
	return err
}

// AddMonths returns the date k months after d on the same day of the month,
// clamped to the last day of a shorter month (2026-01-31 + 1 month is
// 2026-02-28). Repeated calls on the same anchor never drift: always add to
// the anchor, not to the previous result.
func (d Date) AddMonths(k int) Date {
	y, m, dd := toCivil(int64(d))
	mi := y*12 + (m - 1) + k
	ny, nm := floorDiv(mi, 12), mi-floorDiv(mi, 12)*12+1
	if last := daysIn(ny, time.Month(nm)); dd > last {
		dd = last
	}
	return fromCivil(ny, nm, dd)
}

// days360 is the 30E/360 day count from a to b: every month has 30 days and
// a 31st counts as the 30th.
func days360(a, b Date) int64 {
	y1, m1, d1 := a.YMD()
	y2, m2, d2 := b.YMD()
	d1, d2 = min(d1, 30), min(d2, 30)
	return int64(360*(y2-y1) + 30*(int(m2)-int(m1)) + (d2 - d1))
}

func daysIn(y int, m time.Month) int {
	switch m {
	case time.February:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// fromCivil and toCivil convert between proleptic Gregorian dates and days
// since 1970-01-01 with the era arithmetic (400-year cycles of 146097 days).
func fromCivil(y, m, d int) Date {
	if m <= 2 {
		y--
	}
	era := floorDiv(y, 400)
	yoe := y - era*400
	mp := m + 9
	if m > 2 {
		mp = m - 3
	}
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return Date(era*146097 + doe - 719468)
}

func toCivil(z int64) (int, int, int) {
	z += 719468
	era := z / 146097
	if z < 0 && z%146097 != 0 {
		era--
	}
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y := yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d := doy - (153*mp+2)/5 + 1
	m := mp + 3
	if mp >= 10 {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return int(y), int(m), int(d)
}
