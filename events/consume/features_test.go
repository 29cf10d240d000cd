package consume

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/features"
)

// TestFeaturesFromAppsAndLendingEvents checks the non-SMS paths of the
// features consumer: installed apps → device features, lending events →
// aggregates and current_dpd, and the refusal of unreadable data.
func TestFeaturesFromAppsAndLendingEvents(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cat := catalog(t)
	fe, f := localPipeline(t)
	at := testNow.Add(-time.Hour)
	ev := func(id, typ, data string) ingest.Event {
		return ingest.Event{ID: id, Type: typ, CustomerID: "C-0", DeviceID: "d-1", At: at, Data: json.RawMessage(data)}
	}
	batch := []ingest.Event{
		ev("a1", "device_apps", `{"packages":["com.kreditbee.android","com.naviapp","com.dream11.app","com.whatsapp"]}`),
		ev("l1", "application_created", `{"application_id":"app_1","pan_hash":"p-1"}`),
		ev("l2", "application_created", `{"application_id":"app_2","pan_hash":"p-1"}`),
		ev("l3", "payment_received", `{"loan_id":"loan_1","amount":"5000.00"}`),
		// loan_1 is current again; another loan of C-0 is 12 days past due
		ev("l4", "dpd_changed", `{"loan_id":"loan_1","dpd":0,"customer_dpd":12}`),
		ev("bad", "dpd_changed", `{"loan_id":"loan_1","dpd":"twelve"}`),
	}
	refused, err := f.Handle(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	if len(refused) != 1 || refused[0].Event.ID != "bad" {
		t.Fatalf("refused %+v, want only event bad", refused)
	}
	// Applying the batch again (a redelivery) changes nothing.
	if _, err := f.Handle(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got := fe.snapshot(t, cat, 1)["C-0"]
	for name, want := range map[string]int64{"loan_applications_7d": 2, "payments_7d": 1, "current_dpd": 12} {
		if v, _ := got[name].(int64); v != want {
			t.Errorf("C-0 %s = %v, want %d (features %v)", name, got[name], want, got)
		}
	}
	es, err := fe.store.Read(ctx, []features.EntityKey{{Entity: "device", ID: "d-1"}, {Entity: "pan", ID: "p-1"}}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	dev := map[string]any{}
	for _, e := range es[0] {
		dev[cat.Features[e.Slot].Name] = e.Val.Value()
	}
	if dev["lending_apps_installed"] != int64(2) || dev["betting_apps_installed"] != int64(1) {
		t.Errorf("device d-1: %v, want 2 lending apps and 1 betting app", dev)
	}
	pan := map[string]any{}
	for _, e := range es[1] {
		pan[cat.Features[e.Slot].Name] = e.Val.Value()
	}
	if pan["pan_applications_30d"] != int64(2) {
		t.Errorf("pan p-1: %v, want pan_applications_30d 2", pan)
	}
}

func TestSMSFeatures(t *testing.T) {
	t.Parallel()
	day := 24 * time.Hour
	ss := []Signal{
		{Kind: SignalSalary, At: testNow.Add(-10 * day), Amount: 5000000},
		{Kind: SignalSalary, At: testNow.Add(-40 * day), Amount: 4800000},
		{Kind: SignalSalary, At: testNow.Add(-70 * day), Amount: 9000000},
		{Kind: SignalSalary, At: testNow.Add(-95 * day), Amount: 100}, // outside 90 days
		{Kind: SignalBounce, At: testNow.Add(-80 * day)},
		{Kind: SignalDisbursal, At: testNow.Add(-20 * day)},
		{Kind: SignalDisbursal, At: testNow.Add(-31 * day)}, // outside 30 days
		{Kind: SignalBalance, At: testNow.Add(-1 * day), Amount: 100050},
		{Kind: SignalBalance, At: testNow.Add(-2 * day), Amount: 300050},
	}
	got := SMSFeatures(ss, testNow)
	want := map[string]any{"sms_salary_median_3m": int64(50000), "sms_emi_bounces_90d": int64(1), "sms_lender_disbursals_30d": int64(1), "sms_avg_balance_3m": int64(2000)}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

// TestApplicationCountedInItsDecisionCountsOnce: an application the
// decision service counted in its decision's request (under the
// decision's event id, at its time) is not counted again by its
// application_created event, which carries decision_id and decided_at; an
// event without decided_at (from before the lending core sent it) is
// counted under its own id.
func TestApplicationCountedInItsDecisionCountsOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cat := catalog(t)
	fe, f := localPipeline(t)
	decided := testNow.Add(-time.Hour).Add(123456789 * time.Nanosecond)
	if err := fe.store.Apply(ctx, features.Event{ID: features.DecisionEventID("dec_1", "loan_application"), Type: "loan_application", At: decided,
		Entities: map[string]string{"customer": "C-0", "pan": "p-1"}}); err != nil {
		t.Fatal(err)
	}
	created := decided.Add(3 * time.Millisecond) // the outbox row is written after the decision
	batch := []ingest.Event{
		{ID: "obx_1", Type: "application_created", CustomerID: "C-0", At: created,
			Data: json.RawMessage(`{"decision_id":"dec_1","decided_at":"` + decided.Format(time.RFC3339Nano) + `","pan_hash":"p-1"}`)},
		{ID: "obx_2", Type: "application_created", CustomerID: "C-0", At: created, Data: json.RawMessage(`{"decision_id":"dec_0","pan_hash":"p-1"}`)},
	}
	if _, err := f.Handle(ctx, batch); err != nil {
		t.Fatal(err)
	}
	got := fe.snapshot(t, cat, 1)["C-0"]
	if v, _ := got["loan_applications_7d"].(int64); v != 2 {
		t.Errorf("C-0 loan_applications_7d = %v, want 2 (dec_1 once, obx_2 by its own id)", got["loan_applications_7d"])
	}
}
