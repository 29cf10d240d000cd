package consume

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nirnay/nirnay/events/apps"
	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/events/sms"
	"github.com/nirnay/nirnay/features"
)

// Aggregator updates windowed aggregates; features.RedisStore and
// features.LocalStore satisfy it. It must skip event ids it has applied.
type Aggregator interface {
	Apply(ctx context.Context, events ...features.Event) error
}

// FeatureWriter stores online feature values; *features.Source satisfies it.
type FeatureWriter interface {
	Write(ctx context.Context, ws ...features.Write) error
}

// Features turns events into features:
//
//   - sms: parsed (events/sms); money-moving kinds become aggregate events
//     sms_<kind> (fields amount in whole rupees, institution), a stated
//     balance an sms_balance event (field balance), all applied once by
//     event id; salary credits, bounces, disbursals and balances are kept as
//     signals and the online features sms_salary_median_3m,
//     sms_emi_bounces_90d, sms_lender_disbursals_30d and sms_avg_balance_3m
//     of each touched customer are recomputed from them and written.
//   - device_apps: categorised (events/apps); the device's
//     lending_apps_installed and betting_apps_installed are written.
//   - application_created → aggregate event loan_application (customer, and
//     pan when data.pan_hash is given), under the id and time the decision
//     service counted it in the decision's request when data carries
//     decision_id and decided_at (see countedAs), so it counts once;
//     payment_received → payment (the lending core counted it in the
//     payment's request under this event's id and time);
//     dpd_changed → online current_dpd (data.customer_dpd, the worst of
//     the customer's loans; data.dpd when absent).
//
// Other types are ignored. Everything it does is idempotent by event id.
type Features struct {
	Agg     Aggregator
	Writer  FeatureWriter
	Signals SignalStore
	Apps    *apps.Mapping // nil: the shipped mapping
	Clock   func() time.Time
}

// Wants reports whether the features consumer reads events of type t.
func (f *Features) Wants(t string) bool {
	return t == ingest.TypeSMS || t == ingest.TypeDeviceApps || t == ingest.TypeApplicationCreated ||
		t == ingest.TypePaymentReceived || t == ingest.TypeDPDChanged
}

// smsEventTypes maps a parsed kind to its aggregate event type.
var smsEventTypes = map[sms.Kind]string{
	sms.SalaryCredit:  "sms_salary_credit",
	sms.EMIDebit:      "sms_emi_debit",
	sms.Bounce:        "sms_bounce",
	sms.LoanDisbursal: "sms_loan_disbursal",
	sms.Credit:        "sms_credit",
	sms.Debit:         "sms_debit",
}

