package cases_test

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/cases"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// TestNextNeverHandsACaseTwice: 20 reviewers take cases with next at
// once, through two database handles (two instances) on PostgreSQL: each
// case goes to exactly one of them and every case is handed out.
func TestNextNeverHandsACaseTwice(t *testing.T) {
	url := testenv.Postgres(t)
	ctx := context.Background()
	open := func() *store.DB {
		db, err := store.Open(ctx, url, "")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}
	db1, db2 := open(), open()
	if _, err := db1.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	e1, e2 := newEnv(t, db1), newEnv(t, db2)
	const total, reviewers = 300, 20
	var recs []*decisionlog.Record
	for i := range total {
		body := fmt.Sprintf(`{"response": {"reasons": ["AMOUNT_HIGH"], "rules": []}, "input": {"amount": %d}}`, 1000+i)
		recs = append(recs, &decisionlog.Record{ID: fmt.Sprintf("dec_%026d", i), CustomerID: fmt.Sprintf("C-%d", i), Step: "application",
			Outcome: nirnay.Review, PolicyID: "refer", PolicyVersion: 1, Role: nirnay.RoleChampion,
			DecidedAt: start.Add(time.Duration(i) * time.Second), Body: []byte(body)})
	}
	if err := db1.InTx(ctx, func(tx *sql.Tx) error { return e1.svc.Opener().Hook(ctx, tx, recs) }); err != nil {
		t.Fatal(err)
	}
	var (
		mu     sync.Mutex
		handed = map[string][]string{}
		wg     sync.WaitGroup
		errs   = make(chan error, reviewers)
	)
	for r := range reviewers {
		svc := e1.svc
		if r%2 == 1 {
			svc = e2.svc
		}
		who := cases.Caller{Actor: cases.Actor{ID: fmt.Sprintf("key_%02d", r), Name: fmt.Sprintf("reviewer %d", r)}, Role: "ops"}
		wg.Go(func() {
			for {
				c, err := svc.Next(ctx, who, "application")
				if nirnay.IsKind(err, nirnay.KindNotFound) {
					return
				}
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				handed[c.ID] = append(handed[c.ID], who.ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("next: %v", err)
	}
	twice := 0
	for id, by := range handed {
		if len(by) != 1 {
			twice++
			t.Errorf("case %s handed to %v", id, by)
		}
	}
	if len(handed) != total || twice != 0 {
		t.Errorf("%d of %d cases handed out, %d more than once", len(handed), total, twice)
	}
	if n := e1.count(t, `SELECT COUNT(*) FROM cases WHERE status = 'assigned'`); n != total {
		t.Errorf("%d cases assigned, want %d", n, total)
	}
	if n := e2.count(t, `SELECT COUNT(*) FROM case_events WHERE action = 'claimed'`); n != total {
		t.Errorf("%d claimed events, want %d", n, total)
	}
}
