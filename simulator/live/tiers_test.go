package live_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/decisions/decisionstest"
	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/simulator/live"
	"github.com/nirnay/nirnay/store"
)

// TestEachDecisionReadsEveryTier: with September archived (on PostgreSQL
// its month partition exported, detached and dropped; on SQLite its rows
// moved) the simulator's reader still gives every decision of September
// and October once, cold and hot alike.
func TestEachDecisionReadsEveryTier(t *testing.T) {
	testenv.ParallelBackends(t, func(t *testing.T, _ testenv.Backend, db *store.DB) {
		ctx := context.Background()
		l := decisionstest.Log(t, db, decisionlog.Options{Linger: time.Millisecond})
		gen := ids.New(nil)
		want := map[string]bool{}
		for d := range 40 {
			at := time.Date(2026, 9, 10, 12, 0, 0, 0, time.UTC).Add(time.Duration(d) * 24 * time.Hour)
			id := gen.At("dec", at)
			body, _ := json.Marshal(map[string]any{"response": map[string]any{"decision_id": id}})
			r := &decisionlog.Record{ID: id, RequestID: "r-" + id, CustomerID: fmt.Sprintf("C-%d", d%4), Step: "application",
				Outcome: nirnay.Approve, PolicyID: "credit", PolicyVersion: 1, Role: nirnay.RoleChampion, DecidedAt: at, Body: body}
			s := *r
			s.ID, s.ParentID, s.Role, s.Body = id+".s1", id, nirnay.RoleShadow, []byte(`{"outcome":"decline"}`)
			if err := l.Append(r, &s); err != nil {
				t.Fatal(err)
			}
			want[r.ID], want[s.ID] = true, true
		}
		ship(t, l)
		moved, err := l.Archive(ctx, time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC))
		if err != nil || moved != 2*21 {
			t.Fatalf("archive September: moved %d, %v; want 42", moved, err)
		}
		seen := map[string]int{}
		r := live.Range{Step: "application", From: time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
		if err := live.EachDecision(ctx, live.FromLog(l), r, 0, func(rec *decisionlog.Record) error {
			seen[rec.ID]++
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for id := range want {
			if seen[id] != 1 {
				t.Errorf("%s read %d times, want once", id, seen[id])
			}
		}
		if len(seen) != len(want) {
			t.Errorf("read %d decisions, want %d", len(seen), len(want))
		}
	})
}
