package lists

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nirnay/nirnay/store"
)

// Refresh brings the cache up to date with the database, incrementally: a
// list the cache holds at revision r reads only its entry rows changed
// after r (one row for a one-value change, whatever the list's size); a
// list it does not hold yet is read whole (its open, unexpired entries).
// Each list is built aside and swapped in at once; decisions never wait.
// Refreshes are serialised; on error the cache keeps what it had, and the
// next Refresh catches up from the same revisions.
func (s *Service) Refresh(ctx context.Context) error {
	s.syncMu.Lock()
	defer s.syncMu.Unlock()
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT name, revision FROM lists`)
	if err != nil {
		return store.Translate(err)
	}
	type stale struct {
		name string
		rev  int64
	}
	var todo []stale
	for rows.Next() {
		var st stale
		if err := rows.Scan(&st.name, &st.rev); err != nil {
			rows.Close()
			return err
		}
		if st.rev > s.cache.Revision(st.name) { // a list never changed has no entries
			todo = append(todo, st)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return store.Translate(err)
	}
	for _, st := range todo {
		if err := s.refreshList(ctx, st.name, st.rev); err != nil {
			return fmt.Errorf("list %s: %w", st.name, err)
		}
	}
	return nil
}

// refreshList reads the rows of list changed after the cached revision
// (or, for a list not cached yet, its open entries) and applies them. rev
// is the list's revision read before; the rows may be newer, and the
// cache then holds the newest revision among them: every revision up to
// that one has committed (changes to one list commit in revision order,
// each holding the list's row lock), so none is skipped.
func (s *Service) refreshList(ctx context.Context, name string, rev int64) error {
	_, cached := (*s.cache.lists.Load())[name]
	now := store.Instant(s.clock())
	var (
		q    string
		args []any
	)
	if cached {
		q = `SELECT value, expires_at, removed_at IS NULL, revision FROM list_entries WHERE list_name = $1 AND revision > $2`
		args = []any{name, s.cache.Revision(name)}
	} else {
		q = `SELECT value, expires_at, removed_at IS NULL, revision FROM list_entries
			WHERE list_name = $1 AND removed_at IS NULL AND (expires_at IS NULL OR expires_at > $2)`
		args = []any{name, now}
	}
	rows, err := s.db.Reader().QueryContext(ctx, q, args...)
	if err != nil {
		return store.Translate(err)
	}
	defer rows.Close()
	var out []row
	for rows.Next() {
		var r row
		var exp *time.Time
		var rrev int64
		if err := rows.Scan(&r.value, store.ScanNullInstant(&exp), &r.open, &rrev); err != nil {
			return err
		}
		r.expires = micros(exp)
		if cached {
			rev = max(rev, rrev)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return store.Translate(err)
	}
	if cached {
		s.cache.apply(name, rev, out)
	} else {
		s.cache.replace(name, rev, out)
	}
	return nil
}

// Listen keeps this instance's cache in step with changes made on other
// instances, without polling. For PostgreSQL it holds one connection to
// Options.DatabaseURL, LISTENs on Channel (every change NOTIFYs it in the
// committing transaction) and calls Refresh on each notification; after
// (re)connecting it refreshes once, so nothing announced while it was
// disconnected is missed. A lost connection is retried with backoff (1 s
// doubling to 30 s, jittered; see store.Listen). It blocks until ctx ends
// and then returns nil; run it in its own goroutine.
//
// For SQLite (one process owns the file, and every change refreshes the
// cache after its commit) it returns nil at once. Without a DatabaseURL
// for PostgreSQL it returns an error.
func (s *Service) Listen(ctx context.Context) error {
	if s.db.Dialect != store.Postgres {
		return nil
	}
	if s.opts.DatabaseURL == "" {
		return errors.New("lists: Listen needs Options.DatabaseURL for PostgreSQL")
	}
	refresh := func(ctx context.Context, change string) {
		if err := s.Refresh(ctx); err != nil {
			s.log.Error("list refresh failed; decisions keep the lists they had", "err", err, "change", change)
		}
	}
	store.Listen(ctx, s.opts.DatabaseURL, Channel, "list change listener", s.log,
		func(ctx context.Context) { refresh(ctx, "") }, refresh)
	return nil
}
