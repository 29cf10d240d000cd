package consume

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/nirnay/nirnay/events/apps"
	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/events/sms"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/rules"
)

// eventHandler is one row of the event table: what the features consumer
// makes of one event type.
type eventHandler struct {
	// handle adds what ev, the batch's i-th event, becomes to b, or
	// returns why ev is refused (then it adds nothing).
	handle func(b *batch, i int, ev *ingest.Event) (refused string)
	// entity and writes are the online features the handler may write
	// (sms: those recomputed from its signals after the batch).
	entity string
	writes []string
}

// eventHandlers is the features consumer's event table.
var eventHandlers = map[string]eventHandler{
	ingest.TypeSMS: {handle: (*batch).sms, entity: "customer",
		writes: []string{"sms_salary_median_3m", "sms_emi_bounces_90d", "sms_lender_disbursals_30d", "sms_avg_balance_3m"}},
	ingest.TypeDeviceApps: {handle: (*batch).deviceApps, entity: "device",
		writes: []string{"lending_apps_installed", "betting_apps_installed"}},
	ingest.TypeApplicationCreated: {handle: (*batch).lendingEvent},
	ingest.TypePaymentReceived:    {handle: (*batch).lendingEvent},
	ingest.TypeDPDChanged:         {handle: (*batch).dpdChanged, entity: "customer", writes: []string{"current_dpd"}},
}

// checkHandlers checks the features a table writes against cat (see
// NewFeatures), reporting every failure.
func checkHandlers(table map[string]eventHandler, cat *rules.Catalog) error {
	var errs []error
	for _, typ := range slices.Sorted(maps.Keys(table)) {
		h := table[typ]
		for _, name := range h.writes {
			f, ok := cat.Lookup(name)
			var problem string
			switch {
			case !ok:
				problem = "is not in the feature catalog " + cat.File
			case f.Source != rules.SourceOnline:
				problem = "has source " + f.Source + ", not online"
			case f.Entity != h.entity:
				problem = "is a feature of entity " + f.Entity + ", not " + h.entity
			case f.Type != rules.TypeInt:
				problem = "is a " + string(f.Type) + ", not an int"
			}
			if problem != "" {
				errs = append(errs, fmt.Errorf("features consumer: event %s writes feature %s, which %s", typ, name, problem))
			}
		}
	}
	return errors.Join(errs...)
}

// batch is what the events of one Handle call become.
type batch struct {
	apps    *apps.Mapping
	aggs    []features.Event
	aggSrc  []int // index into the events of each aggregate event
	signals []Signal
	writes  []features.Write
	touched map[string]bool // customers whose SMS features are recomputed
}

func (b *batch) aggregate(i int, e features.Event) {
	b.aggs = append(b.aggs, e)
	b.aggSrc = append(b.aggSrc, i)
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

// sms parses the message (events/sms): a money-moving kind becomes the
// aggregate event sms_<kind> (fields amount in whole rupees, institution),
// a stated balance an sms_balance event (field balance); salary credits,
// bounces, disbursals and balances are kept as signals, from which the
// customer's online SMS features are recomputed after the batch.
func (b *batch) sms(i int, ev *ingest.Event) string {
	d, ok := ingest.DecodeSMS(ev.Data)
	if !ok || d.Body == "" {
		return "sms data is not {sender, body}"
	}
	r := sms.Parse(d.Sender, d.Body)
	var cust map[string]string // shared by the message's aggregate events
	if r.HasAmount || r.HasBalance {
		cust = map[string]string{"customer": ev.CustomerID}
	}
	if t, ok := smsEventTypes[r.Kind]; ok && r.HasAmount {
		b.aggregate(i, features.Event{ID: ev.ID, Type: t, At: ev.At, Entities: cust,
			Fields: map[string]any{"amount": int64(r.Amount) / 100, "institution": institution(r.Institution)}})
	}
	signal := func(kind string, amount money.Paise) {
		b.signals = append(b.signals, Signal{CustomerID: ev.CustomerID, EventID: ev.ID, Kind: kind, At: ev.At, Amount: amount})
	}
	if r.HasBalance {
		b.aggregate(i, features.Event{ID: ev.ID + "#balance", Type: "sms_balance", At: ev.At, Entities: cust,
			Fields: map[string]any{"balance": int64(r.Balance) / 100}})
		signal(SignalBalance, r.Balance)
	}
	switch {
	case r.Kind == sms.SalaryCredit && r.HasAmount:
		signal(SignalSalary, r.Amount)
	case r.Kind == sms.Bounce:
		signal(SignalBounce, r.Amount)
	case r.Kind == sms.LoanDisbursal:
		signal(SignalDisbursal, r.Amount)
	}
	if r.Kind == sms.SalaryCredit || r.Kind == sms.Bounce || r.Kind == sms.LoanDisbursal || r.HasBalance {
		b.touched[ev.CustomerID] = true
	}
	return ""
}

// deviceApps categorises the installed packages (events/apps) and writes
// the device's lending_apps_installed and betting_apps_installed.
func (b *batch) deviceApps(_ int, ev *ingest.Event) string {
	var d ingest.DeviceApps
	if err := json.Unmarshal(ev.Data, &d); err != nil || ev.DeviceID == "" {
		return "device_apps needs device_id and data {packages}"
	}
	c := b.apps.Summarise(d.Packages)
	b.writes = append(b.writes, features.Write{Key: features.EntityKey{Entity: "device", ID: ev.DeviceID}, AsOf: ev.At,
		Values: map[string]any{"lending_apps_installed": int64(c.Lending), "betting_apps_installed": int64(c.Betting)}})
	return ""
}

// lendingEvent makes application_created the aggregate event
// loan_application (customer, and pan when data.pan_hash is given), under
// the id and time the decision service counted it in the decision's
// request when data carries decision_id and decided_at (see countedAs), so
// it counts once; and payment_received the aggregate event payment (the
// lending core counted it in the payment's request under this event's id
// and time). The event's data are the aggregate event's fields.
func (b *batch) lendingEvent(i int, ev *ingest.Event) string {
	var d map[string]any
	if err := json.Unmarshal(ev.Data, &d); err != nil {
		return ev.Type + " data is not a JSON object"
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
	b.aggregate(i, features.Event{ID: id, Type: typ, At: at, Entities: ents, Fields: d})
	return ""
}

// dpdChanged writes the customer's current_dpd: data.customer_dpd, the
// worst of the customer's loans; data.dpd, one loan's, when it is absent.
func (b *batch) dpdChanged(_ int, ev *ingest.Event) string {
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
		return "dpd_changed needs data.dpd (or data.customer_dpd), a non-negative integer"
	}
	b.writes = append(b.writes, features.Write{Key: features.EntityKey{Entity: "customer", ID: ev.CustomerID}, AsOf: ev.At,
		Values: map[string]any{"current_dpd": n}})
	return ""
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

// institution is the distinct-member value of a sender: its stable name, or
// "unknown".
func institution(s string) string {
	if s == "" {
		return "unknown"
	}
	return strings.ToLower(s)
}
