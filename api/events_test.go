package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/events/consume"
	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/events/stream"
)

type eventEnv struct {
	h   http.Handler
	log *stream.SQL
	run func(t *testing.T) // indexes the journey from the stream
}

func newEventEnv(t *testing.T) *eventEnv {
	t.Helper()
	db := testDB(t, staffKeys...)
	ctx := context.Background()
	now := func() time.Time { return time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC) }
	log, err := stream.OpenSQL(ctx, db, now)
	if err != nil {
		t.Fatal(err)
	}
	dead := consume.NewDeadLetters(db, now)
	journey := consume.NewJourney(db)
	s := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Keys: db})
	s.MountEvents(&ingest.Ingester{Stream: log, Dead: dead, Clock: now}, dead, journey)
	s.V1().GET("/customers/:id/journey", allow(RoleOps, RoleAnalyst, RoleService), s.customerJourney)
	run := func(t *testing.T) {
		t.Helper()
		for {
			msgs, err := log.Read(ctx, "journey", "t", 500, 10*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) == 0 {
				return
			}
			evs := make([]ingest.Event, len(msgs))
			ids := make([]string, len(msgs))
			for i, m := range msgs {
				json.Unmarshal(m.Data, &evs[i])
				ids[i] = m.ID
			}
			if _, err := journey.Handle(ctx, evs); err != nil {
				t.Fatal(err)
			}
			log.Ack(ctx, "journey", ids...)
		}
	}
	if err := log.EnsureGroup(ctx, "journey"); err != nil {
		t.Fatal(err)
	}
	return &eventEnv{h: s.Handler(), log: log, run: run}
}

func eventJSON(id, typ, customer, at, data string) string {
	return fmt.Sprintf(`{"id":%q,"type":%q,"customer_id":%q,"device_id":"d-1","at":%q,"data":%s}`, id, typ, customer, at, data)
}

func TestPostEvents(t *testing.T) {
	t.Parallel()
	env := newEventEnv(t)
	at := "2026-11-26T09:00:00Z"
	good := []string{
		eventJSON("e1", "sms", "C-1", at, `{"sender":"VM-HDFCBK","body":"Rs 50000.00 credited to A/c XX1234 on 25-11-26 by NEFT SALARY ACME LTD"}`),
		eventJSON("e2", "app_event", "C-1", "2026-11-26T09:01:00Z", `{"name":"screen_view","screen":"offer"}`),
		eventJSON("e3", "device_apps", "C-1", at, `{"packages":["com.whatsapp","com.kreditbee.android"]}`),
		eventJSON("e4", "app_event", "C-2", at, `{"name":"click","screen":"kyc","element":"submit"}`),
	}
	bad := eventJSON("e5", "sms", "C-1", at, `{"sender":"VM-HDFCBK"}`)
	body := `{"events":[` + strings.Join(append(good, bad), ",") + `]}`

	cases := []struct {
		name, key, body string
		status          int
	}{
		{"no key", "", body, 401},
		{"ops may not post", "ops", body, 403},
		{"analyst may not post", "ana", body, 403},
		{"customer token for another customer", "cust-1", body, 403},
		{"empty batch", "svc", `{"events":[]}`, 400},
		{"not JSON", "svc", `{"events":`, 400},
		{"unknown field", "svc", `{"events":[],"x":1}`, 400},
		{"repeated id", "svc", `{"events":[` + good[0] + "," + good[0] + `]}`, 400},
	}
	for _, c := range cases {
		var hdr []string
		if c.key != "" {
			hdr = bearer(c.key)
		}
		rec := do(t, env.h, "POST", "/v1/events", c.body, hdr...)
		if rec.Code != c.status {
			t.Errorf("%s: got %d %s, want %d", c.name, rec.Code, rec.Body, c.status)
		}
	}

	rec := do(t, env.h, "POST", "/v1/events", body, bearer("svc")...)
	if rec.Code != http.StatusAccepted {
		t.Fatalf("post: got %d %s, want 202", rec.Code, rec.Body)
	}
	var rc ingest.Receipt
	if err := json.Unmarshal(rec.Body.Bytes(), &rc); err != nil {
		t.Fatal(err)
	}
	if strings.Join(rc.Accepted, ",") != "e1,e2,e3,e4" || len(rc.Refused) != 1 || rc.Refused[0].ID != "e5" || rc.Refused[0].Index != 4 {
		t.Fatalf("receipt %s: want accepted e1..e4 and e5 dead-lettered at index 4", rec.Body)
	}
	_, lag, _ := env.log.Pending(context.Background(), "journey")
	if lag != 4 {
		t.Fatalf("stream holds %d new messages for a group, want 4", lag)
	}

	// A customer-scoped token may post for its own customer.
	own := `{"events":[` + eventJSON("e6", "app_event", "C-1", "2026-11-26T09:02:00Z", `{"name":"click","screen":"offer","element":"accept"}`) + `]}`
	if rec := do(t, env.h, "POST", "/v1/events", own, bearer("cust-1")...); rec.Code != 202 {
		t.Fatalf("customer token, own customer: got %d %s, want 202", rec.Code, rec.Body)
	}

	// The journey shows C-1's screens and clicks in time order.
	env.run(t)
	rec = do(t, env.h, "GET", "/v1/customers/C-1/journey", "", bearer("ops")...)
	if rec.Code != 200 {
		t.Fatalf("journey: %d %s", rec.Code, rec.Body)
	}
	var j struct {
		Items []JourneyItem `json:"items"`
	}
	json.Unmarshal(rec.Body.Bytes(), &j)
	var got []string
	for _, it := range j.Items {
		got = append(got, it.ID+":"+it.Type+":"+fmt.Sprint(it.Summary["screen"]))
	}
	want := "e3:device_apps:<nil> e2:app_event:offer e6:app_event:offer"
	if strings.Join(got, " ") != want {
		t.Fatalf("journey of C-1: got %v, want %s (SMS are not journey items; C-2's click is not C-1's)", got, want)
	}
}

