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