// Handle processes a batch. Events whose data cannot be read are refused.
func (f *Features) Handle(ctx context.Context, events []ingest.Event) ([]Refusal, error) {
	clock := f.Clock
	if clock == nil {
		clock = time.Now
	}
	mapping := f.Apps
	if mapping == nil {
		mapping = apps.Default()
	}
	now := clock()
	var refused []Refusal
	var aggs []features.Event
	var aggSrc []int // index into events of each aggregate event
	var signals []Signal
	var writes []features.Write
	touched := map[string]bool{}
	for i := range events {
		ev := &events[i]
		switch {
		case ev.Type == ingest.TypeSMS:
			d, ok := ingest.DecodeSMS(ev.Data)
			if !ok || d.Body == "" {
				refused = append(refused, Refusal{Event: *ev, Reason: "sms data is not {sender, body}"})
				continue
			}
			r := sms.Parse(d.Sender, d.Body)
			var cust map[string]string // shared by the message's aggregate events
			if r.HasAmount || r.HasBalance {
				cust = map[string]string{"customer": ev.CustomerID}
			}
			if t, ok := smsEventTypes[r.Kind]; ok && r.HasAmount {
				aggs = append(aggs, features.Event{ID: ev.ID, Type: t, At: ev.At, Entities: cust,
					Fields: map[string]any{"amount": int64(r.Amount) / 100, "institution": institution(r.Institution)}})
				aggSrc = append(aggSrc, i)
			}
			if r.HasBalance {
				aggs = append(aggs, features.Event{ID: ev.ID + "#balance", Type: "sms_balance", At: ev.At, Entities: cust,
					Fields: map[string]any{"balance": int64(r.Balance) / 100}})
				aggSrc = append(aggSrc, i)
				signals = append(signals, Signal{CustomerID: ev.CustomerID, EventID: ev.ID, Kind: SignalBalance, At: ev.At, Amount: r.Balance})
			}
			switch r.Kind {
			case sms.SalaryCredit:
				if r.HasAmount {
					signals = append(signals, Signal{CustomerID: ev.CustomerID, EventID: ev.ID, Kind: SignalSalary, At: ev.At, Amount: r.Amount})
				}
			case sms.Bounce:
				signals = append(signals, Signal{CustomerID: ev.CustomerID, EventID: ev.ID, Kind: SignalBounce, At: ev.At, Amount: r.Amount})
			case sms.LoanDisbursal:
				signals = append(signals, Signal{CustomerID: ev.CustomerID, EventID: ev.ID, Kind: SignalDisbursal, At: ev.At, Amount: r.Amount})
			}
			if r.Kind == sms.SalaryCredit || r.Kind == sms.Bounce || r.Kind == sms.LoanDisbursal || r.HasBalance {
				touched[ev.CustomerID] = true
			}
		case ev.Type == ingest.TypeDeviceApps:
			var d ingest.DeviceApps
			if err := json.Unmarshal(ev.Data, &d); err != nil || ev.DeviceID == "" {
				refused = append(refused, Refusal{Event: *ev, Reason: "device_apps needs device_id and data {packages}"})
				continue
			}
			c := mapping.Summarise(d.Packages)
			writes = append(writes, features.Write{Key: features.EntityKey{Entity: "device", ID: ev.DeviceID}, AsOf: ev.At,
				Values: map[string]any{"lending_apps_installed": int64(c.Lending), "betting_apps_installed": int64(c.Betting)}})
		case ev.Type == ingest.TypeApplicationCreated, ev.Type == ingest.TypePaymentReceived:
			var d map[string]any
			if err := json.Unmarshal(ev.Data, &d); err != nil {
				refused = append(refused, Refusal{Event: *ev, Reason: ev.Type + " data is not a JSON object"})
				continue
			}
			ents := map[string]string{"customer": ev.CustomerID}
			typ, id, at := "payment", ev.ID, ev.At
			if ev.Type == ingest.TypeApplicationCreated {
				typ = "loan_application"
				if p, ok := d["pan_hash"].(string); ok && p != "" {
					ents["pan"] = p
				}
				id, at = countedAs(d, typ, id, at)
			}
			aggs = append(aggs, features.Event{ID: id, Type: typ, At: at, Entities: ents, Fields: d})
			aggSrc = append(aggSrc, i)
		case ev.Type == ingest.TypeDPDChanged:
			// The customer's DPD is the worst of their loans (customer_dpd);
			// an event without it carries one loan's dpd.
			var d struct {
				DPD         json.Number `json:"dpd"`
				CustomerDPD json.Number `json:"customer_dpd"`
			}
			n, err := int64(0), json.Unmarshal(ev.Data, &d)
			if err == nil {
				if d.CustomerDPD != "" {
					n, err = d.CustomerDPD.Int64()
				} else {
					n, err = d.DPD.Int64()
				}
			}
			if err != nil || n < 0 {
				refused = append(refused, Refusal{Event: *ev, Reason: "dpd_changed needs data.dpd (or data.customer_dpd), a non-negative integer"})
				continue
			}
			writes = append(writes, features.Write{Key: features.EntityKey{Entity: "customer", ID: ev.CustomerID}, AsOf: ev.At,
				Values: map[string]any{"current_dpd": n}})
		}
	}
	if len(aggs) > 0 {
		if err := f.Agg.Apply(ctx, aggs...); err != nil {
			var bad features.EventErrors
			if !errors.As(err, &bad) {
				return nil, err
			}
			// The others were applied; refuse the source events of the bad ones.
			done := map[int]bool{}
			for k, e := range bad {
				i := aggSrc[k]
				if !done[i] {
					done[i] = true
					refused = append(refused, Refusal{Event: events[i], Reason: "aggregate: " + e.Error()})
				}
			}
		}
	}
	if len(signals) > 0 {
		if err := f.Signals.Add(ctx, signals, now); err != nil {
			return nil, err
		}
	}
	if err := f.write(ctx, writes); err != nil {
		return nil, err
	}
	if len(touched) > 0 {
		custs := make([]string, 0, len(touched))
		for c := range touched {
			custs = append(custs, c)
		}
		sort.Strings(custs)
		if err := f.writeSMSFeatures(ctx, custs, now); err != nil {
			return nil, err
		}
	}
	// An aggregator that saves in the background (the in-process store) is
	// flushed before the batch is acknowledged, so a crash loses no update.
	if fl, ok := f.Agg.(interface{ Flush(context.Context) error }); ok && len(aggs) > 0 {
		if err := fl.Flush(ctx); err != nil {
			return nil, err
		}
	}
	return refused, nil
}

