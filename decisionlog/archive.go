package decisionlog

import (
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/nirnay/nirnay/store"
)

// archiveMonths is Archive on PostgreSQL. For every month partition of
// decisions whose month ended by cutoff, oldest first, it
//
//  1. exports the partition, still attached, to the day files (readers
//     find every decision hot meanwhile; a decision in both tiers is
//     read once);
//  2. detaches it, and decision_rules' partition of the month
//     (DETACH PARTITION CONCURRENTLY: shipping and reads go on);
//  3. counts the detached table and, if decisions shipped into the month
//     after the export, exports again (only what the files lack);
//  4. drops decision_rules' month, then the detached table.
//
// Each step leaves a state the next run finishes: a detach left pending
// is finalised, a detached table is exported (adding only what the day
// files lack) and dropped. No decision is lost (a table is dropped only
// once its rows are in the files) or written twice to the cold tier (an
// export skips the ids a day file holds). One instance archives at a
// time (a session advisory lock; another finds it held and returns 0).
// It returns the number of decisions in the months it dropped.
func (l *Log) archiveMonths(ctx context.Context, cutoff time.Time) (int, error) {
	conn, err := l.db.Writer().Conn(ctx)
	if err != nil {
		return 0, store.Translate(err)
	}
	defer conn.Close()
	const lock = `hashtextextended('nirnay decision archive', 7)`
	var got bool
	if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(`+lock+`)`).Scan(&got); err != nil || !got {
		return 0, store.Translate(err)
	}
	defer func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(uctx, `SELECT pg_advisory_unlock(`+lock+`)`)
	}()
	if _, err := conn.ExecContext(ctx, `SET lock_timeout = '`+lockWait+`'`); err != nil {
		return 0, err
	}
	defer func() { _, _ = conn.ExecContext(context.WithoutCancel(ctx), `RESET lock_timeout`) }()
	schema, err := decisionsSchema(ctx, conn)
	if err != nil {
		return 0, err
	}
	if err := finalizeDetaches(ctx, conn, schema); err != nil {
		return 0, err
	}
	months, err := monthTables(ctx, conn, schema)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, mt := range months {
		if mt.attached && mt.month.AddDate(0, 1, 0).After(cutoff) {
			continue
		}
		n, err := l.archiveMonth(ctx, conn, schema, mt)
		if err != nil {
			return total, fmt.Errorf("archive %s: %w", partitionName("decisions", mt.month), err)
		}
		total += n
	}
	return total, nil
}

// monthTable is a decisions_YYYYMM table: a partition, or detached.
type monthTable struct {
	month    time.Time
	attached bool
}

// monthTables lists the decisions_YYYYMM tables of schema, oldest first.
func monthTables(ctx context.Context, conn *sql.Conn, schema string) ([]monthTable, error) {
	rows, err := conn.QueryContext(ctx, `SELECT c.relname, EXISTS (SELECT 1 FROM pg_inherits i
			WHERE i.inhrelid = c.oid AND i.inhparent = 'decisions'::regclass AND NOT i.inhdetachpending)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r' AND c.relname ~ '^decisions_[0-9]{6}$'`, schema)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []monthTable
	for rows.Next() {
		var name string
		var mt monthTable
		if err := rows.Scan(&name, &mt.attached); err != nil {
			return nil, err
		}
		if m, ok := partitionMonth(name); ok {
			mt.month = m
			out = append(out, mt)
		}
	}
	slices.SortFunc(out, func(a, b monthTable) int { return a.month.Compare(b.month) })
	return out, rows.Err()
}

