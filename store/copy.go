package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// BulkTx is a write transaction on PostgreSQL that can also write rows
// with COPY (CopyFrom). Its *sql.Tx runs statements as any transaction
// does; the two are one transaction on one connection. Like a *sql.Tx it
// is for one goroutine at a time.
type BulkTx struct {
	*sql.Tx
	conn *sql.Conn
}

// CopyFrom writes rows into table (a plain name, found through the
// search_path) with PostgreSQL's COPY, in the transaction: one stream of
// rows in the binary format, with no statement to parse or bind, written
// with PostgreSQL's batched heap inserts, routed to the partition a
// partitioned table keeps each in. columns name the columns each row
// fills, in order; the values bind as a statement's parameters do
// (Instant for an instant, a []byte or string for a JSON document, which
// PostgreSQL checks). It returns the number of rows written. COPY has no
// ON CONFLICT: a row breaking any constraint, a duplicate key included,
// fails the whole copy and with it the transaction (InBulkTx returns the
// error; IsUniqueViolation tells a duplicate).
func (t *BulkTx) CopyFrom(ctx context.Context, table string, columns []string, rows pgx.CopyFromSource) (int64, error) {
	var n int64
	err := t.conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("copy into %s: the connection is not PostgreSQL's (%T)", table, dc)
		}
		var err error
		n, err = c.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, rows)
		return err
	})
	return n, err
}

// InBulkTx is InTx for a transaction that copies rows (BulkTx.CopyFrom):
// fn runs in one write transaction on one PostgreSQL connection,
// committed when fn returns nil and rolled back otherwise, and its error
// comes back as InTx returns it (a broken foreign key, CHECK or NOT NULL
// constraint as its domain error). On SQLite, which has no COPY, it runs
// nothing and returns an error.
func (db *DB) InBulkTx(ctx context.Context, fn func(tx *BulkTx) error) error {
	if db.Dialect != Postgres {
		return errors.New("a bulk transaction needs PostgreSQL")
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return Translate(err)
	}
	defer conn.Close()
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return Translate(err)
	}
	return finish(tx, fn(&BulkTx{Tx: tx, conn: conn}))
}

// IsUniqueViolation reports whether err is a duplicate key refused by a
// unique constraint or index, on either backend.
func IsUniqueViolation(err error) bool { return isUniqueViolation(err) }
