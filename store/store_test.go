package store_test

import (
	"context"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

func open(t *testing.T, url, dir string) *store.DB {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, url, dir)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx, nil); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return db
}

func TestAPIKeys(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
		k := store.APIKey{ID: "key_1", Name: "mobile", Role: "service", CreatedAt: now}
		if err := db.CreateAPIKey(ctx, k, "s3cret"); err != nil {
			t.Fatalf("create: %v", err)
		}
		if err := db.CreateAPIKey(ctx, store.APIKey{ID: "key_2", Role: "ops", CreatedAt: now}, "s3cret"); !nirnay.IsKind(err, nirnay.KindConflict) {
			t.Fatalf("second key with the same secret: got %v, want a conflict", err)
		}
		got, err := db.APIKeyBySecret(ctx, "s3cret")
		if err != nil || got.ID != "key_1" || got.Role != "service" || !got.CreatedAt.Equal(now) {
			t.Fatalf("lookup: got %+v, %v; want key_1 service created %v", got, err, now)
		}
		if _, err := db.APIKeyBySecret(ctx, "wrong"); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Fatalf("unknown secret: got %v, want not found", err)
		}
		if err := db.RevokeAPIKey(ctx, "key_1", now); err != nil {
			t.Fatalf("revoke: %v", err)
		}
		if _, err := db.APIKeyBySecret(ctx, "s3cret"); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Fatalf("revoked key still found: %v", err)
		}
		if err := db.RevokeAPIKey(ctx, "key_1", now); !nirnay.IsKind(err, nirnay.KindNotFound) {
			t.Fatalf("revoking twice: got %v, want not found", err)
		}
		// Ensure revives a revoked key with the role it is given.
		if err := db.EnsureAPIKey(ctx, store.APIKey{ID: "key_3", Role: "admin", CreatedAt: now}, "s3cret"); err != nil {
			t.Fatalf("ensure: %v", err)
		}
		if got, err := db.APIKeyBySecret(ctx, "s3cret"); err != nil || got.Role != "admin" {
			t.Fatalf("after ensure: got %+v, %v; want role admin", got, err)
		}
	})
}

// TestConcurrentMigrate starts several migrations at the same moment on one
// database: every one succeeds and each migration is applied exactly once.
func TestConcurrentMigrate(t *testing.T) {
	t.Parallel()
	run := func(t *testing.T, url, dir string) {
		ctx := context.Background()
		const n = 4
		applied := make([][]int64, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := store.Open(ctx, url, dir)
				if err != nil {
					errs[i] = err
					return
				}
				defer db.Close()
				applied[i], errs[i] = db.Migrate(ctx, nil)
			}()
		}
		wg.Wait()
		counts := map[int64]int{}
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("migration %d: %v", i, errs[i])
			}
			for _, v := range applied[i] {
				counts[v]++
			}
		}
		if len(counts) == 0 {
			t.Fatal("no migration was applied")
		}
		for v, c := range counts {
			if c != 1 {
				t.Errorf("migration %d applied %d times, want once", v, c)
			}
		}
	}
	t.Run("sqlite", func(t *testing.T) { run(t, "", filepath.Join(t.TempDir(), "data")) })
	t.Run("postgres", func(t *testing.T) { run(t, testenv.Postgres(t), "") })
	// Instances starting at once on a new database: the migrations and the
	// bootstrap admin key leave no error in PostgreSQL's log.
	t.Run("postgres log", func(t *testing.T) {
		url, name := testenv.PostgresDatabase(t)
		run(t, url, "")
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db := open(t, url, "")
				k := store.APIKey{ID: "key_" + string(rune('a'+i)), Name: "bootstrap admin", Role: "admin", CreatedAt: time.Now()}
				if err := db.EnsureAPIKey(context.Background(), k, "admin-secret"); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if errs := testenv.PostgresErrors(t, name); len(errs) > 0 {
			t.Errorf("PostgreSQL logged %d error(s) for concurrent starts:\n%s", len(errs), strings.Join(errs, "\n"))
		}
	})
}

func TestOpenErrorsNameTheSetting(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct{ url, dir, want string }{
		{"mysql://x/y", "", "NIRNAY_DATABASE_URL"},
		{"postgres://nobody@127.0.0.1:1/none?connect_timeout=2", "", "NIRNAY_DATABASE_URL: cannot connect"},
		{"", "/proc/nirnay-cannot-be-here", "NIRNAY_DATA_DIR"},
	}
	for _, c := range cases {
		_, err := store.Open(ctx, c.url, c.dir)
		if err == nil || len(err.Error()) < len(c.want) || err.Error()[:len(c.want)] != c.want {
			t.Errorf("Open(%q, %q) error = %v; want it to start with %q", c.url, c.dir, err, c.want)
		}
	}
}
