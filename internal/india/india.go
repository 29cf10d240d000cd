// Package india is India's time zone, in which Nirnay's business days,
// quiet hours and review SLAs are reckoned.
package india

import "time"

// Zone is Asia/Kolkata: UTC+05:30 all year (no daylight saving), from the
// system's zone database, or the fixed offset where it has none.
var Zone = func() *time.Location {
	if loc, err := time.LoadLocation("Asia/Kolkata"); err == nil {
		return loc
	}
	return time.FixedZone("IST", 5*3600+30*60)
}()
