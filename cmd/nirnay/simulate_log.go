package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nirnay/nirnay/simulator/live"
)

// newLogSource replays the cold tier of a decision log under dir (its
// cold/ directory, else dir itself): the acted-on decisions (champion or
// challenger, not shadows) of one step decided in [from, to), day file by
// day file in date order, records in file order. Referred decisions carry
// the reviewers' verdicts found in the same files from `from` until
// verdictDays days after `to` (none when verdictDays is 0).
func newLogSource(ctx context.Context, dir, step string, from, to time.Time, verdictDays int) (*live.Source, error) {
	if !to.After(from) {
		return nil, fmt.Errorf("--to (%s) must be after --from (%s)", to.Format(time.RFC3339), from.Format(time.RFC3339))
	}
	if verdictDays < 0 {
		return nil, fmt.Errorf("--verdict-days must be at least 0, got %d", verdictDays)
	}
	cold := filepath.Join(dir, "cold")
	if st, err := os.Stat(cold); err != nil || !st.IsDir() {
		cold = dir
	}
	window := time.Duration(verdictDays) * 24 * time.Hour
	if verdictDays == 0 {
		window = -1 // read no verdicts
	}
	return live.NewSource(ctx, live.Decisions{ColdDir: cold}, live.Range{Step: step, From: from, To: to},
		live.SourceOptions{VerdictWindow: window})
}
