package comms_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/comms"
	"github.com/nirnay/nirnay/comms/links"
	"github.com/nirnay/nirnay/comms/quiet"
	"github.com/nirnay/nirnay/comms/templates"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/policies"
	"github.com/nirnay/nirnay/store"
)

// profiles are the test's customers (a narrow stand-in for the features).
type profiles map[string]comms.Customer

func (p profiles) Profile(_ context.Context, id string) (comms.Customer, error) { return p[id], nil }

var people = profiles{
	"C-en":  {},
	"C-hi":  {Language: "hi"},
	"C-out": {OptedOut: true},
	"C-dnd": {DND: true},
}

type env struct {
	svc    *comms.Service
	clk    *testenv.Clock
	outbox string
}

func newEnv(t testing.TB, db *store.DB, dir string, at time.Time) *env {
	t.Helper()
	clk := testenv.NewClock(at, time.Millisecond)
	tmpl, err := templates.Load(policies.FS, templates.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	lk, err := links.New(links.Config{DB: db, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	sb, err := comms.NewSandbox(dir)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := comms.New(comms.Config{DB: db, Templates: tmpl, Profiles: people, Links: lk, Provider: sb, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &env{svc: svc, clk: clk, outbox: filepath.Join(dir, comms.SandboxOutbox)}
}

// lines is the sandbox outbox, one decoded line each.
func (e *env) lines(t *testing.T) []map[string]string {
	t.Helper()
	f, err := os.Open(e.outbox)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []map[string]string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var m map[string]string
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("outbox line %q: %v", sc.Text(), err)
		}
		out = append(out, m)
	}
	return out
}

var due = map[string]string{"amount_due": "4,512.00", "due_date": "05-01-2027", "eligible_amount": "1,50,000", "annual_rate": "18.5"}

func TestSendRenderSuppressDeferAndDispatch(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		night := time.Date(2026, 12, 4, 22, 0, 0, 0, quiet.India) // 22:00 in India
		e := newEnv(t, db, t.TempDir(), night.UTC())
		send := func(cust, tmpl, req string) *comms.Message {
			t.Helper()
			m, err := e.svc.Send(ctx, comms.Request{CustomerID: cust, Template: tmpl, Vars: due, RequestID: req})
			if err != nil {
				t.Fatalf("%s %s: %v", cust, tmpl, err)
			}
			return m
		}
		reminder := send("C-en", "payment-reminder", "r-1")
		hindi := send("C-hi", "payment-reminder", "r-2")
		promo := send("C-en", "offer-promo", "r-3")
		out := send("C-out", "payment-reminder", "r-4")
		outTxn := send("C-out", "loan-disbursed", "")
		dnd := send("C-dnd", "offer-promo", "")
		for _, c := range []struct {
			m      *comms.Message
			status comms.Status
			reason string
		}{
			{reminder, comms.Queued, ""}, {hindi, comms.Queued, ""}, {promo, comms.Deferred, ""},
			{out, comms.Suppressed, "opted_out"}, {dnd, comms.Suppressed, "dnd_registered"},
			{outTxn, comms.Failed, templates.ReasonMissingVar}, // loan-disbursed needs amount, loan id and KFS link
		} {
			if c.m.Status != c.status || c.m.Reason != c.reason {
				t.Errorf("%s %s: %s %q, want %s %q", c.m.CustomerID, c.m.Template, c.m.Status, c.m.Reason, c.status, c.reason)
			}
		}
		if hindi.Language != "hi" || !strings.Contains(hindi.Text, "देय") || reminder.Language != "en" || !strings.Contains(reminder.Text, "https://nirnay.in/l/") {
			t.Errorf("rendered: %+v / %+v", reminder, hindi)
		}
		if want := time.Date(2026, 12, 5, 9, 0, 0, 0, quiet.India); !promo.SendAt.Equal(want) {
			t.Errorf("the promotion at 22:00 goes at %s, want 09:00 the next day", promo.SendAt.In(quiet.India))
		}
		// A repeated request id is the same message.
		if again := send("C-en", "payment-reminder", "r-1"); again.ID != reminder.ID {
			t.Errorf("request r-1 again made %s, want %s", again.ID, reminder.ID)
		}
		if _, err := e.svc.Send(ctx, comms.Request{CustomerID: "C-en", Template: "no-such"}); !nirnay.IsKind(err, nirnay.KindUnprocessable) {
			t.Errorf("an unknown template: %v, want unprocessable", err)
		}

		if n, err := e.svc.Dispatch(ctx); err != nil || n != 2 {
			t.Fatalf("dispatch at 22:00: %d sent %v, want the two reminders", n, err)
		}
		e.clk.Set(time.Date(2026, 12, 5, 9, 0, 1, 0, quiet.India).UTC())
		if n, err := e.svc.Dispatch(ctx); err != nil || n != 1 {
			t.Fatalf("dispatch at 09:00: %d sent %v, want the promotion", n, err)
		}
		lines := e.lines(t)
		if len(lines) != 3 || lines[2]["message_id"] != promo.ID || lines[1]["language"] != "hi" {
			t.Errorf("outbox %v", lines)
		}
		list, err := e.svc.List(ctx, "C-en", time.Time{}, time.Time{}, 10)
		if err != nil || len(list) != 2 || list[0].Status != comms.Sent || list[0].SentAt == nil {
			t.Errorf("C-en's messages: %+v %v", list, err)
		}
	})
}

// TestTwoDispatchersSendEachMessageOnce: two instances dispatching the
// same queue at once hand each message to the provider once.
func TestTwoDispatchersSendEachMessageOnce(t *testing.T) {
	testenv.ParallelBackends(t, func(t *testing.T, b testenv.Backend, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		noon := time.Date(2026, 12, 4, 12, 0, 0, 0, quiet.India).UTC()
		a := newEnv(t, db, dir, noon)
		other := db
		if b.URL != "" {
			other = testenv.Backend{URL: b.URL}.Open(t) // a pool of its own, as another process has
		}
		c := newEnv(t, other, dir, noon)
		const n = 60
		for i := range n {
			if _, err := a.svc.Send(ctx, comms.Request{CustomerID: fmt.Sprintf("C-%d", i), Template: "payment-reminder", Vars: due}); err != nil {
				t.Fatal(err)
			}
		}
		var wg sync.WaitGroup
		var sent [2]int
		for i, e := range []*env{a, c} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := e.svc.Dispatch(ctx)
				if err != nil {
					t.Error(err)
				}
				sent[i] = n
			}()
		}
		wg.Wait()
		ids := map[string]int{}
		for _, l := range a.lines(t) {
			ids[l["message_id"]]++
		}
		if sent[0]+sent[1] != n || len(ids) != n {
			t.Errorf("sent %v, %d distinct messages in the outbox, want %d in all", sent, len(ids), n)
		}
		for id, k := range ids {
			if k != 1 {
				t.Errorf("%s handed off %d times", id, k)
			}
		}
	})
}

