package consume

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// TestDeadLettersHoldNoPersonalData: the reason and the event of a dead
// letter are masked as stored, and a row stored raw lists masked.
func TestDeadLettersHoldNoPersonalData(t *testing.T) {
	testenv.ParallelBackends(t, func(t *testing.T, _ testenv.Backend, db *store.DB) { deadLettersHoldNoPersonalData(t, db) })
}

func deadLettersHoldNoPersonalData(t *testing.T, db *store.DB) {
	ctx := context.Background()
	dead := NewDeadLetters(db, clock)
	const aadhaar, pan, mobile = "234567890124", "ABCDE1234F", "9876543210"
	ev := ingest.Event{ID: "e1", Type: ingest.TypeAppEvent, CustomerID: "C-1", At: time.Date(2026, 11, 26, 9, 0, 0, 0, time.UTC),
		Data: json.RawMessage(`{"props":{"pan_no":"` + pan + `","note":"call ` + mobile + `","ids":["` + aadhaar + `"],"mail":"ravi@example.com"}}`)}
	if err := dead.Add(ctx, "features", []Refusal{{Event: ev, Reason: "aggregate: bad value " + pan + " for " + mobile}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Writer().ExecContext(ctx, `INSERT INTO event_dead_letters (id, event_id, consumer, event_type, customer_id, reason, payload, created_at)
VALUES ('old/e0', 'e0', 'old', 'sms', 'C-1', $1, $2, $3)`, "raw "+mobile, `{"id":"e0","data":{"body":"PAN `+pan+` Aadhaar `+aadhaar+`"}}`, store.Instant(time.UnixMicro(1))); err != nil {
		t.Fatal(err)
	}
	var reason, payload string
	if err := db.Reader().QueryRowContext(ctx, `SELECT reason, payload FROM event_dead_letters WHERE id = 'features/e1'`).Scan(&reason, &payload); err != nil {
		t.Fatal(err)
	}
	raws := []string{aadhaar, pan, mobile, "ravi@"}
	for _, raw := range raws {
		if strings.Contains(reason+payload, raw) {
			t.Errorf("stored dead letter holds %q: reason %q, payload %s", raw, reason, payload)
		}
	}
	if reason != "aggregate: bad value XXXXXX234F for XXXXXX3210" {
		t.Errorf("stored reason %q", reason)
	}
	items, _, err := dead.List(ctx, "", 10)
	if err != nil || len(items) != 2 {
		t.Fatalf("list: %d items, %v; want 2", len(items), err)
	}
	for _, dl := range items {
		text := dl.Reason + string(dl.Event)
		for _, raw := range raws {
			if strings.Contains(text, raw) {
				t.Errorf("listed dead letter %s holds %q: %s", dl.ID, raw, text)
			}
		}
		if !json.Valid(dl.Event) {
			t.Errorf("listed dead letter %s: event is not JSON: %s", dl.ID, dl.Event)
		}
	}
	if !strings.Contains(string(items[1].Event), "XXXXXXXX0124") && !strings.Contains(string(items[0].Event), "XXXXXXXX0124") {
		t.Errorf("no listed event shows the masked Aadhaar number: %s / %s", items[0].Event, items[1].Event)
	}
}

func TestJourneySummaryMasks(t *testing.T) {
	t.Parallel()
	ev := ingest.Event{ID: "e1", Type: ingest.TypeAppEvent, CustomerID: "C-1", Data: json.RawMessage(
		`{"name":"screen_view","screen":"kyc ABCDE1234F","element":"call 9876543210","session_id":"s-2345 6789 0124"}`)}
	s, ok, reason := journeySummary(&ev)
	if !ok || reason != "" {
		t.Fatalf("journeySummary: ok %v, reason %q", ok, reason)
	}
	want := map[string]any{"name": "screen_view", "screen": "kyc XXXXXX234F", "element": "call XXXXXX3210", "session_id": "s-XXXXXXXX0124"}
	got, _ := json.Marshal(s)
	if w, _ := json.Marshal(want); string(got) != string(w) {
		t.Fatalf("summary %s, want %s", got, w)
	}
}
