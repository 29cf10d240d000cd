package store_test

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// TestInSnapshotSeesOneState: rows committed while a snapshot is open are
// not seen by it, later reads in it agree with its first, and PostgreSQL
// refuses a write in it.
func TestInSnapshotSeesOneState(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		insert := func(name string) {
			t.Helper()
			if _, err := db.Writer().ExecContext(ctx, `INSERT INTO once_runs (name, owner, started_at) VALUES ($1, 'test', $2)`, name, store.Instant(time.Now())); err != nil {
				t.Fatal(err)
			}
		}
		count := func(q interface {
			QueryRowContext(context.Context, string, ...any) *sql.Row
		}) int {
			t.Helper()
			var n int
			if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM once_runs`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		insert("a")
		err := db.InSnapshot(ctx, func(tx *sql.Tx) error {
			if n := count(tx); n != 1 {
				t.Errorf("first read in the snapshot: %d rows, want 1", n)
			}
			insert("b") // committed by another connection meanwhile
			if n := count(tx); n != 1 {
				t.Errorf("second read in the snapshot after another commit: %d rows, want still 1", n)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if db.Dialect == store.Postgres {
			err = db.InSnapshot(ctx, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, `INSERT INTO once_runs (name, owner, started_at) VALUES ('c', 'test', $1)`, store.Instant(time.Now()))
				return err
			})
			if err == nil {
				t.Error("a write inside InSnapshot succeeded on PostgreSQL; want it refused (READ ONLY)")
			}
		}
		if n := count(db.Reader()); n != 2 {
			t.Fatalf("after the snapshot: %d rows, want 2", n)
		}
	})
}

// TestForUpdateHoldsTheRow: on PostgreSQL a row read with ForUpdate in one
// transaction makes a second transaction's ForUpdate of it wait until the
// first commits, and then read what the first wrote; on SQLite the clause
// is empty and the statement runs.
func TestForUpdateHoldsTheRow(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO once_runs (name, owner, started_at) VALUES ('r', 'first', $1)`, store.Instant(time.Now())); err != nil {
			t.Fatal(err)
		}
		lock := `SELECT owner FROM once_runs WHERE name = 'r'` + store.ForUpdate(db.Dialect)
		if db.Dialect == store.SQLite {
			if store.ForUpdate(db.Dialect) != "" {
				t.Fatalf("ForUpdate(sqlite) = %q, want empty", store.ForUpdate(db.Dialect))
			}
			err := db.InTx(ctx, func(tx *sql.Tx) error {
				var o string
				return tx.QueryRowContext(ctx, lock).Scan(&o)
			})
			if err != nil {
				t.Fatal(err)
			}
			return
		}
		held := make(chan struct{})
		release := make(chan struct{})
		first := make(chan error, 1)
		go func() {
			first <- db.InTx(ctx, func(tx *sql.Tx) error {
				var o string
				if err := tx.QueryRowContext(ctx, lock).Scan(&o); err != nil {
					return err
				}
				close(held)
				<-release
				_, err := tx.ExecContext(ctx, `UPDATE once_runs SET owner = 'second' WHERE name = 'r'`)
				return err
			})
		}()
		<-held
		got := make(chan string, 1)
		go func() {
			_ = db.InTx(ctx, func(tx *sql.Tx) error {
				var o string
				err := tx.QueryRowContext(ctx, lock).Scan(&o)
				got <- o
				return err
			})
		}()
		select {
		case o := <-got:
			t.Fatalf("a second FOR UPDATE of a held row returned %q at once; want it to wait", o)
		case <-time.After(200 * time.Millisecond):
		}
		close(release)
		if err := <-first; err != nil {
			t.Fatal(err)
		}
		if o := <-got; o != "second" {
			t.Fatalf("the waiting FOR UPDATE read owner %q, want %q (what the first transaction committed)", o, "second")
		}
	})
}