// TestCampaignSnapshotsEachRecipientOnce: a promotional campaign created
// at night to 40 ids (one repeated, one customer opted out) makes one
// message per distinct recipient, deferred to 09:00; the counts follow
// the dispatch and a click.
func TestCampaignSnapshotsEachRecipientOnce(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		night := time.Date(2026, 12, 4, 23, 0, 0, 0, quiet.India).UTC()
		e := newEnv(t, db, t.TempDir(), night)
		var ids []string
		for i := range 38 {
			ids = append(ids, fmt.Sprintf("C-%02d", i))
		}
		ids = append(ids, "C-00", "C-out")
		c, err := e.svc.CreateCampaign(ctx, comms.CampaignRequest{Template: "offer-promo", Audience: comms.Audience{CustomerIDs: ids}, Vars: due}, "key_analyst")
		if err != nil {
			t.Fatal(err)
		}
		if c.Recipients != 39 || c.Counts["deferred"] != 38 || c.Counts["suppressed"] != 1 || c.Status != "running" {
			t.Fatalf("campaign %+v: want 39 recipients, 38 deferred, 1 suppressed", c)
		}
		if n, _ := e.svc.Dispatch(ctx); n != 0 {
			t.Errorf("%d sent at 23:00, want none (promotional)", n)
		}
		e.clk.Set(time.Date(2026, 12, 5, 9, 0, 1, 0, quiet.India).UTC())
		if n, err := e.svc.Dispatch(ctx); err != nil || n != 38 {
			t.Fatalf("dispatch at 09:00: %d %v, want 38", n, err)
		}
		if n, _ := e.svc.Dispatch(ctx); n != 0 {
			t.Errorf("a second dispatch sent %d more", n)
		}
		lines := e.lines(t)
		if len(lines) != 38 || lines[0]["campaign_id"] != c.ID {
			t.Errorf("outbox: %d lines (first %v), want 38 of %s", len(lines), lines[0], c.ID)
		}
		c, _ = e.svc.Campaign(ctx, c.ID)
		if c.Status != "done" || c.Counts["sent"] != 38 || c.Counts["clicked"] != 0 {
			t.Errorf("after dispatch: %+v", c)
		}
		for _, bad := range []comms.CampaignRequest{
			{Template: "no-such", Audience: comms.Audience{CustomerIDs: ids}},
			{Template: "offer-promo", Audience: comms.Audience{Segment: "f.age > 30"}},
			{Template: "offer-promo"},
		} {
			if _, err := e.svc.CreateCampaign(ctx, bad, "key_analyst"); err == nil {
				t.Errorf("campaign %+v created, want refused", bad)
			}
		}
	})
}