func TestDeadLettersArePagedForOps(t *testing.T) {
	t.Parallel()
	env := newEventEnv(t)
	var evs []string
	for i := 0; i < 5; i++ {
		evs = append(evs, eventJSON(fmt.Sprintf("bad-%d", i), "sms", "C-1", "2026-11-26T09:00:00Z", `{"body":"no sender"}`))
	}
	evs = append(evs, eventJSON("bad-type", "telepathy", "C-1", "2026-11-26T09:00:00Z", `{}`))
	if rec := do(t, env.h, "POST", "/v1/events", `{"events":[`+strings.Join(evs, ",")+`]}`, bearer("svc")...); rec.Code != 202 {
		t.Fatalf("post: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, env.h, "GET", "/v1/events/dead-letters", "", bearer("svc")...); rec.Code != 403 {
		t.Fatalf("service reading dead letters: got %d, want 403", rec.Code)
	}
	seen := map[string]string{}
	cursor := ""
	for page := 0; page < 10; page++ {
		rec := do(t, env.h, "GET", "/v1/events/dead-letters?limit=4&cursor="+cursor, "", bearer("ops")...)
		if rec.Code != 200 {
			t.Fatalf("page %d: %d %s", page, rec.Code, rec.Body)
		}
		var p struct {
			Items      []consume.DeadLetter `json:"items"`
			NextCursor *string              `json:"next_cursor"`
		}
		json.Unmarshal(rec.Body.Bytes(), &p)
		for _, d := range p.Items {
			if _, dup := seen[d.EventID]; dup {
				t.Fatalf("dead letter %s listed twice", d.EventID)
			}
			seen[d.EventID] = d.Reason
		}
		if p.NextCursor == nil {
			break
		}
		cursor = *p.NextCursor
	}
	if len(seen) != 6 {
		t.Fatalf("listed %d dead letters over the pages, want 6: %v", len(seen), seen)
	}
	if r := seen["bad-type"]; !strings.Contains(r, "unknown type") {
		t.Fatalf("reason for an unknown type: %q, want it to say so", r)
	}
	if rec := do(t, env.h, "GET", "/v1/events/dead-letters?cursor=zzz", "", bearer("ops")...); rec.Code != 400 {
		t.Fatalf("bad cursor: got %d, want 400", rec.Code)
	}
}
