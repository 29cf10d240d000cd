package screening

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// List is a stored list.
type List struct {
	Name     string
	Revision int64 // bumped by every import that changed it
	Entries  int64 // entries on it now
	// RescreenedRevision is the revision up to which every customer has
	// been re-screened (Rescreen advances it); below Revision, a re-screen
	// from it is due.
	RescreenedRevision int64
	UpdatedAt          time.Time
}

// ImportResult is what an Import changed.
type ImportResult struct {
	Revision  int64 // the list's revision after the import
	Added     int   // refs new to the list
	Changed   int   // refs whose name, aliases, date of birth, kind or note changed
	Removed   int   // refs no longer on it
	Unchanged int
}

// insertBatch is how many entry rows one INSERT writes.
const insertBatch = 200

// Import makes entries the content of the list (created on its first
// import), as of a new revision, in one transaction: a ref new to the list
// is added, a ref whose entry differs in anything (name, aliases, date of
// birth, kind, note) is closed and added anew (Changed), a ref the entries
// leave out is removed. An import that changes nothing keeps the revision.
// Imports of one list, from any number of instances at once, run one after
// the other (the list's row lock on PostgreSQL, the write lock on SQLite),
// each diffing against what the one before committed.
//
// Errors: KindInvalid for a bad list name, more than MaxEntries entries, a
// bad entry (field "entries[i].name" …) or a ref given twice.
func (s *Service) Import(ctx context.Context, list string, entries []Entry) (ImportResult, error) {
	if err := CheckListName(list); err != nil {
		return ImportResult{}, err
	}
	if len(entries) > MaxEntries {
		return ImportResult{}, nirnay.FieldError("entries", "%d entries; at most %d a list", len(entries), MaxEntries)
	}
	next := make(map[string]Entry, len(entries))
	at := make(map[string]int, len(entries))
	for i, e := range entries {
		c, err := canonical(e, fmt.Sprintf("entries[%d]", i))
		if err != nil {
			return ImportResult{}, err
		}
		if j, dup := at[c.Ref]; dup {
			return ImportResult{}, nirnay.FieldError(fmt.Sprintf("entries[%d].ref", i), "%q is also the ref of entries[%d]", clip(c.Ref), j)
		}
		next[c.Ref], at[c.Ref] = c, i
	}
	now := s.opts.Now().UTC()
	var res ImportResult
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		res = ImportResult{}
		if _, err := tx.ExecContext(ctx, `INSERT INTO screening_lists (name, revision, entries, rescreened_revision, updated_at)
VALUES ($1, 0, 0, 0, $2) ON CONFLICT (name) DO NOTHING`, list, store.Instant(now)); err != nil {
			return store.Translate(err)
		}
		var rev int64
		if err := tx.QueryRowContext(ctx, `SELECT revision FROM screening_lists WHERE name = $1`+store.ForUpdate(s.db.Dialect), list).Scan(&rev); err != nil {
			return store.Translate(err)
		}
		cur, err := s.readEntries(ctx, tx, list)
		if err != nil {
			return err
		}
		var closing, opening []string
		for ref, e := range cur {
			n, ok := next[ref]
			switch {
			case !ok:
				closing = append(closing, ref)
				res.Removed++
			case !sameEntry(e, n):
				closing, opening = append(closing, ref), append(opening, ref)
				res.Changed++
			default:
				res.Unchanged++
			}
		}
		for ref := range next {
			if _, ok := cur[ref]; !ok {
				opening = append(opening, ref)
				res.Added++
			}
		}
		res.Revision = rev
		if len(closing) == 0 && len(opening) == 0 {
			return nil
		}
		res.Revision = rev + 1
		slices.Sort(closing)
		slices.Sort(opening)
		if err := s.closeEntries(ctx, tx, list, res.Revision, closing); err != nil {
			return err
		}
		if err := s.openEntries(ctx, tx, list, res.Revision, opening, next); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE screening_lists SET revision = $2, entries = $3, updated_at = $4 WHERE name = $1`,
			list, res.Revision, len(next), store.Instant(now))
		return store.Translate(err)
	})
	if err != nil {
		return ImportResult{}, err
	}
	if res.Added+res.Changed+res.Removed > 0 {
		s.opts.Logger.Info("screening list imported", "list", list, "revision", res.Revision, "added", res.Added,
			"changed", res.Changed, "removed", res.Removed, "unchanged", res.Unchanged)
	}
	return res, nil
}

func sameEntry(a, b Entry) bool {
	return a.Kind == b.Kind && a.Name == b.Name && slices.Equal(a.Aliases, b.Aliases) && a.DOB == b.DOB && a.Note == b.Note
}

// querier is a handle or transaction to read through.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// readEntries returns the open entries of list by ref.
func (s *Service) readEntries(ctx context.Context, q querier, list string) (map[string]Entry, error) {
	ls, err := s.listed(ctx, q, `list_name = $1 AND removed_revision IS NULL`, list)
	if err != nil {
		return nil, err
	}
	out := make(map[string]Entry, len(ls))
	for _, l := range ls {
		out[l.Ref] = l.Entry
	}
	return out, nil
}

const entryCols = `list_name, ref, added_revision, kind, name, aliases, dob, note`

func scanEntry(r store.Scanner) (Listed, error) {
	var (
		l       Listed
		kind    string
		aliases string
		dob     sql.NullString
	)
	if err := r.Scan(&l.List, &l.Ref, &l.Revision, &kind, &l.Name, &aliases, &dob, &l.Note); err != nil {
		return l, err
	}
	l.Kind, l.DOB = Kind(kind), dob.String
	if err := json.Unmarshal([]byte(aliases), &l.Aliases); err != nil {
		return l, fmt.Errorf("screening entry %s/%s aliases: %w", l.List, l.Ref, err)
	}
	if len(l.Aliases) == 0 {
		l.Aliases = nil
	}
	return l, nil
}

// closeEntries stamps the open rows of refs removed at rev.
func (s *Service) closeEntries(ctx context.Context, tx *sql.Tx, list string, rev int64, refs []string) error {
	for len(refs) > 0 {
		n := min(len(refs), insertBatch)
		args := []any{list, rev}
		marks := make([]string, n)
		for i, ref := range refs[:n] {
			args = append(args, ref)
			marks[i] = store.Param(s.db.Dialect, len(args))
		}
		if _, err := tx.ExecContext(ctx, `UPDATE screening_entries SET removed_revision = `+store.Param(s.db.Dialect, 2)+
			` WHERE list_name = `+store.Param(s.db.Dialect, 1)+` AND removed_revision IS NULL AND ref IN (`+strings.Join(marks, ", ")+`)`,
			args...); err != nil {
			return store.Translate(err)
		}
		refs = refs[n:]
	}
	return nil
}

// openEntries inserts the entries of refs as added at rev.
func (s *Service) openEntries(ctx context.Context, tx *sql.Tx, list string, rev int64, refs []string, entries map[string]Entry) error {
	for len(refs) > 0 {
		n := min(len(refs), insertBatch)
		var q strings.Builder
		q.WriteString(`INSERT INTO screening_entries (list_name, ref, added_revision, kind, name, aliases, dob, note) VALUES `)
		args := make([]any, 0, 8*n)
		for i, ref := range refs[:n] {
			e := entries[ref]
			aliases, err := json.Marshal(orEmpty(e.Aliases))
			if err != nil {
				return err
			}
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(")
			for c, v := range []any{list, ref, rev, string(e.Kind), e.Name, string(aliases), sql.NullString{String: e.DOB, Valid: e.DOB != ""}, e.Note} {
				if c > 0 {
					q.WriteString(", ")
				}
				args = append(args, v)
				q.WriteString(store.Param(s.db.Dialect, len(args)))
			}
			q.WriteString(")")
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return store.Translate(err)
		}
		refs = refs[n:]
	}
	return nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Lists returns every stored list, by name.
func (s *Service) Lists(ctx context.Context) ([]List, error) {
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT name, revision, entries, rescreened_revision, updated_at FROM screening_lists ORDER BY name`)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []List
	for rows.Next() {
		var l List
		if err := rows.Scan(&l.Name, &l.Revision, &l.Entries, &l.RescreenedRevision, store.ScanInstant(&l.UpdatedAt)); err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, store.Translate(rows.Err())
}

// Entries returns the entries on list now, by ref. Errors: KindNotFound
// for a list never imported.
func (s *Service) Entries(ctx context.Context, list string) ([]Listed, error) {
	if err := s.db.Reader().QueryRowContext(ctx, `SELECT name FROM screening_lists WHERE name = $1`, list).Scan(new(string)); err != nil {
		if nirnay.IsKind(store.Translate(err), nirnay.KindNotFound) {
			return nil, nirnay.Errorf(nirnay.KindNotFound, "no screening list %q", clip(list))
		}
		return nil, store.Translate(err)
	}
	return s.listed(ctx, s.db.Reader(), `list_name = $1 AND removed_revision IS NULL ORDER BY ref`, list)
}

// listed reads the entries a WHERE clause selects.
func (s *Service) listed(ctx context.Context, q querier, where string, args ...any) ([]Listed, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+entryCols+` FROM screening_entries WHERE `+where, args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []Listed
	for rows.Next() {
		l, err := scanEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, l)
	}
	return out, store.Translate(rows.Err())
}
