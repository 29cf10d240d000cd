// Package live reads what happened to live traffic — the decision log and
// the loan book — for the simulator: a replay source over logged decisions
// (hot and cold tiers), the repayment outcomes of the loans approved
// decisions led to, and the champion/challenger comparison built on both.
package live

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/simulator"
)

// ErrTooMany is returned (wrapped) when a range holds more decisions than
// the reader's limit.
var ErrTooMany = errors.New("too many decisions in the range")

// Decisions is where logged decisions are read: the hot tier through
// List (a *decisionlog.Log; nil for none) and the cold tier's daily files
// under ColdDir ("" for none).
type Decisions struct {
	Hot     HotTier
	ColdDir string
}

// HotTier lists shipped decisions; *decisionlog.Log satisfies it.
type HotTier interface {
	List(ctx context.Context, f decisionlog.Filter) ([]*decisionlog.Record, string, error)
}

// FromLog reads both tiers of an open decision log.
func FromLog(l *decisionlog.Log) Decisions { return Decisions{Hot: l, ColdDir: l.ColdDir()} }

// Range selects the logged decisions of one step decided in [From, To),
// of one policy role when Role is set.
type Range struct {
	Step     string
	From, To time.Time
	Role     nirnay.PolicyRole
}

func (r Range) check() error {
	if r.Step == "" {
		return nirnay.FieldError("step", "is required")
	}
	if r.From.IsZero() || r.To.IsZero() {
		return nirnay.FieldError("from", "from and to are both required")
	}
	if !r.To.After(r.From) {
		return nirnay.FieldError("to", "must be after from")
	}
	return nil
}

// EachDecision calls fn for every logged decision (acted-on, shadow and
// manual, or only r.Role's) of r.Step decided in [r.From, r.To): first those still in the database
// (newest first, a page of 500 at a time), then those in the cold tier's
// daily files (day by day, in file order). A decision present in both
// tiers (an archive interrupted between its two writes) is given once.
// Decisions appended but not yet shipped to the database are not seen.
// More than limit decisions (limit > 0) stop the walk with ErrTooMany.
func EachDecision(ctx context.Context, l Decisions, r Range, limit int, fn func(*decisionlog.Record) error) error {
	if err := r.check(); err != nil {
		return err
	}
	seen := map[string]struct{}{}
	n := 0
	visit := func(rec *decisionlog.Record) error {
		if _, dup := seen[rec.ID]; dup {
			return nil
		}
		seen[rec.ID] = struct{}{}
		n++
		if limit > 0 && n > limit {
			return fmt.Errorf("%s %s to %s: more than %d: %w", r.Step, r.From.Format(time.RFC3339), r.To.Format(time.RFC3339), limit, ErrTooMany)
		}
		return fn(rec)
	}
	cursor := ""
	for l.Hot != nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		recs, next, err := l.Hot.List(ctx, decisionlog.Filter{Step: r.Step, From: r.From, To: r.To, Role: r.Role, Limit: 500, Cursor: cursor})
		if err != nil {
			return fmt.Errorf("read decision log: %w", err)
		}
		for _, rec := range recs {
			if err := visit(rec); err != nil {
				return err
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	for d := r.From.UTC().Truncate(24 * time.Hour); l.ColdDir != "" && d.Before(r.To); d = d.AddDate(0, 0, 1) {
		if err := ctx.Err(); err != nil {
			return err
		}
		path := filepath.Join(l.ColdDir, d.Format(time.DateOnly)+".jsonl.gz")
		err := decisionlog.ReadColdDay(path, func(rec *decisionlog.Record) error {
			if rec.Step != r.Step || rec.DecidedAt.Before(r.From) || !rec.DecidedAt.Before(r.To) || (r.Role != "" && rec.Role != r.Role) {
				return nil
			}
			return visit(rec)
		})
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("cold decision log %s: %w", path, err)
		}
	}
	return nil
}

// DefaultVerdictWindow is how far past a replayed range's end a Source
// looks for reviewers' verdicts on its referred decisions: a case is
// decided hours to days after its decision.
const DefaultVerdictWindow = 14 * 24 * time.Hour

// SourceOptions bound a replay source.
type SourceOptions struct {
	// Limit bounds the decisions read, once for the verdicts and once for
	// the replay (see EachDecision); 0: no bound.
	Limit int
	// VerdictWindow: verdicts (role manual) on the range's referred
	// decisions are read from the range's start until its end plus
	// VerdictWindow; 0 takes DefaultVerdictWindow, negative reads none.
	VerdictWindow time.Duration
}

// Source is a replay source over the acted-on decisions (champion or
// challenger, not shadows) of a range, each turned into a record with
// simulator.RecordFromLog; a referred decision (outcome review) carries
// its live fired rules and the reviewer's verdict read from the same
// tiers (simulator.Record.Referral), so the report compares the replayed
// policies with the reviewers. Call Close when done.
type Source struct {
	simulator.Source
	stop  func()
	until time.Time
}

// Close releases the walk over the log.
func (s *Source) Close() error { s.stop(); return nil }

// VerdictsUntil is the end (exclusive) of the window verdicts were read
// from; it is the range's start when none were read.
func (s *Source) VerdictsUntil() time.Time { return s.until }

// NewSource returns a replay source over r. It reads the verdicts of the
// window first (an error there is returned at once), then walks the range
// as the records are asked for.
func NewSource(ctx context.Context, l Decisions, r Range, o SourceOptions) (*Source, error) {
	if err := r.check(); err != nil {
		return nil, err
	}
	window := o.VerdictWindow
	if window == 0 {
		window = DefaultVerdictWindow
	}
	until := r.From
	if window > 0 {
		until = r.To.Add(window)
	}
	verdict, err := verdicts(ctx, l, r.Step, r.From, until, o.Limit)
	if err != nil {
		return nil, err
	}
	stopped := errors.New("stopped")
	seq := func(yield func(*simulator.Record, error) bool) {
		err := EachDecision(ctx, l, r, o.Limit, func(rec *decisionlog.Record) error {
			if !rec.Role.ActedOn() {
				return nil // shadows and reviewers' verdicts are not replayed
			}
			out, err := simulator.RecordFromLog(rec.CustomerID, rec.Step, rec.DecidedAt, rec.Body)
			if err != nil {
				err = fmt.Errorf("decision %s: %w", rec.ID, err)
			} else if rec.Outcome == nirnay.Review {
				out.Referral = &simulator.Referral{Rules: firedRules(rec), Verdict: verdict[rec.ID]}
			}
			if !yield(out, err) || err != nil {
				return stopped
			}
			return nil
		})
		if err != nil && !errors.Is(err, stopped) {
			yield(nil, err)
		}
	}
	src, stop := simulator.SeqSource(seq)
	return &Source{Source: src, stop: stop, until: until}, nil
}
