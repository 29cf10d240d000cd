// Package testenv gives integration tests the real PostgreSQL and Redis that
// `make test` starts (scripts/with-services), each test isolated in its own
// PostgreSQL schema or Redis key prefix.
//
// Without the services a test is skipped with a loud message; under CI
// (CI=true) a missing service fails the test instead.
package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresEnv and RedisEnv name the variables scripts/with-services sets.
const (
	PostgresEnv = "NIRNAY_TEST_POSTGRES_URL"
	RedisEnv    = "NIRNAY_TEST_REDIS_URL"
)

func missing(t testing.TB, env, what string) {
	t.Helper()
	msg := env + " is not set: " + what + " integration test needs a real server (run `make test`, which starts one)"
	if os.Getenv("CI") == "true" {
		t.Fatal("CI: " + msg)
	}
	t.Skip("SKIPPED — " + msg)
}

// Suffix returns a short random name part for isolating one test's data.
func Suffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Postgres returns the URL of a database of the test's own, empty (no
// schema but an empty public), held until the test ends. Nirnay's tables
// live in one schema per module, so a test cannot be isolated by a
// search_path schema; CREATE DATABASE costs about half a second, so the
// databases come from a pool (pg.go) that tests of every package share,
// each claimed under an advisory lock and emptied before it is handed out.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		missing(t, PostgresEnv, "PostgreSQL")
	}
	u, err := claimPooled(t, base)
	if err != nil {
		t.Fatalf("test PostgreSQL: %v", err)
	}
	return u
}

// PostgresDatabase returns the URL of a fresh database of its own (for
// tests of what happens in a whole database, such as its server log),
// dropped when the test ends, and the database's name.
func PostgresDatabase(t testing.TB) (dbURL, name string) {
	t.Helper()
	name = "t_" + Suffix()
	u := create(t, "CREATE DATABASE "+name, "DROP DATABASE "+name+" WITH (FORCE)")
	u.Path = "/" + name
	return u.String(), name
}

// create runs ddl on the test PostgreSQL, and drop when the test ends; it
// returns the server's URL to build on.
func create(t testing.TB, ddl, drop string) *url.URL {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		missing(t, PostgresEnv, "PostgreSQL")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, ddl); err != nil {
		t.Fatalf("%s: %v", ddl, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, drop)
			c.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	return u
}

// PostgresLogEnv names the test PostgreSQL server's log file, whose lines
// carry "db=<database> " (scripts/with-services sets it).
const PostgresLogEnv = "NIRNAY_TEST_POSTGRES_LOG"

// PostgresErrors returns the ERROR lines the test PostgreSQL server has
// logged for database name so far. Without the log it skips the test (or
// fails it under CI).
func PostgresErrors(t testing.TB, name string) []string {
	t.Helper()
	path := os.Getenv(PostgresLogEnv)
	if path == "" {
		missing(t, PostgresLogEnv, "the PostgreSQL server log")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read the PostgreSQL log: %v", err)
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		if strings.Contains(line, " db="+name+" ") && strings.Contains(line, "ERROR:") {
			out = append(out, line)
		}
	}
	return out
}

// Redis returns the test Redis URL and a key prefix unique to this test.
func Redis(t testing.TB) (redisURL, prefix string) {
	t.Helper()
	u := os.Getenv(RedisEnv)
	if u == "" {
		missing(t, RedisEnv, "Redis")
	}
	return u, "t" + Suffix() + ":"
}
