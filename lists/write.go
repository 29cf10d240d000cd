package lists

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/store"
)

// Put creates the list name with description, or updates the description
// of an existing one; created reports which. Errors: KindInvalid for a bad
// name or description.
func (s *Service) Put(ctx context.Context, actor Actor, name, description string) (l List, created bool, err error) {
	if err := CheckName(name); err != nil {
		return List{}, false, err
	}
	if len(description) > MaxDescriptionBytes || !utf8.ValidString(description) || strings.ContainsRune(description, 0) {
		return List{}, false, nirnay.FieldError("description", "must be valid UTF-8 text of at most %d bytes", MaxDescriptionBytes)
	}
	now := s.clock().UTC()
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO lists (name, description, revision, entries, created_at, created_by, updated_at, updated_by)
			VALUES ($1, $2, 0, 0, $3, $4, $3, $4) ON CONFLICT (name) DO NOTHING`, name, description, store.Instant(now), actor.ID)
		if err != nil {
			return store.Translate(err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			created = true
			if l, err = get(ctx, tx, name, now); err != nil {
				return err
			}
			return s.audit(ctx, tx, now, actor, ActionCreate, name, nil, l)
		}
		before, err := get(ctx, tx, name, now)
		if err != nil {
			return err
		}
		if before.Description == description {
			l = before
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE lists SET description = $2, updated_at = $3, updated_by = $4 WHERE name = $1`,
			name, description, store.Instant(now), actor.ID); err != nil {
			return store.Translate(err)
		}
		if l, err = get(ctx, tx, name, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, ActionUpdate, name, before, l)
	})
	return l, created, err
}

// Add puts up to MaxAddBatch entries on the list name. A value already on
// it with the same reason and expiry is unchanged; with another reason or
// expiry its entry is closed and a new one opened (updated). Errors:
// KindNotFound for an unknown list, KindInvalid for a bad entry (field
// "entries[i].value" …), KindUnprocessable past MaxEntries.
func (s *Service) Add(ctx context.Context, actor Actor, name string, entries []NewEntry) (AddResult, error) {
	switch {
	case len(entries) == 0:
		return AddResult{}, nirnay.FieldError("entries", "give at least one entry")
	case len(entries) > MaxAddBatch:
		return AddResult{}, nirnay.FieldError("entries", "at most %d entries a call; import larger sets as CSV", MaxAddBatch)
	}
	p, err := s.change(ctx, actor, ActionAdd, name, entries, ModeAdd, false)
	return AddResult{Added: len(p.add), Updated: len(p.update), Unchanged: p.unchanged}, err
}

// Import applies a parsed file (ParseCSV) to the list name: mode add puts
// its entries on the list as Add does; mode replace also removes every
// value the file does not name, so the list becomes the file. A dry run
// applies nothing and returns the counts with a sample of the diff. Errors
// as Add, naming "line N" for a bad row, and KindInvalid for a bad mode or
// more than MaxImportRows entries.
func (s *Service) Import(ctx context.Context, actor Actor, name string, entries []NewEntry, mode Mode, dryRun bool) (ImportResult, error) {
	if mode != ModeAdd && mode != ModeReplace {
		return ImportResult{}, nirnay.FieldError("mode", "must be add or replace, got %q", mode)
	}
	if len(entries) > MaxImportRows {
		return ImportResult{}, nirnay.FieldError("body", "%d rows; at most %d a file", len(entries), MaxImportRows)
	}
	p, err := s.change(ctx, actor, ActionImport, name, entries, mode, dryRun)
	r := ImportResult{Added: len(p.add), Updated: len(p.update), Removed: len(p.remove), Unchanged: p.unchanged, DryRun: dryRun}
	if dryRun && err == nil {
		r.Sample = p.sample()
	}
	return r, err
}

