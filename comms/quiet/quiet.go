// Package quiet is when a message may reach a customer (DESIGN §17, RBI's
// fair-practice code for recovery): in India's time (Asia/Kolkata),
// promotional messages only from 09:00 to 21:00 and collections messages
// only from 08:00 to 19:00; transactional and service messages at any
// hour. A message outside its window is deferred to the window's next
// opening, never dropped.
package quiet

import (
	"time"

	"github.com/nirnay/nirnay/comms/templates"
	"github.com/nirnay/nirnay/internal/india"
)

// India is Asia/Kolkata (UTC+05:30, no daylight saving).
var India = india.Zone

// Window is the hours of the day, in India, a category may be sent in:
// from Open (inclusive) to Close (exclusive), as offsets from midnight.
type Window struct{ Open, Close time.Duration }

// Windows are the categories' windows; a category not listed may be sent
// at any hour.
var Windows = map[templates.Category]Window{
	templates.Promotional: {9 * time.Hour, 21 * time.Hour},
	templates.Collections: {8 * time.Hour, 19 * time.Hour},
}

// Next is when a message of category c, due at t, may go: t itself when
// it falls inside the category's window (or the category has none), else
// the window's next opening in India; deferred says which.
func Next(c templates.Category, t time.Time) (at time.Time, deferred bool) {
	w, ok := Windows[c]
	if !ok {
		return t, false
	}
	local := t.In(India)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, India)
	since := local.Sub(midnight)
	switch {
	case since >= w.Open && since < w.Close:
		return t, false
	case since < w.Open:
		return midnight.Add(w.Open), true
	default: // after the close: tomorrow's opening
		next := time.Date(local.Year(), local.Month(), local.Day()+1, 0, 0, 0, 0, India)
		return next.Add(w.Open), true
	}
}
