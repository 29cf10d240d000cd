package consume

import (
	"context"
	"encoding/json"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/features"
	"github.com/nirnay/nirnay/rules"
)

// featureRecorder is an Aggregator and FeatureWriter that keeps what it is given.
type featureRecorder struct {
	events []features.Event
	writes []features.Write
}

func (r *featureRecorder) Apply(_ context.Context, es ...features.Event) error {
	r.events = append(r.events, es...)
	return nil
}

func (r *featureRecorder) Write(_ context.Context, ws ...features.Write) error {
	r.writes = append(r.writes, ws...)
	return nil
}

func TestShippedEventTableMatchesShippedCatalog(t *testing.T) {
	t.Parallel()
	db := testDB(t, filepath.Join(t.TempDir(), "db"))
	defer db.Close()
	rec := &featureRecorder{}
	if _, err := NewFeatures(catalog(t), rec, rec, NewSQLSignals(db)); err != nil {
		t.Fatalf("NewFeatures with the shipped catalog: %v", err)
	}
}

// TestEventTableCheckedAgainstCatalog: a table naming a feature the
// catalog lacks, or has with another source, entity or type, is refused
// with an error naming the event and the feature.
func TestEventTableCheckedAgainstCatalog(t *testing.T) {
	t.Parallel()
	cat := catalog(t)
	for _, tc := range []struct {
		typ    string
		row    eventHandler
		errMsg string
	}{
		{ingest.TypeDPDChanged, eventHandler{handle: (*batch).dpdChanged, entity: "customer", writes: []string{"current_dpdd"}},
			"features consumer: event dpd_changed writes feature current_dpdd, which is not in the feature catalog features.yaml"},
		{ingest.TypeDeviceApps, eventHandler{handle: (*batch).deviceApps, entity: "device", writes: []string{"lending_apps_installed", "current_dpd"}},
			"features consumer: event device_apps writes feature current_dpd, which is a feature of entity customer, not device"},
		{ingest.TypeSMS, eventHandler{handle: (*batch).sms, entity: "customer", writes: []string{"sms_salary_credits_90d"}},
			"features consumer: event sms writes feature sms_salary_credits_90d, which has source aggregate, not online"},
		{ingest.TypeDPDChanged, eventHandler{handle: (*batch).dpdChanged, entity: "customer", writes: []string{"pincode"}},
			"features consumer: event dpd_changed writes feature pincode, which is a string, not an int"},
	} {
		table := maps.Clone(eventHandlers)
		table[tc.typ] = tc.row
		err := checkHandlers(table, cat)
		if err == nil || err.Error() != tc.errMsg {
			t.Errorf("table with %s writing %v: error %v, want %q", tc.typ, tc.row.writes, err, tc.errMsg)
		}
	}
}

// TestNewFeaturesRefusesCatalogWithoutItsFeatures: NewFeatures fails on
// a catalog lacking what the shipped table writes, and reports every
// problem.
func TestNewFeaturesRefusesCatalogWithoutItsFeatures(t *testing.T) {
	t.Parallel()
	db := testDB(t, filepath.Join(t.TempDir(), "db"))
	defer db.Close()
	var fs []rules.Feature
	for _, f := range catalog(t).Features {
		switch f.Name {
		case "lending_apps_installed":
			continue
		case "current_dpd":
			f.Type = rules.TypeDouble
		}
		if f.Source == rules.SourceOnline {
			fs = append(fs, rules.Feature{Name: f.Name, Type: f.Type, Entity: f.Entity, Source: f.Source})
		}
	}
	cat, err := rules.NewCatalog(fs)
	if err != nil {
		t.Fatal(err)
	}
	rec := &featureRecorder{}
	_, err = NewFeatures(cat, rec, rec, NewSQLSignals(db))
	want := "features consumer: event device_apps writes feature lending_apps_installed, which is not in the feature catalog <catalog>\n" +
		"features consumer: event dpd_changed writes feature current_dpd, which is a double, not an int"
	if err == nil || err.Error() != want {
		t.Fatalf("NewFeatures: error %v, want %q", err, want)
	}
}

// TestEventHandlersWriteWhatTheyDeclare runs each handler of the table on
// a sample event and compares the online features written with the ones
// its row declares (and checkHandlers checks against the catalog).
func TestEventHandlersWriteWhatTheyDeclare(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testDB(t, filepath.Join(t.TempDir(), "db"))
	defer db.Close()
	at := testNow.Add(-time.Hour)
	samples := map[string]string{
		ingest.TypeSMS:                `{"sender":"VM-HDFCBK","body":"Update! INR 88,315.95 deposited in HDFC Bank A/c XX9262 on 07-JUN-26 for NEFT Cr-HDFC0004321-GLOBEX INDIA PVT LTD-SALARY JUN 2026.Avl bal INR 31,214.93."}`,
		ingest.TypeDeviceApps:         `{"packages":["com.kreditbee.android","com.dream11.app"]}`,
		ingest.TypeApplicationCreated: `{"application_id":"app_1","pan_hash":"p-1"}`,
		ingest.TypePaymentReceived:    `{"loan_id":"loan_1","amount":"5000.00"}`,
		ingest.TypeDPDChanged:         `{"loan_id":"loan_1","dpd":3,"customer_dpd":12}`,
	}
	for _, typ := range slices.Sorted(maps.Keys(eventHandlers)) {
		data, ok := samples[typ]
		if !ok {
			t.Errorf("no sample event of type %s", typ)
			continue
		}
		rec := &featureRecorder{}
		f := &Features{Agg: rec, Writer: rec, Signals: NewSQLSignals(db), Clock: clock}
		ev := ingest.Event{ID: "e-" + typ, Type: typ, CustomerID: "C-" + typ, DeviceID: "d-1", At: at, Data: json.RawMessage(data)}
		refused, err := f.Handle(ctx, []ingest.Event{ev})
		if err != nil || len(refused) != 0 {
			t.Fatalf("%s %s: refused %v, error %v", typ, data, refused, err)
		}
		h := eventHandlers[typ]
		var wrote []string
		for _, w := range rec.writes {
			for name, v := range w.Values {
				wrote = append(wrote, name)
				if w.Key.Entity != h.entity {
					t.Errorf("%s wrote %s for entity %s, want %s", typ, name, w.Key.Entity, h.entity)
				}
				if _, ok := v.(int64); !ok {
					t.Errorf("%s wrote %s = %v (%T), want an int64", typ, name, v, v)
				}
			}
		}
		slices.Sort(wrote)
		if declared := slices.Sorted(slices.Values(h.writes)); !slices.Equal(wrote, declared) {
			t.Errorf("%s wrote features [%s], declares [%s]", typ, strings.Join(wrote, " "), strings.Join(declared, " "))
		}
	}
}
