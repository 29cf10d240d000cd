package screening

import (
	"context"
	"database/sql"
	"maps"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// RecordedHit is a hit as stored for a customer.
type RecordedHit struct {
	Hit
	CustomerID string
	CreatedAt  time.Time
}

// Screen screens a name (and the customer's date of birth, "" when
// unknown) against every list's current entries: Index, then
// Index.Screen. It records nothing (Record does).
func (s *Service) Screen(ctx context.Context, name, dob string) ([]Hit, error) {
	ix, err := s.Index(ctx)
	if err != nil {
		return nil, err
	}
	return ix.Screen(name, dob), nil
}

// Index returns the index of every list's current entries. Each call reads
// the lists' revisions (one query of one row a list); when any differs
// from those the last index was built at — an import on this or any other
// instance — the index is rebuilt from one snapshot of the database
// before it is returned. Rebuilds are serialised; screens keep the index
// they hold.
func (s *Service) Index(ctx context.Context) (*Index, error) {
	revs, err := s.revisions(ctx, s.db.Reader())
	if err != nil {
		return nil, err
	}
	if ix := s.index.Load(); ix != nil && maps.Equal(ix.revisions, revs) {
		return ix, nil
	}
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	if ix := s.index.Load(); ix != nil && maps.Equal(ix.revisions, revs) {
		return ix, nil
	}
	var ix *Index
	err = s.db.InSnapshot(ctx, func(tx *sql.Tx) error {
		revs, err := s.revisions(ctx, tx)
		if err != nil {
			return err
		}
		entries, err := s.listed(ctx, tx, `removed_revision IS NULL ORDER BY list_name, ref`)
		if err != nil {
			return err
		}
		ix = NewIndex(s.opts.Match, s.opts.Threshold, entries)
		ix.revisions = revs
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.index.Store(ix)
	s.opts.Logger.Debug("screening index built", "entries", ix.Len(), "names", len(ix.names), "revisions", revs)
	return ix, nil
}

// revisions reads every list's revision.
func (s *Service) revisions(ctx context.Context, q querier) (map[string]int64, error) {
	rows, err := q.QueryContext(ctx, `SELECT name, revision FROM screening_lists`)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var name string
		var rev int64
		if err := rows.Scan(&name, &rev); err != nil {
			return nil, err
		}
		out[name] = rev
	}
	return out, store.Translate(rows.Err())
}

// Record stores those of a customer's hits not recorded before and returns
// them with their ids, in the order given. A hit on a list and ref the
// customer already has a hit on — recorded by any instance, at any
// revision, under any matched name — is not stored again and not
// returned: each returned hit is one that no other call returned, so the
// caller raises its review case. Errors: KindInvalid for an empty customer
// id; KindConflict for a hit on a list that is not stored.
func (s *Service) Record(ctx context.Context, customerID string, hits []Hit) ([]Hit, error) {
	if customerID == "" {
		return nil, nirnay.FieldError("customer_id", "is empty")
	}
	var out []Hit
	for _, h := range hits {
		h, ok, err := s.insertHit(ctx, customerID, h)
		if err != nil {
			return out, err
		}
		if ok {
			out = append(out, h)
		}
	}
	return out, nil
}

// insertHit stores h for the customer unless a hit on its list and ref is
// recorded; ok reports whether this call stored it.
func (s *Service) insertHit(ctx context.Context, customerID string, h Hit) (Hit, bool, error) {
	now := s.opts.Now().UTC().Truncate(time.Microsecond)
	h.ID = s.ids.At("scr", now)
	h.Score = clamp(h.Score)
	res, err := s.db.Writer().ExecContext(ctx, `INSERT INTO screening_hits (id, customer_id, list_name, ref, matched_name, score, revision, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (customer_id, list_name, ref) DO NOTHING`,
		h.ID, customerID, h.List, h.Ref, h.Name, h.Score, h.Revision, store.Instant(now))
	if err != nil {
		return h, false, store.Translate(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return h, false, store.Translate(err)
	}
	return h, n == 1, nil
}

// withdraw deletes a hit this service stored, whose case could not be
// raised, so that a later screen records it again.
func (s *Service) withdraw(ctx context.Context, id string) error {
	_, err := s.db.Writer().ExecContext(context.WithoutCancel(ctx), `DELETE FROM screening_hits WHERE id = $1`, id)
	return store.Translate(err)
}

// Hits returns the customer's recorded hits, oldest first.
func (s *Service) Hits(ctx context.Context, customerID string) ([]RecordedHit, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT h.id, h.customer_id, h.list_name, h.ref, h.matched_name, h.score, h.revision, h.created_at,
COALESCE((SELECT e.name FROM screening_entries e WHERE e.list_name = h.list_name AND e.ref = h.ref ORDER BY e.added_revision DESC LIMIT 1), ''),
COALESCE((SELECT e.kind FROM screening_entries e WHERE e.list_name = h.list_name AND e.ref = h.ref ORDER BY e.added_revision DESC LIMIT 1), '')
FROM screening_hits h WHERE h.customer_id = $1 ORDER BY h.created_at, h.id`, customerID)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []RecordedHit
	for rows.Next() {
		var h RecordedHit
		var kind string
		if err := rows.Scan(&h.ID, &h.CustomerID, &h.List, &h.Ref, &h.Name, &h.Score, &h.Revision, store.ScanInstant(&h.CreatedAt),
			&h.EntryName, &kind); err != nil {
			return nil, err
		}
		h.Kind = Kind(kind)
		out = append(out, h)
	}
	return out, store.Translate(rows.Err())
}
