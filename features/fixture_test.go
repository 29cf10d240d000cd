package features

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/rules"
)

// fpT0 is the start of every test clock of the feature platform tests.
var fpT0 = time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)

const fpCatalog = `features:
  - {name: bureau_score, type: int, max_age: 720h}
  - {name: monthly_income, type: int}
  - {name: total_emi, type: int, default: 0}
  - {name: emi_to_income, type: double, source: derived, expr: "total_emi / monthly_income"}
  - {name: amount, type: int, source: request}
  - {name: city, type: string}
  - {name: apps, type: list<string>}
  - {name: kyc_at, type: timestamp}
  - {name: salaried, type: bool}
  - {name: ratio, type: double}
  - {name: fresh_flag, type: bool, max_age: 1h}
  - {name: device_rooted, type: bool, entity: device}
  - {name: customers_per_device, type: int, entity: device, source: aggregate, default: 0, aggregate: {event: device_seen, fn: distinct, field: customer_id, window: 2160h, entity: device}}
  - {name: devices_per_customer, type: int, source: aggregate, aggregate: {event: device_seen, fn: distinct, field: device_id, window: 2160h, entity: customer}}
  - {name: pan_status, type: string, entity: pan}
  - {name: customers_per_pan, type: int, entity: pan, source: aggregate, aggregate: {event: pan_submitted, fn: distinct, field: customer_id, window: 2160h, entity: pan}}
  - {name: phone_age_days, type: int, entity: phone}
  - {name: account_mule, type: bool, entity: bank_account}
  - {name: customers_per_bank_account, type: int, entity: bank_account, source: aggregate, aggregate: {event: account_added, fn: distinct, field: customer_id, window: 2160h, entity: bank_account}}
  - {name: apps_1h, type: int, source: aggregate, aggregate: {event: loan_application, fn: count, window: 1h}}
  - {name: emi_sum_30d, type: int, source: aggregate, aggregate: {event: emi_debit, fn: sum, field: amount, window: 720h}}
  - {name: max_credit_7d, type: int, source: aggregate, aggregate: {event: credit, fn: max, field: amount, window: 168h}}
  - {name: min_balance_24h, type: double, source: aggregate, aggregate: {event: balance, fn: min, field: balance, window: 24h}}
`

func fpBuilder(t testing.TB) *Builder {
	t.Helper()
	return mustBuilder(t, fpCatalog)
}

// mustBuilder builds the catalog in yaml.
func mustBuilder(t testing.TB, yaml string) *Builder {
	t.Helper()
	return newBuilder(t, mustCatalog(t, yaml))
}

// newBuilder is NewBuilder(cat), failing the test on an error.
func newBuilder(t testing.TB, cat *rules.Catalog) *Builder {
	t.Helper()
	b, err := NewBuilder(cat)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newFakeClock is an injected clock at fpT0 that tests move by hand.
func newFakeClock() *testenv.Clock { return testenv.NewClock(fpT0, 0) }

func fpLocal(t testing.TB, b *Builder, clock func() time.Time) *LocalStore {
	t.Helper()
	s, err := NewLocalStore(context.Background(), testenv.SQLiteAt(t, t.TempDir()), b.Catalog(), clock)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close(context.Background()) })
	return s
}

// fpValue is the value of feature name in v as of at (nil, false when missing).
func fpValue(t testing.TB, v *Vector, name string, at time.Time) (any, bool) {
	t.Helper()
	f, ok := v.Catalog().Lookup(name)
	if !ok {
		t.Fatalf("no feature %s in the catalog", name)
	}
	val, ok := v.Lookup(f.Slot, at.UnixNano())
	if !ok {
		return nil, false
	}
	return val.Value(), true
}

// fpEntries turns a store's entries into name → value.
func fpEntries(cat *rules.Catalog, entries []Entry) map[string]any {
	out := map[string]any{}
	for _, e := range entries {
		out[cat.Features[e.Slot].Name] = e.Val.Value()
	}
	return out
}

func mustCatalog(t testing.TB, yaml string) *rules.Catalog {
	t.Helper()
	cat, err := rules.ParseCatalog("features.yaml", []byte(yaml))
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

var quietLog = slog.New(slog.NewTextHandler(io.Discard, nil))
