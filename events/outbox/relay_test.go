package outbox

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/events/stream"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// TestRelayPublishesOnNotify writes outbox rows as the lending core does,
// notifies, and checks that the relay put them on the stream in creation
// order as events and marked them published, without waiting for its
// safety timer.
func TestRelayPublishesOnNotify(t *testing.T) {
	testenv.Backends(t, func(t *testing.T, _ testenv.Backend, db *store.DB) { relayPublishesOnNotify(t, db) })
}

func relayPublishesOnNotify(t *testing.T, db *store.DB) {
	ctx := context.Background()
	log, err := stream.OpenSQL(ctx, db, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := log.EnsureGroup(ctx, "g"); err != nil {
		t.Fatal(err)
	}
	r := New(db, log, nil, time.Hour, nil) // the safety timer never fires in this test
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { r.Run(rctx); close(done) }()
	defer func() { cancel(); <-done }()

	base := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	rows := []struct{ id, topic, key, payload string }{
		{"obx_1", "application_created", "C-7", `{"customer_id":"C-7","application_id":"app_1","amount":"50000.00","pan_hash":"p1"}`},
		{"obx_2", "loan.dpd_changed", "loan_9", `{"customer_id":"C-7","loan_id":"loan_9","dpd":31}`},
		{"obx_3", "loan.status_changed", "loan_9", `{"customer_id":"C-7","loan_id":"loan_9","to":"active"}`},
	}
	wantTypes := []string{"application_created", "dpd_changed", "lending_event"}
	for i, row := range rows {
		if _, err := db.Writer().ExecContext(ctx, `INSERT INTO outbox (id, topic, key, payload, created_at) VALUES ($1,$2,$3,$4,$5)`,
			row.id, row.topic, row.key, row.payload, store.Instant(base.Add(time.Duration(i)*time.Second))); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(50 * time.Millisecond) // the relay's start-up pass may run before or after the inserts
	r.Notify()
	var msgs []stream.Message
	deadline := time.Now().Add(5 * time.Second)
	for len(msgs) < len(rows) && time.Now().Before(deadline) {
		got, err := log.Read(ctx, "g", "c", 10, 200*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, got...)
	}
	if len(msgs) != len(rows) {
		t.Fatalf("stream got %d messages, want %d", len(msgs), len(rows))
	}
	for i, m := range msgs {
		var ev ingest.Event
		if err := json.Unmarshal(m.Data, &ev); err != nil {
			t.Fatal(err)
		}
		if ev.ID != rows[i].id || ev.Type != wantTypes[i] || ev.CustomerID != "C-7" || !ev.At.Equal(base.Add(time.Duration(i)*time.Second)) {
			t.Errorf("message %d: got %+v, want id %s of type %s for C-7 at its created_at", i, ev, rows[i].id, wantTypes[i])
		}
		if r := ingest.Validate(&ev, ev.ReceivedAt); r != "" {
			t.Errorf("event %s is not valid: %s", ev.ID, r)
		}
		if ev.Type == ingest.TypeLendingEvent && !strings.Contains(string(ev.Data), `"topic":"loan.status_changed"`) {
			t.Errorf("lending_event data %s lacks its topic", ev.Data)
		}
	}
	// The relay marks rows published just after it appends them: wait for it.
	var unpublished int
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM outbox WHERE published_at IS NULL`).Scan(&unpublished); err != nil {
			t.Fatal(err)
		}
		if unpublished == 0 || time.Now().After(deadline) {
			break
		}
	}
	if unpublished != 0 {
		t.Fatalf("%d outbox rows still unpublished, want 0", unpublished)
	}
	// Nothing is published twice by a later pass.
	if n, err := r.Once(ctx); err != nil || n != 0 {
		t.Fatalf("second pass published %d (%v), want 0", n, err)
	}
}
