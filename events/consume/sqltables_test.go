package consume

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// TestSQLTablesOnBothBackends: the journey index, the SMS signals and the
// dead letters keep their instants (microseconds; whole seconds for the
// signals) and select by them alike on SQLite and PostgreSQL.
func TestSQLTablesOnBothBackends(t *testing.T) {
	testenv.ParallelBackends(t, func(t *testing.T, _ testenv.Backend, db *store.DB) {
		ctx := context.Background()
		base := time.Date(2026, 11, 26, 9, 0, 0, 123456000, time.UTC)

		j := NewJourney(db)
		var evs []ingest.Event
		for i := range 3 {
			evs = append(evs, ingest.Event{ID: "j" + string(rune('0'+i)), Type: ingest.TypeAppEvent, CustomerID: "C-1",
				At: base.Add(time.Duration(i) * time.Microsecond), Data: json.RawMessage(`{"name":"open"}`)})
		}
		if refused, err := j.Handle(ctx, evs); err != nil || len(refused) != 0 {
			t.Fatalf("journey handle: %v, refused %v", err, refused)
		}
		all, err := j.List(ctx, "C-1", time.Time{}, time.Time{}, 10)
		if err != nil || len(all) != 3 || !all[0].At.Equal(base) || all[2].ID != "j2" {
			t.Fatalf("journey with open bounds: %+v, %v; want j0..j2 from %v", all, err, base)
		}
		mid, err := j.List(ctx, "C-1", base.Add(time.Microsecond), base.Add(2*time.Microsecond), 10)
		if err != nil || len(mid) != 1 || mid[0].ID != "j1" {
			t.Errorf("journey in [base+1µs, base+2µs): %+v, %v; want j1 only", mid, err)
		}

		sig := NewSQLSignals(db)
		now := base.Add(time.Hour)
		old := Signal{CustomerID: "C-1", EventID: "s0", Kind: SignalSalary, At: now.Add(-SignalRetention - time.Second), Amount: 1}
		fresh := Signal{CustomerID: "C-1", EventID: "s1", Kind: SignalSalary, At: base, Amount: 5000000}
		if err := sig.Add(ctx, []Signal{old, fresh}, now); err != nil {
			t.Fatal(err)
		}
		got, _, err := sig.Since(ctx, []string{"C-1"}, now.Add(-SignalRetention))
		if err != nil || len(got["C-1"]) != 1 || !got["C-1"][0].At.Equal(base.Truncate(time.Second)) || got["C-1"][0].Amount != 5000000 {
			t.Errorf("signals since retention: %+v, %v; want s1 at %v (whole seconds)", got, err, base.Truncate(time.Second))
		}

		at := base
		dead := NewDeadLetters(db, func() time.Time { at = at.Add(time.Microsecond); return at })
		for _, id := range []string{"d0", "d1", "d2"} {
			if err := dead.Add(ctx, "features", []Refusal{{Event: ingest.Event{ID: id, Type: ingest.TypeSMS}, Reason: "bad"}}); err != nil {
				t.Fatal(err)
			}
		}
		page, next, err := dead.List(ctx, "", 2)
		if err != nil || len(page) != 2 || page[0].EventID != "d2" || !page[0].CreatedAt.Equal(base.Add(3*time.Microsecond)) || next == "" {
			t.Fatalf("dead letters page 1: %+v, next %q, %v; want d2 (at base+3µs), d1 and a cursor", page, next, err)
		}
		rest, next, err := dead.List(ctx, next, 2)
		if err != nil || len(rest) != 1 || rest[0].EventID != "d0" || next != "" {
			t.Errorf("dead letters page 2: %+v, next %q, %v; want d0 and no cursor", rest, next, err)
		}
	})
}
