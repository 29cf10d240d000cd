package testenv

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/nirnay/nirnay/store"
)

// SQLite opens a freshly migrated embedded database in a temporary
// directory, closed when the test ends.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return SQLiteAt(t, t.TempDir())
}

// SQLiteAt opens the embedded database in dir, migrated, closed when the
// test ends; a test reopens a database by giving the same dir again.
func SQLiteAt(t testing.TB, dir string) *store.DB {
	t.Helper()
	return Backend{Dir: dir}.Migrated(t)
}

// Backend is one database under test: PostgreSQL (URL) or the embedded
// SQLite in Dir, with what a second instance needs to open it again.
type Backend struct{ URL, Dir string }

// Open opens the backend's database, closed when the test ends.
func (b Backend) Open(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), b.URL, b.Dir)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Migrated opens the backend's database, migrated, closed when the test
// ends. An embedded database not yet in Dir starts as a copy of one that
// was migrated once for the whole test binary (migrating from nothing took
// most of a second under the race detector); Migrate then finds nothing to
// apply.
func (b Backend) Migrated(t testing.TB) *store.DB {
	t.Helper()
	if b.URL == "" {
		placeMigrated(t, b.Dir)
	}
	db := b.Open(t)
	if _, err := db.Migrate(context.Background(), nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

// Backends runs fn against a fresh, migrated SQLite and a fresh, migrated
// PostgreSQL schema, as subtests "sqlite" and "postgres".
func Backends(t *testing.T, fn func(t *testing.T, b Backend, db *store.DB)) {
	run := func(t *testing.T, b Backend) { fn(t, b, b.Migrated(t)) }
	t.Run("sqlite", func(t *testing.T) { run(t, Backend{Dir: t.TempDir()}) })
	t.Run("postgres", func(t *testing.T) { run(t, Backend{URL: Postgres(t)}) })
}

// ParallelBackends is Backends for a test that runs in parallel with its
// package's other tests (it has databases of its own).
func ParallelBackends(t *testing.T, fn func(t *testing.T, b Backend, db *store.DB)) {
	t.Parallel()
	Backends(t, fn)
}

// ParallelDBs is ParallelBackends for a test that needs only the database,
// not which backend it is on.
func ParallelDBs(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	ParallelBackends(t, func(t *testing.T, _ Backend, db *store.DB) { fn(t, db) })
}

// Name is "postgres" or "sqlite".
func (b Backend) Name() string {
	if b.URL != "" {
		return "postgres"
	}
	return "sqlite"
}

// migrated is the embedded database file as Migrate leaves a new one,
// made once per test binary.
var migrated struct {
	once sync.Once
	file []byte
	err  error
}

// placeMigrated writes the migrated database file into dir unless dir
// holds a database already.
func placeMigrated(t testing.TB, dir string) {
	t.Helper()
	path := filepath.Join(dir, store.SQLiteFile)
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return // there already, or a problem Open reports
	}
	migrated.once.Do(func() { migrated.file, migrated.err = migrateNew() })
	if migrated.err != nil {
		t.Fatalf("migrate a new embedded database: %v", migrated.err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, migrated.file, 0o644); err != nil {
		t.Fatal(err)
	}
}

// migrateNew migrates a new embedded database in a directory of its own,
// closes it (which folds its write-ahead log into the file) and returns
// the file.
func migrateNew() ([]byte, error) {
	dir, err := os.MkdirTemp("", "nirnay-migrated-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		return nil, err
	}
	_, err = db.Migrate(ctx, nil)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, store.SQLiteFile)
	if _, err := os.Stat(path + "-wal"); err == nil {
		return nil, errors.New("closing left a write-ahead log beside " + path)
	}
	return os.ReadFile(path)
}
