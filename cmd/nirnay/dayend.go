package main

import (
	"context"
	"time"

	"github.com/nirnay/nirnay/lending/schedule"
)

// dayEnd is the day-end event: once at start (to catch up) and then at every
// midnight IST it runs the lending day-end for the business day just ended
// (DPD, asset classes, DPD-change events — idempotent per loan and date) and
// moves decisions older than the hot age to the cold tier. The midnight timer
// is the event; nothing polls.
func (s *service) dayEnd(ctx context.Context) {
	for {
		now := time.Now().In(ist)
		ended := schedule.DateOf(now.AddDate(0, 0, -1))
		if rep, err := s.loans.DayEnd(ctx, ended); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("day end: lending day-end failed; it runs again at the next day end", "date", ended.String(), "err", err)
		} else {
			s.log.Info("day end: lending", "date", ended.String(), "report", rep)
		}
		cutoff := time.Now().Add(-s.cfg.DecisionHotAge)
		if n, err := s.declog.Archive(ctx, cutoff); err != nil {
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("day end: archiving decisions failed; it runs again at the next day end", "err", err)
		} else if n > 0 {
			s.log.Info("day end: decisions moved to the cold tier", "count", n, "before", cutoff.UTC().Format(time.RFC3339))
		}
		next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 5, 0, ist)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
	}
}