// Remove takes value off the list name now. Errors: KindNotFound for an
// unknown list or a value not on it, KindInvalid for a bad value.
func (s *Service) Remove(ctx context.Context, actor Actor, name, value string) error {
	if err := CheckName(name); err != nil {
		return err
	}
	v, msg := CheckValue(value)
	if msg != "" {
		return nirnay.FieldError("value", "%s", msg)
	}
	now := s.clock().UTC()
	var rev int64
	err := s.db.InTx(ctx, func(tx *sql.Tx) error {
		w, err := s.begin(ctx, tx, name, actor, now)
		if err != nil {
			return err
		}
		cur, err := readOpen(ctx, tx, s.db.Dialect, name, []string{v}, now)
		if err != nil {
			return err
		}
		c, ok := cur[v]
		if !ok {
			return nirnay.Errorf(nirnay.KindNotFound, "%q is not on list %q", v, name)
		}
		if err := w.close(ctx, []string{v}); err != nil {
			return err
		}
		w.entries--
		before := map[string]any{"value": v, "reason": c.reason, "expires_at": expiryJSON(c.expires)}
		if err := s.audit(ctx, tx, now, actor, ActionRemove, name, before, map[string]any{"revision": w.rev}); err != nil {
			return err
		}
		rev = w.rev
		return w.finish(ctx)
	})
	if err != nil {
		return err
	}
	s.committed(ctx, Change{List: name, Revision: rev, Action: ActionRemove})
	return nil
}

// plan is what a change does: entries to open (add: new values; update:
// values whose open entry is closed first) and values to close.
type plan struct {
	add, update []NewEntry
	remove      []string
	unchanged   int
}

func (p plan) sample() *Diff {
	d := &Diff{Add: []string{}, Update: []string{}, Remove: []string{}}
	for _, e := range p.add[:min(len(p.add), SampleSize)] {
		d.Add = append(d.Add, e.Value)
	}
	for _, e := range p.update[:min(len(p.update), SampleSize)] {
		d.Update = append(d.Update, e.Value)
	}
	d.Remove = append(d.Remove, p.remove[:min(len(p.remove), SampleSize)]...)
	return d
}

func (p plan) empty() bool { return len(p.add)+len(p.update)+len(p.remove) == 0 }

// open is a value's open, unexpired entry.
type open struct {
	reason  string
	expires int64 // unix µs; 0 never
}

func planChange(cur map[string]open, in []NewEntry, replace bool) plan {
	var p plan
	named := make(map[string]bool, len(in))
	for _, e := range in {
		named[e.Value] = true
		c, ok := cur[e.Value]
		switch {
		case !ok:
			p.add = append(p.add, e)
		case c.reason == e.Reason && c.expires == micros(e.ExpiresAt):
			p.unchanged++
		default:
			p.update = append(p.update, e)
		}
	}
	if replace {
		for v := range cur {
			if !named[v] {
				p.remove = append(p.remove, v)
			}
		}
		slices.Sort(p.remove)
	}
	return p
}

