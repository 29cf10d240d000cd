package testenv

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// poolPrefix names the pooled test databases: nirnay_pool_0, nirnay_pool_1 …
const poolPrefix = "nirnay_pool_"

// poolLockKey is the first key of the advisory locks that claim a pooled
// database (the second is its number).
const poolLockKey = 74110

// claimPooled claims the first pooled database no other test holds —
// creating a new one when all are taken — empties it and returns its URL.
// The claim is a session advisory lock on a connection to the server's
// base database, held until the test ends, so tests in other processes
// (go test runs packages at once) never share a database.
func claimPooled(t testing.TB, base string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	holder, err := pgx.Connect(ctx, base)
	if err != nil {
		return "", fmt.Errorf("connect: %w", err)
	}
	for n := 0; ; n++ {
		var got bool
		if err := holder.QueryRow(ctx, `SELECT pg_try_advisory_lock($1, $2)`, poolLockKey, n).Scan(&got); err != nil {
			holder.Close(ctx)
			return "", err
		}
		if !got {
			continue
		}
		name := fmt.Sprintf("%s%d", poolPrefix, n)
		u, err := prepare(ctx, holder, base, name)
		if err != nil {
			holder.Close(ctx)
			return "", fmt.Errorf("%s: %w", name, err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			holder.Close(ctx) // ends the session, releasing the claim
		})
		return u, nil
	}
}

// prepare creates database name if it does not exist and empties it: every
// schema the tests may have made is dropped and public made anew.
func prepare(ctx context.Context, holder *pgx.Conn, base, name string) (string, error) {
	if _, err := holder.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		var pe *pgconn.PgError
		if !errors.As(err, &pe) || pe.Code != "42P04" { // duplicate_database: made by an earlier test
			return "", err
		}
	}
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	conn, err := pgx.Connect(ctx, u.String())
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT nspname FROM pg_namespace
		WHERE nspname NOT LIKE 'pg\_%' AND nspname <> 'information_schema'`)
	if err != nil {
		return "", err
	}
	schemas, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return "", err
	}
	ddl := make([]string, 0, len(schemas)+1)
	for _, s := range schemas {
		ddl = append(ddl, "DROP SCHEMA "+pgx.Identifier{s}.Sanitize()+" CASCADE")
	}
	ddl = append(ddl, "CREATE SCHEMA public")
	if _, err := conn.Exec(ctx, strings.Join(ddl, "; ")); err != nil {
		return "", err
	}
	return u.String(), nil
}
