package store

import (
	"context"
	"database/sql"
)

// How Nirnay's transactions are isolated (docs/isolation.md states it per
// money path):
//
//   - InTx runs at the database's default level. On PostgreSQL that is READ
//     COMMITTED: a path that reads a row and writes back what it derived
//     from it locks that row first (ForUpdate), so a second transaction on
//     the same row waits for the first to commit and then reads what it
//     wrote. On SQLite every write transaction begins IMMEDIATE on the one
//     writer connection (_txlock=immediate): it holds the database's write
//     lock from BEGIN to COMMIT, so write transactions run one after another
//     — serialisable — in this process and, through the busy timeout, in
//     any other process that opens the same file.
//   - InSnapshot runs a read-only transaction that sees one consistent state
//     of the database, for a reader that must not see half of a concurrent
//     change (reconciliation).

// ForUpdate is the clause that locks the rows a SELECT reads until the
// transaction ends: " FOR UPDATE" on PostgreSQL, "" on SQLite, whose write
// transaction already holds the database's one write lock (and which has
// no such clause). Append it to a SELECT run inside InTx.
func ForUpdate(d Dialect) string {
	if d == Postgres {
		return " FOR UPDATE"
	}
	return ""
}

// InSnapshot runs fn in one read-only transaction whose reads all see the
// same committed state, however many statements fn runs and whatever
// commits meanwhile: REPEATABLE READ READ ONLY on PostgreSQL; on SQLite a
// deferred transaction on the read pool, whose WAL snapshot is fixed by its
// first read. It never blocks writers. Keep it short: on PostgreSQL a long
// snapshot holds back vacuum. fn must only read (PostgreSQL refuses a
// write; SQLite's read pool does not check). fn's error is returned as is.
func (db *DB) InSnapshot(ctx context.Context, fn func(tx *sql.Tx) error) error {
	opts := &sql.TxOptions{ReadOnly: true}
	if db.Dialect == Postgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := db.read.BeginTx(ctx, opts)
	if err != nil {
		return Translate(err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	return Translate(tx.Commit())
}