// change validates entries and applies them to the list in one
// transaction, audited as action (or, for a dry run, only plans them).
func (s *Service) change(ctx context.Context, actor Actor, action, name string, entries []NewEntry, mode Mode, dryRun bool) (plan, error) {
	if err := CheckName(name); err != nil {
		return plan{}, err
	}
	now := s.clock().UTC()
	entries, err := checkEntries(entries, now)
	if err != nil {
		return plan{}, err
	}
	values := make([]string, len(entries))
	for i, e := range entries {
		values[i] = e.Value
	}
	if mode == ModeReplace {
		values = nil // every open entry
	}
	if dryRun {
		if _, err := get(ctx, s.db.Reader(), name, now); err != nil {
			return plan{}, err
		}
		cur, err := readOpen(ctx, s.db.Reader(), s.db.Dialect, name, values, now)
		if err != nil {
			return plan{}, err
		}
		return planChange(cur, entries, mode == ModeReplace), nil
	}
	var p plan
	var rev int64
	err = s.db.InTx(ctx, func(tx *sql.Tx) error {
		w, err := s.begin(ctx, tx, name, actor, now)
		if err != nil {
			return err
		}
		cur, err := readOpen(ctx, tx, s.db.Dialect, name, values, now)
		if err != nil {
			return err
		}
		p = planChange(cur, entries, mode == ModeReplace)
		if p.empty() {
			return errNoChange // nor are expired entries closed: the next change does that
		}
		if n := w.entries + int64(len(p.add)-len(p.remove)); n > MaxEntries {
			return nirnay.Errorf(nirnay.KindUnprocessable, "list %q would hold %d entries; a list holds at most %d", name, n, MaxEntries)
		}
		closing := append(slices.Clone(p.remove), valuesOf(p.update)...)
		if err := w.close(ctx, closing); err != nil {
			return err
		}
		if err := w.insert(ctx, append(slices.Clone(p.add), p.update...)); err != nil {
			return err
		}
		w.entries += int64(len(p.add) - len(p.remove))
		after := map[string]any{"revision": w.rev, "added": len(p.add), "updated": len(p.update), "removed": len(p.remove),
			"unchanged": p.unchanged, "sample": p.sample()}
		if action == ActionImport {
			after["mode"] = mode
		}
		if err := s.audit(ctx, tx, now, actor, action, name, nil, after); err != nil {
			return err
		}
		rev = w.rev
		return w.finish(ctx)
	})
	switch {
	case errors.Is(err, errNoChange):
		return p, nil
	case err != nil:
		return plan{}, err
	}
	s.committed(ctx, Change{List: name, Revision: rev, Action: action})
	return p, nil
}

func valuesOf(es []NewEntry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.Value
	}
	return out
}

// writeTx is one change to a list's entries inside its transaction.
type writeTx struct {
	tx      *sql.Tx
	s       *Service
	name    string
	actor   Actor
	now     time.Time
	rev     int64 // this change's revision
	entries int64 // open entries, kept up to date by the caller
	expired int64 // entries this change closed because they had expired
}

// errNoChange rolls back a change that would change nothing, so it
// neither takes a revision nor writes an audit entry.
var errNoChange = errors.New("lists: nothing changed")