// countedAs is the id and time under which the decision service counted
// an application in its decision's request: the decision's event id
// (features.DecisionEventID) at data.decided_at, when the event carries
// both data.decision_id and data.decided_at; otherwise the event's own id
// and time (events from before the lending core sent decided_at, or from
// other producers).
func countedAs(d map[string]any, typ, id string, at time.Time) (string, time.Time) {
	dec, _ := d["decision_id"].(string)
	s, _ := d["decided_at"].(string)
	if dec == "" || s == "" {
		return id, at
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return id, at
	}
	return features.DecisionEventID(dec, typ), t
}

// maxRecomputes bounds how often one batch recomputes a customer whose
// signals keep changing under it (another consumer adding at once).
const maxRecomputes = 5

// writeSMSFeatures computes and writes the online SMS features of custs
// from their signals, again for any customer whose signals another
// consumer changed meanwhile (see SignalStore).
func (f *Features) writeSMSFeatures(ctx context.Context, custs []string, now time.Time) error {
	for round := 0; len(custs) > 0; round++ {
		if round == maxRecomputes {
			return fmt.Errorf("sms features of %d customers kept changing during %d recomputations", len(custs), maxRecomputes)
		}
		got, seen, err := f.Signals.Since(ctx, custs, now.Add(-90*24*time.Hour))
		if err != nil {
			return err
		}
		ws := make([]features.Write, len(custs))
		for i, c := range custs {
			ws[i] = features.Write{Key: features.EntityKey{Entity: "customer", ID: c}, AsOf: now, Values: SMSFeatures(got[c], now)}
		}
		if err := f.write(ctx, ws); err != nil {
			return err
		}
		cur, err := f.Signals.Versions(ctx, custs)
		if err != nil {
			return err
		}
		var again []string
		for _, c := range custs {
			if cur[c] != seen[c] {
				again = append(again, c)
			}
		}
		custs = again
	}
	return nil
}

func (f *Features) write(ctx context.Context, ws []features.Write) error {
	for i := range ws {
		ws[i].By = "events"
	}
	for len(ws) > 0 {
		n := min(len(ws), features.MaxBatchWrites)
		if err := f.Writer.Write(ctx, ws[:n]...); err != nil {
			return err
		}
		ws = ws[n:]
	}
	return nil
}

// institution is the distinct-member value of a sender: its stable name, or
// "unknown".
func institution(s string) string {
	if s == "" {
		return "unknown"
	}
	return strings.ToLower(s)
}
