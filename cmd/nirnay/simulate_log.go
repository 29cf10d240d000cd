package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/simulator"
)

// logSource replays the cold tier of a decision log: the acted-on
// decisions (champion or challenger, not shadows) of one step decided in
// [from, to), day file by day file in date order, records in file order.
type logSource struct {
	simulator.Source
	stop func()
}

func (l *logSource) Close() error { l.stop(); return nil }

func newLogSource(dir, step string, from, to time.Time) (*logSource, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("--to (%s) must be after --from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	cold := filepath.Join(dir, "cold")
	if st, err := os.Stat(cold); err != nil || !st.IsDir() {
		cold = dir
	}
	var days []string
	for d := from.UTC().Truncate(24 * time.Hour); d.Before(to); d = d.AddDate(0, 0, 1) {
		days = append(days, filepath.Join(cold, d.Format(time.DateOnly)+".jsonl.gz"))
	}
	seq := func(yield func(*simulator.Record, error) bool) {
		stopped := errors.New("stopped")
		for _, path := range days {
			err := decisionlog.ReadColdDay(path, func(r *decisionlog.Record) error {
				if r.Step != step || !r.Role.ActedOn() || r.DecidedAt.Before(from) || !r.DecidedAt.Before(to) {
					return nil
				}
				rec, err := simulator.RecordFromLog(r.CustomerID, r.Step, r.DecidedAt, r.Body)
				if err != nil {
					err = fmt.Errorf("%s: decision %s: %w", path, r.ID, err)
				}
				if !yield(rec, err) || err != nil {
					return stopped
				}
				return nil
			})
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			if errors.Is(err, stopped) {
				return
			}
			if err != nil {
				yield(nil, fmt.Errorf("%s: %w", path, err))
				return
			}
		}
	}
	src, stop := simulator.SeqSource(seq)
	return &logSource{Source: src, stop: stop}, nil
}