// finalizeDetaches completes the detaches a run stopped in the middle of
// (DETACH CONCURRENTLY commits its first half before it waits).
func finalizeDetaches(ctx context.Context, conn *sql.Conn, schema string) error {
	rows, err := conn.QueryContext(ctx, `SELECT p.relname, c.relname FROM pg_inherits i
		JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
		JOIN pg_namespace n ON n.oid = p.relnamespace
		WHERE i.inhdetachpending AND n.nspname = $1 AND p.relname IN ('decisions', 'decision_rules')`, schema)
	if err != nil {
		return err
	}
	var pending [][2]string
	for rows.Next() {
		var parent, part string
		if err := rows.Scan(&parent, &part); err != nil {
			rows.Close()
			return err
		}
		pending = append(pending, [2]string{parent, part})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, p := range pending {
		if _, err := conn.ExecContext(ctx, `ALTER TABLE `+qualified(schema, p[0])+
			` DETACH PARTITION `+qualified(schema, p[1])+` FINALIZE`); err != nil {
			return fmt.Errorf("finish detaching %s: %w", p[1], err)
		}
	}
	return nil
}

// archiveMonth moves one month to the cold tier (steps 1–4 of
// archiveMonths; an attached month starts at 1, a detached one at 3) and
// returns the number of decisions it held.
func (l *Log) archiveMonth(ctx context.Context, conn *sql.Conn, schema string, mt monthTable) (int, error) {
	name := partitionName("decisions", mt.month)
	table := qualified(schema, name)
	var took struct{ export, detach, drop time.Duration }
	timed := func(d *time.Duration, fn func() error) error {
		start := time.Now()
		err := fn()
		*d += time.Since(start)
		return err
	}
	exported := -1
	if mt.attached {
		err := timed(&took.export, func() (err error) {
			exported, err = l.exportMonth(ctx, table, mt.month)
			return err
		})
		if err != nil {
			return 0, err
		}
		if err := timed(&took.detach, func() error { return detach(ctx, conn, schema, "decisions", name) }); err != nil {
			return 0, err
		}
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&n); err != nil {
		return 0, err
	}
	if n != exported {
		if err := timed(&took.export, func() error { _, err := l.exportMonth(ctx, table, mt.month); return err }); err != nil {
			return 0, err
		}
	}
	rules := partitionName("decision_rules", mt.month)
	attached, exists, err := partitionState(ctx, conn, schema, "decision_rules", rules)
	if err != nil {
		return 0, err
	}
	if attached {
		if err := timed(&took.detach, func() error { return detach(ctx, conn, schema, "decision_rules", rules) }); err != nil {
			return 0, err
		}
	}
	err = timed(&took.drop, func() error {
		if exists {
			if _, err := conn.ExecContext(ctx, `DROP TABLE `+qualified(schema, rules)); err != nil {
				return err
			}
		}
		_, err := conn.ExecContext(ctx, `DROP TABLE `+table)
		return err
	})
	if err != nil {
		return 0, err
	}
	l.log.Info("decision log: month moved to the cold tier", "month", mt.month.Format("2006-01"), "decisions", n,
		"resumed", !mt.attached, "export", took.export.Round(time.Millisecond), "detach", took.detach.Round(time.Millisecond),
		"drop", took.drop.Round(time.Millisecond))
	return n, nil
}

// detach detaches partition part of parent without blocking its readers
// and writers. It runs outside a transaction.
func detach(ctx context.Context, conn *sql.Conn, schema, parent, part string) error {
	_, err := conn.ExecContext(ctx, `ALTER TABLE `+qualified(schema, parent)+
		` DETACH PARTITION `+qualified(schema, part)+` CONCURRENTLY`)
	if err != nil {
		return fmt.Errorf("detach %s: %w", part, err)
	}
	return nil
}

// exportMonth writes every decision of table (a month partition, attached
// or not) that its day file lacks to the cold tier, day by day, and
// returns the number of decisions the table holds.
func (l *Log) exportMonth(ctx context.Context, table string, month time.Time) (int, error) {
	total := 0
	for day := month; day.Before(month.AddDate(0, 1, 0)); day = day.AddDate(0, 0, 1) {
		n, err := l.exportDay(ctx, table, day)
		if err != nil {
			return total, fmt.Errorf("cold tier %s: %w", day.Format(time.DateOnly), err)
		}
		total += n
	}
	return total, nil
}

// exportDay writes the decisions of table decided on day (UTC) that its
// day file lacks, and returns how many the table holds for the day.
func (l *Log) exportDay(ctx context.Context, table string, day time.Time) (int, error) {
	rows, err := l.db.Reader().QueryContext(ctx, `SELECT `+recordColumns+` FROM `+table+` d
		WHERE d.decided_at >= $1 AND d.decided_at < $2 ORDER BY d.decided_at, d.id`, store.Instant(day), store.Instant(day.AddDate(0, 0, 1)))
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	var df *dayFile
	defer func() { df.abort() }()
	n := 0
	for rows.Next() {
		r, err := scanRecord(rows)
		if err != nil {
			return n, err
		}
		if df == nil {
			if df, err = openDay(filepath.Join(l.coldDir(), day.Format(time.DateOnly)+".jsonl.gz")); err != nil {
				return n, err
			}
		}
		if err := df.add(r); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, err
	}
	return n, df.commit()
}

// dayFile adds records to one cold day file crash-safely: the ids the
// file holds are read first; the first record it lacks starts a copy of
// the file beside it, to which one gzip member of the new records is
// appended; commit syncs the copy and renames it over the file. A crash
// leaves the old file or the new one, never a torn one, and a second run
// adds only what is still missing.
type dayFile struct {
	path  string
	have  map[string]struct{}
	tmp   *os.File
	zw    *gzip.Writer
	enc   *json.Encoder
	added int
}

func openDay(path string) (*dayFile, error) {
	d := &dayFile{path: path, have: map[string]struct{}{}}
	err := readColdIDs(path, func(id string) { d.have[id] = struct{}{} })
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	return d, nil
}

// readColdIDs calls fn with the id of every record of a day file.
func readColdIDs(path string, fn func(string)) error {
	type idOnly struct {
		ID string `json:"id"`
	}
	return readColdFile(path, func(r *idOnly) error { fn(r.ID); return nil })
}

func (d *dayFile) add(r *Record) error {
	if _, ok := d.have[r.ID]; ok {
		return nil
	}
	if d.tmp == nil {
		tmp, err := os.OpenFile(d.path+".tmp", os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o640)
		if err != nil {
			return err
		}
		d.tmp = tmp
		if old, err := os.Open(d.path); err == nil {
			_, err = io.Copy(tmp, old)
			old.Close()
			if err != nil {
				return err
			}
		} else if !errors.Is(err, os.ErrNotExist) {
			return err
		}
		d.zw = gzip.NewWriter(tmp)
		d.enc = json.NewEncoder(d.zw)
	}
	d.have[r.ID] = struct{}{}
	d.added++
	return d.enc.Encode(r)
}

// commit makes the added records part of the day file (nothing to do when
// none were added).
func (d *dayFile) commit() error {
	if d == nil || d.tmp == nil {
		return nil
	}
	tmp := d.tmp
	d.tmp = nil
	err := d.zw.Close()
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), d.path)
	}
	if err != nil {
		_ = os.Remove(tmp.Name())
		return err
	}
	return syncDir(filepath.Dir(d.path))
}

// abort drops an uncommitted copy.
func (d *dayFile) abort() {
	if d == nil || d.tmp == nil {
		return
	}
	d.tmp.Close()
	_ = os.Remove(d.tmp.Name())
	d.tmp = nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	return f.Sync()
}
