// Package store opens Nirnay's SQL database — the embedded SQLite file by
// default, PostgreSQL in production — applies the embedded migrations, and
// translates driver errors into Nirnay's error kinds in one place.
//
// SQL is written once for both dialects: positional parameters ($1, $2 …),
// plain table names (on PostgreSQL each module's tables are in a schema of
// their own, found through the search_path, see Schemas), TEXT ids and
// BIGINT paise; instants, business dates and JSON documents have a column
// type per dialect, bound and scanned through the helpers of types.go
// (Instant, ScanInstant, ScanDate).
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/nirnay/nirnay/internal/backoff"
)

// Dialect names the SQL backend.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is an open database. It is safe for concurrent use.
//
// For SQLite, writes go through one connection (SQLite allows a single
// writer; the busy timeout covers other processes) and reads through a pool
// that WAL lets run beside the writer. For PostgreSQL both are one pgx pool.
type DB struct {
	Dialect Dialect
	write   *sql.DB
	read    *sql.DB
	pool    *pgxpool.Pool
	path    string // SQLite file, for messages
}

// Param is the n-th positional parameter in d's SQL: $n for PostgreSQL,
// ?n for SQLite, which looks $n up by name (a linear search per parameter
// that made statements of hundreds of parameters slow to bind).
func Param(d Dialect, n int) string {
	if d == SQLite {
		return "?" + strconv.Itoa(n)
	}
	return "$" + strconv.Itoa(n)
}

// Schemas are the PostgreSQL schemas of Nirnay's modules, one each, owned
// by the package that uses the tables in it (docs/data-model.md). SQLite
// keeps every table in its one file.
var Schemas = []string{"auth", "decisions", "features", "governance", "lending", "events", "lists", "kyc", "comms", "cases", "ops"}

// SearchPath is the search_path of every PostgreSQL connection: the module
// schemas, then public (where goose keeps its version table, and where the
// tables of a database not yet migrated past version 13 still are).
var SearchPath = strings.Join(Schemas, ", ") + ", public"

// SQLiteFile is the name of the embedded database file inside the data dir.
const SQLiteFile = "nirnay.db"

// Open opens the database named by databaseURL, or the embedded SQLite file
// under dataDir when databaseURL is empty. It checks the connection before
// returning. Errors name the setting at fault.
func Open(ctx context.Context, databaseURL, dataDir string) (*DB, error) {
	if databaseURL == "" {
		return openSQLite(ctx, dataDir)
	}
	return openPostgres(ctx, databaseURL)
}

func openSQLite(ctx context.Context, dataDir string) (*DB, error) {
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return nil, fmt.Errorf("NIRNAY_DATA_DIR %q: %w", dataDir, unwrapPathError(err))
	}
	path := filepath.Join(dataDir, SQLiteFile)
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "synchronous(NORMAL)")
	// A larger page cache per connection (up to 32 MiB) and reads through a
	// memory map keep index pages out of read system calls.
	q.Add("_pragma", "cache_size(-32768)")
	q.Add("_pragma", "mmap_size(268435456)")
	// Checkpoint every 32 MiB of WAL rather than 4 MiB: a page changed by
	// many transactions in between is copied back once (11 % fewer bytes
	// written under 2,000 decisions/s).
	q.Add("_pragma", "wal_autocheckpoint(8192)")
	q.Set("_txlock", "immediate")
	dsn := "file:" + path + "?" + q.Encode()
	write, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("NIRNAY_DATA_DIR %q: open %s: %w", dataDir, SQLiteFile, err)
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn)
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("NIRNAY_DATA_DIR %q: open %s: %w", dataDir, SQLiteFile, err)
	}
	read.SetMaxOpenConns(8)
	db := &DB{Dialect: SQLite, write: write, read: read, path: path}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// The first statement creates the file and switches it to WAL. While
	// another process opens the same new file, SQLite can answer
	// SQLITE_BUSY at once, without waiting out the busy timeout: try again
	// every 20 ms (jittered) for up to the 10 s of pctx.
	bo := backoff.New(20*time.Millisecond, 20*time.Millisecond)
	for {
		_, err = write.ExecContext(pctx, "CREATE TABLE IF NOT EXISTS nirnay_open_check (x INTEGER)")
		if err == nil || !IsUnavailable(err) || !bo.Wait(pctx) {
			break
		}
	}
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("NIRNAY_DATA_DIR %q: cannot write %s: %v", dataDir, SQLiteFile, err)
	}
	return db, nil
}

func openPostgres(ctx context.Context, databaseURL string) (*DB, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
		return nil, errors.New("NIRNAY_DATABASE_URL: want postgres://user:password@host:port/dbname")
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("NIRNAY_DATABASE_URL: %v", err)
	}
	// Every module's tables are found by their plain names; a search_path
	// given in the URL is replaced (the tables are where the migrations
	// put them).
	cfg.ConnConfig.RuntimeParams["search_path"] = SearchPath
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("NIRNAY_DATABASE_URL: %v", err)
	}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := pool.Ping(pctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("NIRNAY_DATABASE_URL: cannot connect to %s: %v", u.Redacted(), rootCause(err))
	}
	sdb := stdlib.OpenDBFromPool(pool)
	return &DB{Dialect: Postgres, write: sdb, read: sdb, pool: pool}, nil
}

// Writer returns the handle for statements that write. For SQLite it has a
// single connection; keep write transactions short.
func (db *DB) Writer() *sql.DB { return db.write }

// Reader returns the handle for read-only queries.
func (db *DB) Reader() *sql.DB { return db.read }

// Ping checks that the database answers.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.read.PingContext(ctx); err != nil {
		return err
	}
	_, err := db.read.ExecContext(ctx, "SELECT 1")
	return err
}

// InTx runs fn in one write transaction, committing when fn returns nil and
// rolling back otherwise. It runs at READ COMMITTED on PostgreSQL (lock what
// you fold: ForUpdate) and serialised behind the one write lock on SQLite;
// see isolation.go. fn's error is returned as it is, except that a broken
// constraint becomes the domain error Translate makes of it (409 or 422,
// never an internal error).
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return Translate(err)
	}
	return finish(tx, fn(tx))
}

// finish ends tx after fn returned err: rolled back with err's domain
// error (a broken constraint), or committed when err is nil.
func finish(tx *sql.Tx, err error) error {
	if err != nil {
		_ = tx.Rollback()
		if v := violation(err); v != nil && !hasKind(err) {
			return v
		}
		return err
	}
	return Translate(tx.Commit())
}

// Close closes every connection.
func (db *DB) Close() error {
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	if db.pool != nil {
		db.pool.Close()
	}
	return err
}

// String describes the database without secrets.
func (db *DB) String() string {
	if db.Dialect == SQLite {
		return "sqlite " + db.path
	}
	c := db.pool.Config().ConnConfig
	return fmt.Sprintf("postgres %s:%d/%s", c.Host, c.Port, c.Database)
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// rootCause strips wrapping down to the innermost message, which for
// connection failures is the one line a person needs.
func rootCause(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 && strings.Contains(msg, "dial") {
		return msg[i+2:]
	}
	return msg
}
