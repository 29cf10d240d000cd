package testenv

import (
	"context"
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
	ctx := context.Background()
	db, err := store.Open(ctx, "", dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	return db
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

// Backends runs fn against a fresh, migrated SQLite and a fresh, migrated
// PostgreSQL schema, as subtests "sqlite" and "postgres".
func Backends(t *testing.T, fn func(t *testing.T, b Backend, db *store.DB)) {
	run := func(t *testing.T, b Backend) {
		db := b.Open(t)
		if _, err := db.Migrate(context.Background(), nil); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		fn(t, b, db)
	}
	t.Run("sqlite", func(t *testing.T) { run(t, Backend{Dir: t.TempDir()}) })
	t.Run("postgres", func(t *testing.T) { run(t, Backend{URL: Postgres(t)}) })
}

// Name is "postgres" or "sqlite".
func (b Backend) Name() string {
	if b.URL != "" {
		return "postgres"
	}
	return "sqlite"
}
