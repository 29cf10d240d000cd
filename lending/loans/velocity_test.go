package loans_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/store"
)

// paymentCount is one CountPayment call.
type paymentCount struct {
	id, customer string
	at           time.Time
}

// TestVelocityFacts: an application's application_created event carries
// the decision's id and time and the input's pan_hash (what its consumer
// needs to count it under the decision's event id); a payment taken is
// counted through CountPayment with the id and time of its
// payment_received event, once: a replay counts nothing.
func TestVelocityFacts(t *testing.T) {
	backends(t, func(t *testing.T, e *env) {
		ctx := context.Background()
		var mu sync.Mutex
		var counted []paymentCount
		cat, err := product.Default()
		if err != nil {
			t.Fatal(err)
		}
		e.svc = loans.New(e.db, cat, e.dec, loans.Options{Now: e.clk.Now, CountPayment: func(_ context.Context, id, customer string, at time.Time) {
			mu.Lock()
			counted = append(counted, paymentCount{id, customer, at})
			mu.Unlock()
		}})
		app, err := e.svc.Apply(ctx, loans.ApplicationRequest{CustomerID: "C-v", ProductID: "personal-loan", Amount: rs("100000"), TenureMonths: 12,
			RequestID: "app-v", Input: map[string]any{"pan_hash": "PAN-v"}})
		if err != nil {
			t.Fatal(err)
		}
		var payload string
		if err := e.db.Reader().QueryRow(`SELECT payload FROM outbox WHERE topic = 'loan.application_created' AND key = $1`, app.Loan.ID).Scan(&payload); err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		if err := json.Unmarshal([]byte(payload), &body); err != nil {
			t.Fatal(err)
		}
		v := e.dec.decided["app-v"]
		if body["decision_id"] != v.DecisionID || body["decided_at"] != v.DecidedAt.Format(time.RFC3339Nano) || body["pan_hash"] != "PAN-v" {
			t.Errorf("application_created data %s; want decision_id %s, decided_at %s and pan_hash PAN-v", payload, v.DecisionID, v.DecidedAt.Format(time.RFC3339Nano))
		}

		l := activeLoan(t, e, "C-v", rs("50000"), 6)
		req := loans.PaymentRequest{Key: "pay-v", Amount: rs("1000")}
		for range 2 { // the second is a replay
			if _, _, err := e.svc.Pay(ctx, l.ID, req); err != nil {
				t.Fatal(err)
			}
		}
		var id string
		var createdAt time.Time
		if err := e.db.Reader().QueryRow(`SELECT id, created_at FROM outbox WHERE topic = 'loan.payment_received' AND key = $1`, l.ID).Scan(&id, store.ScanInstant(&createdAt)); err != nil {
			t.Fatal(err)
		}
		created := createdAt.UnixMicro()
		mu.Lock()
		defer mu.Unlock()
		if len(counted) != 1 || counted[0].id != id || counted[0].customer != "C-v" || counted[0].at.UnixMicro() != created {
			t.Fatalf("payments counted %+v; want one, with the payment_received event's id %s, customer C-v and time %d µs", counted, id, created)
		}
	})
}
