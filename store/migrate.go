package store

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"

	"github.com/nirnay/nirnay/internal/backoff"
	"github.com/nirnay/nirnay/store/migrations"
)

// Migrate applies every pending embedded migration, each exactly once, and
// returns the versions it applied. Concurrent callers are serialised: a
// PostgreSQL advisory lock for PostgreSQL, an exclusive file lock beside the
// SQLite file for the embedded default. It is safe to run on every start.
func (db *DB) Migrate(ctx context.Context, logger *slog.Logger) ([]int64, error) {
	return db.MigrateTo(ctx, logger, 0)
}

// MigrateTo is Migrate up to and including version (every pending version
// when it is 0), for tests of an upgrade from an earlier release.
func (db *DB) MigrateTo(ctx context.Context, logger *slog.Logger, version int64) ([]int64, error) {
	opts := []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
	dialect := goose.DialectSQLite3
	if db.Dialect == Postgres {
		dialect = goose.DialectPostgres
		// The whole run, goose's own set-up included (it creates its version
		// table before it takes its lock, so instances starting at once made
		// PostgreSQL log "already exists" errors), holds an advisory lock.
		unlock, err := db.advisoryLock(ctx, "nirnay migrate")
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		defer unlock()
		// Retry every second for up to five minutes while another instance migrates.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		// Named with its schema: goose looks an unqualified table up in
		// current_schema(), the first module schema once 00013 made them.
		opts = append(opts, goose.WithSessionLocker(locker), goose.WithTableName("public.goose_db_version"))
	} else {
		unlock, err := fileLock(filepath.Join(filepath.Dir(db.path), "migrate.lock"))
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		defer unlock()
		rebuilds, err := migrations.SQLiteGo()
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		opts = append(opts, goose.WithGoMigrations(rebuilds...))
		// goose holds one connection for the whole run and hands a Go
		// migration the pool: the one write connection would wait for
		// itself. The migration lock above keeps other writers out.
		db.write.SetMaxOpenConns(2)
		defer db.write.SetMaxOpenConns(1)
	}
	p, err := goose.NewProvider(dialect, db.write, migrations.For(string(db.Dialect)), opts...)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var results []*goose.MigrationResult
	if version > 0 {
		results, err = p.UpTo(ctx, version)
	} else {
		results, err = p.Up(ctx)
	}
	if len(results) > 0 && db.pool != nil {
		// A statement prepared before a migration changed its table's
		// column types fails once on each connection that cached it
		// ("cached plan must not change result type"): start every
		// connection afresh.
		db.pool.Reset()
	}
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	applied := make([]int64, 0, len(results))
	for _, r := range results {
		applied = append(applied, r.Source.Version)
		if logger != nil {
			file := filepath.Base(r.Source.Path)
			if r.Source.Path == "" {
				file = migrations.SQLiteFile(r.Source.Version)
			}
			logger.Info("migration applied", "version", r.Source.Version, "file", file, "duration", r.Duration)
		}
	}
	return applied, nil
}

// advisoryLock waits (at most five minutes) for a PostgreSQL session
// advisory lock on name, held on a connection of its own until unlock. It
// polls with pg_try_advisory_lock rather than blocking in
// pg_advisory_lock: a waiting statement holds a snapshot, and a migration
// that builds an index CONCURRENTLY waits for every older snapshot, so a
// blocked waiter and the migrating instance would wait for each other.
func (db *DB) advisoryLock(ctx context.Context, name string) (unlock func(), err error) {
	lctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	conn, err := db.write.Conn(lctx)
	if err != nil {
		return nil, Translate(err)
	}
	bo := backoff.New(20*time.Millisecond, time.Second)
	for {
		var got bool
		if err := conn.QueryRowContext(lctx, `SELECT pg_try_advisory_lock(hashtextextended($1, 7))`, name).Scan(&got); err != nil {
			conn.Close()
			return nil, Translate(err)
		}
		if got {
			break
		}
		if !bo.Wait(lctx) {
			conn.Close()
			return nil, Translate(lctx.Err())
		}
	}
	return func() {
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_, _ = conn.ExecContext(uctx, `SELECT pg_advisory_unlock(hashtextextended($1, 7))`, name)
		conn.Close()
	}, nil
}

// fileLock takes an exclusive advisory lock on path, waiting for it.
func fileLock(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o640)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
