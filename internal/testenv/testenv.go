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

// Postgres returns a database URL whose search_path is a fresh schema that is
// dropped when the test ends.
func Postgres(t testing.TB) string {
	t.Helper()
	base := os.Getenv(PostgresEnv)
	if base == "" {
		missing(t, PostgresEnv, "PostgreSQL")
	}
	schema := "t_" + Suffix()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema %s: %v", schema, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if c, err := pgx.Connect(ctx, base); err == nil {
			_, _ = c.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			c.Close(ctx)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", PostgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
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
