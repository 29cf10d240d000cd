package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// TestBulkTx: rows copied in a bulk transaction and rows its statements
// write commit together or not at all; a duplicate key is told by
// IsUniqueViolation, a broken CHECK comes back as its domain error, and
// SQLite refuses a bulk transaction.
func TestBulkTx(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := open(t, testenv.Postgres(t), t.TempDir())
	if _, err := db.Writer().ExecContext(ctx, `CREATE TABLE copied (id TEXT PRIMARY KEY, at TIMESTAMPTZ NOT NULL, doc JSON NOT NULL,
		CONSTRAINT copied_id_short CHECK (length(id) < 4))`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 10, 0, 0, 123456789, time.UTC)
	rows := func(ids ...string) pgx.CopyFromSource {
		return pgx.CopyFromSlice(len(ids), func(i int) ([]any, error) {
			return []any{ids[i], store.Instant(at), []byte(`{"n":` + ids[i] + `}`)}, nil
		})
	}
	count := func() int {
		var n int
		if err := db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM copied`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	err := db.InBulkTx(ctx, func(tx *store.BulkTx) error {
		if n, err := tx.CopyFrom(ctx, "copied", []string{"id", "at", "doc"}, rows("1", "2", "3")); err != nil || n != 3 {
			t.Errorf("copied %d rows, %v; want 3", n, err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO copied (id, at, doc) VALUES ('4', $1, '{}')`, store.Instant(at))
		return err
	})
	if err != nil || count() != 4 {
		t.Fatalf("copy and insert: %v, %d rows; want 4 committed", err, count())
	}
	var got time.Time
	if err := db.Reader().QueryRowContext(ctx, `SELECT at FROM copied WHERE id = '2'`).Scan(store.ScanInstant(&got)); err != nil || !got.Equal(at.Truncate(time.Microsecond)) {
		t.Fatalf("copied instant %v, %v; want %v", got, err, at.Truncate(time.Microsecond))
	}

	for _, c := range []struct {
		name  string
		ids   []string
		check func(error) bool
	}{
		{"a duplicate key", []string{"5", "1"}, store.IsUniqueViolation},
		{"a broken CHECK", []string{"5", "1234"}, func(err error) bool {
			return nirnay.IsKind(err, nirnay.KindUnprocessable) && strings.Contains(err.Error(), "copied_id_short")
		}},
		{"not JSON", []string{"5", "x"}, func(err error) bool { return strings.Contains(err.Error(), "json") }},
	} {
		err := db.InBulkTx(ctx, func(tx *store.BulkTx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO copied (id, at, doc) VALUES ('6', $1, '{}')`, store.Instant(at)); err != nil {
				return err
			}
			_, err := tx.CopyFrom(ctx, "copied", []string{"id", "at", "doc"}, rows(c.ids...))
			return err
		})
		if err == nil || !c.check(err) {
			t.Errorf("%s: got %v; want it refused as such", c.name, err)
		}
		if n := count(); n != 4 {
			t.Errorf("%s: %d rows; want the 4 from before (the transaction rolled back)", c.name, n)
		}
	}

	lite := open(t, "", t.TempDir())
	ran := false
	if err := lite.InBulkTx(ctx, func(*store.BulkTx) error { ran = true; return nil }); err == nil || ran {
		t.Fatalf("SQLite: ran %v, %v; want an error and nothing run", ran, err)
	}
	if store.IsUniqueViolation(errors.New("duplicate")) {
		t.Fatal("IsUniqueViolation of a plain error: true; want false")
	}
}
