package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/lending/schedule"
)

// dayEnd is the day-end event: once at start (to catch up) and then at every
// midnight IST it makes sure the decision log has its month partitions for
// this month and the next decisionlog.PartitionsAhead (PostgreSQL), runs
// the lending day-end for the business day just ended (DPD, asset classes,
// DPD-change events — idempotent per loan and date), raises the re-KYC
// tasks of customers whose KYC is due (once per customer and due time) and moves decisions
// older than the hot age to the cold tier (on PostgreSQL, the months that
// ended before it). One instance of those sharing the database does it for
// each date (store.DB.Once); the others, and later starts, skip a date that
// is done. Each step is idempotent, so a day end that failed part way runs
// again whole. The midnight timer is the event; nothing polls.
func (s *service) dayEnd(ctx context.Context) {
	host, _ := os.Hostname()
	owner := fmt.Sprintf("%s/%d", host, os.Getpid())
	for {
		now := time.Now().In(ist)
		ended := schedule.DateOf(now.AddDate(0, 0, -1))
		ran, err := s.db.Once(ctx, "day-end/"+ended.String(), owner, func(ctx context.Context) error {
			created, err := s.declog.EnsurePartitions(ctx, time.Now(), decisionlog.PartitionsAhead)
			if err != nil {
				return fmt.Errorf("decision log partitions: %w", err)
			}
			if len(created) > 0 {
				s.log.Info("day end: decision log partitions created", "partitions", created)
			}
			rep, err := s.loans.DayEnd(ctx, ended)
			if err != nil {
				return fmt.Errorf("lending day-end: %w", err)
			}
			s.log.Info("day end: lending", "date", ended.String(), "report", rep)
			if _, err := s.kyc.RaiseReKYC(ctx, ended.String()); err != nil {
				return fmt.Errorf("re-KYC tasks: %w", err)
			}
			cutoff := time.Now().Add(-s.cfg.DecisionHotAge)
			n, err := s.declog.Archive(ctx, cutoff)
			if err != nil {
				return fmt.Errorf("archiving decisions: %w", err)
			}
			if n > 0 {
				s.log.Info("day end: decisions moved to the cold tier", "count", n, "before", cutoff.UTC().Format(time.RFC3339))
			}
			return nil
		})
		switch {
		case ctx.Err() != nil:
			return
		case err != nil:
			s.log.Warn("day end failed; it runs again at the next start or day end", "date", ended.String(), "err", err)
		case !ran:
			s.log.Debug("day end: done by another instance or an earlier start", "date", ended.String())
		}
		next := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 5, 0, ist)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(next)):
		}
	}
}