func TestNotificationsAreChecked(t *testing.T) {
	tmpl, err := templates.Load(policies.FS, templates.Dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	data, err := fs.ReadFile(policies.FS, comms.NotificationsFile)
	if err != nil {
		t.Fatal(err)
	}
	if ns, err := comms.ParseNotifications(comms.NotificationsFile, data, tmpl); err != nil || len(ns) == 0 {
		t.Fatalf("the shipped notifications: %v %v", ns, err)
	}
	for _, c := range []struct{ doc, want string }{
		{"notifications:\n  - {event: loan_paid, template: loan-disbursed}\n", `event "loan_paid" is not an event type`},
		{"notifications:\n  - {event: loan_disbursed, template: nope}\n", `no template "nope"`},
		{"notifications:\n  - {event: loan_disbursed, template: loan-disbursed, vars: {amount: x}}\n", "needs vars.loan_id"},
		{"notifications:\n  - {event: loan_disbursed, template: loan-disbursed, vars: {amount: x, loan_id: y, colour: z}}\n", "vars.colour is not a variable"},
		{"notifications:\n  - {event: loan_disbursed, template: loan-disbursed, when: always}\n", "field when not found"},
	} {
		if _, err := comms.ParseNotifications("n.yaml", []byte(c.doc), tmpl); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.doc, err, c.want)
		}
	}
}

func TestDailyCaps(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		noon := time.Date(2026, 12, 4, 12, 0, 0, 0, quiet.India).UTC()
		e := newEnv(t, db, t.TempDir(), noon)
		send := func(tmpl string) *comms.Message {
			t.Helper()
			m, err := e.svc.Send(ctx, comms.Request{CustomerID: "C-cap", Template: tmpl, Vars: map[string]string{"eligible_amount": "1", "annual_rate": "2",
				"amount_due": "3", "due_date": "4", "loan_id": "ln_1", "amount": "5"}})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		if m := send("offer-promo"); m.Status != comms.Queued {
			t.Fatalf("the day's first promotion: %s %s", m.Status, m.Reason)
		}
		if m := send("offer-promo"); m.Status != comms.Suppressed || m.Reason != "frequency_cap" {
			t.Errorf("the day's second promotion: %s %q, want suppressed frequency_cap", m.Status, m.Reason)
		}
		for range 3 {
			if m := send("loan-disbursed"); m.Status != comms.Queued {
				t.Errorf("a transactional message: %s %q, want queued (never capped)", m.Status, m.Reason)
			}
		}
		for i := range 6 {
			m := send("payment-reminder")
			if want := map[bool]comms.Status{true: comms.Queued, false: comms.Suppressed}[i < 5]; m.Status != want {
				t.Errorf("service message %d of the day: %s, want %s (cap 5)", i+1, m.Status, want)
			}
		}
		e.clk.Set(time.Date(2026, 12, 5, 12, 0, 0, 0, quiet.India).UTC())
		if m := send("offer-promo"); m.Status != comms.Queued {
			t.Errorf("the next day's promotion: %s %q, want queued", m.Status, m.Reason)
		}
	})
}
