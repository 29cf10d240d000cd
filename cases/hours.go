package cases

import (
	"time"

	"github.com/nirnay/nirnay/internal/india"
)

// BusinessHours is when reviewers work: a time zone, the weekdays, the
// opening and closing time of each of those days, and holidays (dates in
// the zone). SLAs count only this time.
type BusinessHours struct {
	Zone        *time.Location
	Days        [7]bool       // by time.Weekday
	Open, Close time.Duration // since midnight in Zone
	Holidays    map[string]bool
}

// DefaultBusinessHours is 09:30–18:30 Monday to Saturday in Asia/Kolkata
// (a fixed UTC+05:30 when the system has no zone database).
func DefaultBusinessHours() BusinessHours {
	h := BusinessHours{Zone: india.Zone, Open: 9*time.Hour + 30*time.Minute, Close: 18*time.Hour + 30*time.Minute}
	for d := time.Monday; d <= time.Saturday; d++ {
		h.Days[d] = true
	}
	return h
}

// maxSearchDays bounds the days Add walks (a calendar with no working day
// at all gives up after a year and a bit, returning t plus d).
const maxSearchDays = 400

// Add returns the instant d of business time after t: time outside the
// working hours of working days does not count. A t outside working hours
// starts counting at the next opening. Add with d ≤ 0 returns t.
func (h BusinessHours) Add(t time.Time, d time.Duration) time.Time {
	if d <= 0 {
		return t
	}
	loc := h.Zone
	if loc == nil {
		loc = time.UTC
	}
	cur := t.In(loc)
	for range maxSearchDays {
		y, m, day := cur.Date()
		midnight := time.Date(y, m, day, 0, 0, 0, 0, loc)
		if h.Days[cur.Weekday()] && !h.Holidays[midnight.Format(time.DateOnly)] {
			open, closing := at(midnight, h.Open), at(midnight, h.Close)
			if cur.Before(open) {
				cur = open
			}
			if cur.Before(closing) {
				if left := closing.Sub(cur); d <= left {
					return cur.Add(d).In(t.Location())
				} else {
					d -= left
				}
			}
		}
		cur = time.Date(y, m, day+1, 0, 0, 0, 0, loc)
	}
	return t.Add(d)
}

// at is midnight plus a time of day, read on the wall clock (so a day
// with a daylight-saving change still opens at its stated time).
func at(midnight time.Time, since time.Duration) time.Time {
	y, m, d := midnight.Date()
	return time.Date(y, m, d, int(since/time.Hour), int(since%time.Hour/time.Minute), 0, 0, midnight.Location())
}
