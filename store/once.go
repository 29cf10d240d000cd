package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Once runs fn for name at most once to completion across every instance
// sharing the database: it returns ran false, doing nothing, when a run of
// name has completed before or (PostgreSQL) another instance is running it
// now; otherwise it runs fn and, when fn succeeds, records name as done. A
// run that fails or dies part way is not recorded, so a later call runs it
// again (fn must be safe to repeat). On PostgreSQL a session advisory lock
// on name excludes concurrent runs and is released if the instance dies; on
// SQLite one process owns the file. owner names the instance in the record.
func (db *DB) Once(ctx context.Context, name, owner string, fn func(context.Context) error) (ran bool, err error) {
	done := func(q interface {
		QueryRowContext(context.Context, string, ...any) *sql.Row
	}) (bool, error) {
		var finished *time.Time
		err := q.QueryRowContext(ctx, `SELECT finished_at FROM once_runs WHERE name = $1`, name).Scan(ScanNullInstant(&finished))
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return finished != nil, Translate(err)
	}
	if d, err := done(db.read); err != nil || d {
		return false, err
	}
	if db.Dialect == Postgres {
		conn, err := db.write.Conn(ctx)
		if err != nil {
			return false, Translate(err)
		}
		defer conn.Close()
		var got bool
		if err := conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 7))`, name).Scan(&got); err != nil {
			return false, Translate(err)
		}
		if !got {
			return false, nil // another instance is running it
		}
		defer func() {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			defer cancel()
			_, _ = conn.ExecContext(uctx, `SELECT pg_advisory_unlock(hashtextextended($1, 7))`, name)
		}()
		if d, err := done(conn); err != nil || d {
			return false, err // finished while this instance waited for the lock
		}
	}
	now := Instant(time.Now())
	if _, err := db.write.ExecContext(ctx, `INSERT INTO once_runs (name, owner, started_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, started_at = excluded.started_at`, name, owner, now); err != nil {
		return false, Translate(err)
	}
	if err := fn(ctx); err != nil {
		return true, err
	}
	_, err = db.write.ExecContext(ctx, `UPDATE once_runs SET finished_at = $1 WHERE name = $2`, Instant(time.Now()), name)
	return true, Translate(err)
}