// begin locks the list (its row, until commit), takes the next revision
// and closes the entries that have expired since the last change.
func (s *Service) begin(ctx context.Context, tx *sql.Tx, name string, actor Actor, now time.Time) (*writeTx, error) {
	w := &writeTx{tx: tx, s: s, name: name, actor: actor, now: now}
	err := tx.QueryRowContext(ctx, `UPDATE lists SET revision = revision + 1 WHERE name = $1 RETURNING revision, entries`, name).Scan(&w.rev, &w.entries)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound(name)
	}
	if err != nil {
		return nil, store.Translate(err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE list_entries SET removed_at = expires_at, removed_by = 'expired', revision = $1
		WHERE list_name = $2 AND removed_at IS NULL AND expires_at <= $3`, w.rev, name, store.Instant(now))
	if err != nil {
		return nil, store.Translate(err)
	}
	w.expired, _ = res.RowsAffected()
	w.entries -= w.expired
	return w, nil
}

// valueSet is how one statement names a set of values on either
// dialect. On PostgreSQL it is one text[] parameter read as a set
// (value IN (SELECT unnest(…))), which the planner joins through the index
// or hashes; a long IN list of parameters there becomes a filter applied
// row by row to every entry of the list. On SQLite it is an IN list, which
// SQLite probes through the index, kept short because modernc's SQLite
// looks parameter names up linearly.
type valueSet struct {
	dialect store.Dialect
}

// chunk is how many values (or rows, for inserts) one statement carries.
func (vs valueSet) chunk() int {
	if vs.dialect == store.Postgres {
		return 5000
	}
	return 100
}

// in returns the condition "value is one of values" on column col and
// its arguments, numbered from $next.
func (vs valueSet) in(col string, next int, values []string) (string, []any) {
	if vs.dialect == store.Postgres {
		return col + " IN (SELECT unnest($" + strconv.Itoa(next) + "::text[]))", []any{values}
	}
	var b strings.Builder
	b.WriteString(col + " IN (")
	args := make([]any, len(values))
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		args[i] = v
		b.WriteString("$" + strconv.Itoa(next+i))
	}
	b.WriteByte(')')
	return b.String(), args
}

// close ends the open entries of values now.
func (w *writeTx) close(ctx context.Context, values []string) error {
	vs := valueSet{w.s.db.Dialect}
	for len(values) > 0 {
		n := min(len(values), vs.chunk())
		cond, in := vs.in("value", 5, values[:n])
		q := `UPDATE list_entries SET removed_at = CASE WHEN added_at > $1 THEN added_at ELSE $1 END, removed_by = $2, revision = $3
			WHERE list_name = $4 AND removed_at IS NULL AND ` + cond
		args := append([]any{store.Instant(w.now), w.actor.ID, w.rev, w.name}, in...)
		if _, err := w.tx.ExecContext(ctx, q, args...); err != nil {
			return store.Translate(err)
		}
		values = values[n:]
	}
	return nil
}

// insert opens an entry for each of es.
func (w *writeTx) insert(ctx context.Context, es []NewEntry) error {
	vs := valueSet{w.s.db.Dialect}
	for len(es) > 0 {
		n := min(len(es), vs.chunk())
		args := []any{w.name, store.Instant(w.now), w.actor.ID, w.rev}
		var b strings.Builder
		b.WriteString(`INSERT INTO list_entries (id, list_name, value, reason, expires_at, added_at, added_by, revision) VALUES `)
		for i, e := range es[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			k := len(args)
			args = append(args, w.s.ids.At("lse", w.now), e.Value, e.Reason, store.NullInstant(e.ExpiresAt))
			fmt.Fprintf(&b, "($%d, $1, $%d, $%d, $%d, $2, $3, $4)", k+1, k+2, k+3, k+4)
		}
		if _, err := w.tx.ExecContext(ctx, b.String(), args...); err != nil {
			return store.Translate(err)
		}
		es = es[n:]
	}
	return nil
}

// finish records the list's new entry count and who changed it last. On
// PostgreSQL it NOTIFYs the other instances, which is delivered on commit.
func (w *writeTx) finish(ctx context.Context) error {
	if _, err := w.tx.ExecContext(ctx, `UPDATE lists SET entries = $2, updated_at = $3, updated_by = $4 WHERE name = $1`,
		w.name, w.entries, store.Instant(w.now), w.actor.ID); err != nil {
		return store.Translate(err)
	}
	if w.s.db.Dialect == store.Postgres {
		if _, err := w.tx.ExecContext(ctx, `SELECT pg_notify($1, $2)`, Channel, w.name+" "+strconv.FormatInt(w.rev, 10)); err != nil {
			return store.Translate(err)
		}
	}
	return nil
}

// committed runs after a change commits: the OnChange hook, then this
// instance's cache catches up. A failed refresh is logged; the next change
// or notification catches up from the same revision.
func (s *Service) committed(ctx context.Context, c Change) {
	if s.opts.OnChange != nil {
		s.opts.OnChange(ctx, c)
	}
	if err := s.Refresh(ctx); err != nil {
		s.log.Error("list cache not refreshed after a change; it catches up on the next one", "list", c.List, "revision", c.Revision, "err", err)
	}
}

func (s *Service) audit(ctx context.Context, tx *sql.Tx, at time.Time, actor Actor, action, name string, before, after any) error {
	return governance.WriteAudit(ctx, tx, s.ids.At("aud", at), at, actor, action, "list/"+name, before, after)
}

func expiryJSON(us int64) any {
	if us == 0 {
		return nil
	}
	return fromMicros(us).Format(time.RFC3339Nano)
}
