package decisionlog

import (
	"bufio"
	"compress/gzip"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/store"
)

// The cold tier: decisions older than the hot-tier age leave the database for
// gzip-compressed JSON-lines files, one per UTC day (cold/YYYY-MM-DD.jsonl.gz,
// one gzip member appended per export). Get still finds them: a decision id
// carries its time (dec_<ULID>), which names the day file to read.

func (l *Log) coldDir() string { return filepath.Join(l.dir, "cold") }

// ColdDir is where the cold tier's daily files live (the simulator reads them).
func (l *Log) ColdDir() string { return l.coldDir() }

// Archive moves decisions decided before cutoff from the database to the
// cold tier and returns how many left the database.
//
// On PostgreSQL it moves whole months (archiveMonths): a month partition
// goes once its month has ended by cutoff, so every row in it is older;
// the months after stay hot whole. On SQLite it moves rows, a batch at a
// time (archiveRows).
func (l *Log) Archive(ctx context.Context, cutoff time.Time) (int, error) {
	if err := os.MkdirAll(l.coldDir(), 0o750); err != nil {
		return 0, err
	}
	if l.db.Dialect == store.Postgres {
		return l.archiveMonths(ctx, cutoff)
	}
	return l.archiveRows(ctx, cutoff)
}

// archiveRows is Archive on SQLite: the rows decided before cutoff, a
// thousand at a time, appended to their day files and then deleted. A
// crash between the file write and the delete leaves a record in both
// tiers, never in neither; Get returns the hot copy first.
func (l *Log) archiveRows(ctx context.Context, cutoff time.Time) (int, error) {
	total := 0
	for {
		rows, err := l.db.Reader().QueryContext(ctx, `SELECT `+recordColumns+` FROM decisions d
			WHERE d.decided_at < $1 ORDER BY d.decided_at, d.id LIMIT 1000`, store.Instant(cutoff))
		if err != nil {
			return total, err
		}
		var recs []*Record
		for rows.Next() {
			r, err := scanRecord(rows)
			if err != nil {
				rows.Close()
				return total, err
			}
			recs = append(recs, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return total, err
		}
		if len(recs) == 0 {
			return total, nil
		}
		byDay := map[string][]*Record{}
		for _, r := range recs {
			d := r.DecidedAt.UTC().Format(time.DateOnly)
			byDay[d] = append(byDay[d], r)
		}
		for day, rs := range byDay {
			if err := appendCold(filepath.Join(l.coldDir(), day+".jsonl.gz"), rs); err != nil {
				return total, fmt.Errorf("cold tier %s: %w", day, err)
			}
		}
		err = l.db.InTx(ctx, func(tx *sql.Tx) error {
			for _, r := range recs {
				if _, err := tx.ExecContext(ctx, `DELETE FROM decision_rules WHERE decision_id = $1`, r.ID); err != nil {
					return err
				}
				if _, err := tx.ExecContext(ctx, `DELETE FROM decisions WHERE id = $1`, r.ID); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return total, err
		}
		total += len(recs)
	}
}

func appendCold(path string, recs []*Record) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	zw := gzip.NewWriter(f)
	enc := json.NewEncoder(zw)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			f.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadColdDay streams every record of one cold day file to fn, in file order.
func ReadColdDay(path string, fn func(*Record) error) error {
	return readColdFile(path, fn)
}

// readColdFile decodes each line of a cold day file into a new T, in file
// order, and calls fn with it.
func readColdFile[T any](path string, fn func(*T) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	defer zr.Close()
	dec := json.NewDecoder(bufio.NewReader(zr))
	for {
		var r T
		if err := dec.Decode(&r); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
}

var errFound = errors.New("found")

// getCold looks for id in the day files around the time its ULID carries.
func (l *Log) getCold(id string) (*Record, error) {
	base, _, _ := strings.Cut(id, ".") // a shadow's id is <decision id>.sN
	t, err := ids.Time(base)
	if err != nil || !strings.HasPrefix(base, "dec_") {
		return nil, nil // not a Nirnay decision id: cannot be in the cold tier
	}
	for _, d := range []time.Time{t, t.AddDate(0, 0, -1), t.AddDate(0, 0, 1)} {
		path := filepath.Join(l.coldDir(), d.Format(time.DateOnly)+".jsonl.gz")
		var found *Record
		err := ReadColdDay(path, func(r *Record) error {
			if r.ID == id {
				found = r
				return errFound
			}
			return nil
		})
		if found != nil {
			return found, nil
		}
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
	}
	return nil, nil
}
