package quiet_test

import (
	"testing"
	"time"

	"github.com/nirnay/nirnay/comms/quiet"
	"github.com/nirnay/nirnay/comms/templates"
)

func TestNext(t *testing.T) {
	ist := func(h, m int) time.Time { return time.Date(2026, 12, 4, h, m, 0, 0, quiet.India) }
	tomorrow := func(h int) time.Time { return time.Date(2026, 12, 5, h, 0, 0, 0, quiet.India) }
	for _, c := range []struct {
		cat      templates.Category
		at, want time.Time
		deferred bool
	}{
		{templates.Promotional, ist(8, 59), ist(9, 0), true},
		{templates.Promotional, ist(9, 0), ist(9, 0), false},
		{templates.Promotional, ist(20, 59), ist(20, 59), false},
		{templates.Promotional, ist(21, 0), tomorrow(9), true},
		{templates.Promotional, ist(23, 30), tomorrow(9), true},
		{templates.Collections, ist(7, 59), ist(8, 0), true},
		{templates.Collections, ist(18, 59), ist(18, 59), false},
		{templates.Collections, ist(19, 0), tomorrow(8), true},
		{templates.Transactional, ist(3, 0), ist(3, 0), false},
		{templates.Service, ist(23, 59), ist(23, 59), false},
	} {
		got, deferred := quiet.Next(c.cat, c.at.UTC()) // a UTC instant is placed in India's day
		if !got.Equal(c.want) || deferred != c.deferred {
			t.Errorf("%s at %s IST: %s (deferred %v), want %s (%v)", c.cat, c.at.Format("15:04"), got.In(quiet.India).Format("Jan 2 15:04"),
				deferred, c.want.Format("Jan 2 15:04"), c.deferred)
		}
	}
}
