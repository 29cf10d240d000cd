package screening

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// Customers yields the customers to re-screen: id, name and date of birth
// ("" when unknown, else in the grammar of ParseDOB). It must stop when
// yield returns false. A source that fails part-way stops and reports its
// error to its own caller: Rescreen cannot tell a short source from a
// complete one.
type Customers func(yield func(customerID, name, dob string) bool)

// OnHit raises the review case of a hit Rescreen recorded for a customer.
type OnHit func(ctx context.Context, h Hit, customerID string) error

// RescreenProgress reports how far a Rescreen has got.
type RescreenProgress struct {
	List      string
	Revision  int64
	Entries   int // entries screened against
	Customers int // customers screened so far
	Hits      int // hits raised so far
	Elapsed   time.Duration
}

// RescreenResult is what a Rescreen did.
type RescreenResult struct {
	List         string
	FromRevision int64
	Revision     int64 // the list's revision whose new entries were screened
	Entries      int   // entries added after FromRevision and still listed
	Customers    int   // customers screened
	Hits         int   // new hits recorded and raised
	Known        int   // hits the customers already had recorded
	Elapsed      time.Duration
}

// Rescreen screens every customer against the entries of list added after
// fromRevision (new refs and changed ones) that are still listed, as of
// one snapshot of the list, and records each hit a customer does not have
// yet (Record). onHit is called for each hit this call recorded, and only
// those: with several instances re-screening at once, the database's
// unique key gives each hit to one of them. When onHit fails the hit is
// withdrawn (so a later re-screen raises it again) and Rescreen stops with
// the error. A crash between recording a hit and onHit's return leaves the
// hit recorded without its case. With no new entries the customers are
// not read.
//
// Progress is logged at Info (and given to Options.Progress) every
// Options.ProgressEvery customers and at the end. On success the list's
// RescreenedRevision advances to Revision, if it was at fromRevision or
// below. Errors: KindInvalid for a bad list name or a negative
// fromRevision, KindNotFound for a list never imported, ctx's error when
// it ends; the result then counts what was done.
func (s *Service) Rescreen(ctx context.Context, list string, fromRevision int64, customers Customers, onHit OnHit) (RescreenResult, error) {
	if err := CheckListName(list); err != nil {
		return RescreenResult{}, err
	}
	if fromRevision < 0 {
		return RescreenResult{}, nirnay.FieldError("from_revision", "must not be negative, got %d", fromRevision)
	}
	start := s.opts.Now()
	res := RescreenResult{List: list, FromRevision: fromRevision}
	var added []Listed
	err := s.db.InSnapshot(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT revision FROM screening_lists WHERE name = $1`, list).Scan(&res.Revision); err != nil {
			if nirnay.IsKind(store.Translate(err), nirnay.KindNotFound) {
				return nirnay.Errorf(nirnay.KindNotFound, "no screening list %q", list)
			}
			return store.Translate(err)
		}
		var err error
		added, err = s.listed(ctx, tx, `list_name = $1 AND removed_revision IS NULL AND added_revision > $2 ORDER BY ref`, list, fromRevision)
		return err
	})
	if err != nil {
		return res, err
	}
	res.Entries = len(added)
	progress := func() {
		p := RescreenProgress{List: list, Revision: res.Revision, Entries: res.Entries, Customers: res.Customers,
			Hits: res.Hits, Elapsed: s.opts.Now().Sub(start)}
		s.opts.Logger.Info("screening list re-screen", "list", p.List, "revision", p.Revision, "entries", p.Entries,
			"customers", p.Customers, "hits", p.Hits, "elapsed", p.Elapsed)
		if s.opts.Progress != nil {
			s.opts.Progress(p)
		}
	}
	if len(added) > 0 {
		ix := NewIndex(s.opts.Match, s.opts.Threshold, added)
		ix.revisions = map[string]int64{list: res.Revision}
		var stop error
		customers(func(customerID, name, dob string) bool {
			if res.Customers%256 == 0 && ctx.Err() != nil {
				stop = ctx.Err()
				return false
			}
			res.Customers++
			for _, h := range ix.Screen(name, dob) {
				h, ok, err := s.insertHit(ctx, customerID, h)
				if err != nil {
					stop = fmt.Errorf("record hit of customer %s on %s/%s: %w", customerID, h.List, h.Ref, err)
					return false
				}
				if !ok {
					res.Known++
					continue
				}
				if err := onHit(ctx, h, customerID); err != nil {
					stop = fmt.Errorf("raise hit %s of customer %s on %s/%s: %w", h.ID, customerID, h.List, h.Ref, err)
					if werr := s.withdraw(ctx, h.ID); werr != nil {
						stop = errors.Join(stop, fmt.Errorf("withdraw hit %s: %w", h.ID, werr))
					}
					return false
				}
				res.Hits++
			}
			if res.Customers%s.opts.ProgressEvery == 0 {
				progress()
			}
			return true
		})
		if stop == nil {
			stop = ctx.Err()
		}
		if stop != nil {
			res.Elapsed = s.opts.Now().Sub(start)
			return res, stop
		}
	}
	if _, err := s.db.Writer().ExecContext(ctx, `UPDATE screening_lists SET rescreened_revision = $2
WHERE name = $1 AND rescreened_revision >= $3 AND rescreened_revision < $2`, list, res.Revision, fromRevision); err != nil {
		res.Elapsed = s.opts.Now().Sub(start)
		return res, store.Translate(err)
	}
	res.Elapsed = s.opts.Now().Sub(start)
	progress()
	return res, nil
}
