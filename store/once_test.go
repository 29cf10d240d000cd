package store_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

func TestOnceRunsToCompletionOnce(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		var runs atomic.Int32
		failing := errors.New("half way")
		if ran, err := db.Once(ctx, "job/1", "a", func(context.Context) error { runs.Add(1); return failing }); !ran || !errors.Is(err, failing) {
			t.Fatalf("a failing run: ran %v err %v", ran, err)
		}
		if ran, err := db.Once(ctx, "job/1", "b", func(context.Context) error { runs.Add(1); return nil }); !ran || err != nil {
			t.Fatalf("the run after a failure: ran %v err %v; want it run again", ran, err)
		}
		if ran, err := db.Once(ctx, "job/1", "c", func(context.Context) error { runs.Add(1); return nil }); ran || err != nil {
			t.Fatalf("a run after completion: ran %v err %v; want skipped", ran, err)
		}
		if got := runs.Load(); got != 2 {
			t.Errorf("%d runs, want 2", got)
		}
	})
}

// TestOnceAcrossInstances: three instances on one PostgreSQL start the same
// work at once; exactly one runs it.
func TestOnceAcrossInstances(t *testing.T) {
	t.Parallel()
	url := testenv.Postgres(t)
	dbs := []*store.DB{open(t, url, ""), open(t, url, ""), open(t, url, "")}
	var runs atomic.Int32
	var wg sync.WaitGroup
	for i, db := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := db.Once(context.Background(), "day-end/2026-12-03", string(rune('a'+i)), func(context.Context) error {
				runs.Add(1)
				time.Sleep(200 * time.Millisecond)
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if got := runs.Load(); got != 1 {
		t.Fatalf("%d instances ran the work, want 1", got)
	}
	if ran, _ := dbs[2].Once(context.Background(), "day-end/2026-12-03", "c", func(context.Context) error { return nil }); ran {
		t.Error("the work ran again after it completed")
	}
}

// TestTranslateConstraintViolations: a duplicate key is KindConflict on
// both backends, classified by the driver's error code.
func TestTranslateConstraintViolations(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO once_runs (name, owner, started_at) VALUES ('dup', 'a', $1)`, store.Instant(time.Now())); err != nil {
			t.Fatal(err)
		}
		_, err := db.Writer().ExecContext(ctx, `INSERT INTO once_runs (name, owner, started_at) VALUES ('dup', 'b', $1)`, store.Instant(time.Now()))
		if got := store.Translate(err); !nirnay.IsKind(got, nirnay.KindConflict) || store.IsUnavailable(err) {
			t.Errorf("duplicate primary key: %v → %v; want a conflict, not unavailable", err, got)
		}
	})
}
