package features

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/rules"
)

func TestEncodingRoundTripsEveryType(t *testing.T) {
	t.Parallel()
	asOf := fpT0.Add(123456789 * time.Nanosecond)
	cases := []struct {
		typ rules.FeatureType
		val any
	}{
		{rules.TypeInt, int64(-42)},
		{rules.TypeInt, int64(9007199254740993)},
		{rules.TypeDouble, 0.1},
		{rules.TypeDouble, -1e-300},
		{rules.TypeString, "a:b|c\n"},
		{rules.TypeString, ""},
		{rules.TypeBool, true},
		{rules.TypeBool, false},
		{rules.TypeTimestamp, time.Date(2025, 1, 2, 3, 4, 5, 6, time.UTC)},
		{rules.TypeStringList, []string{"x", "y:z"}},
		{rules.TypeStringList, []string{}},
	}
	for _, c := range cases {
		enc := encodeValue(c.typ, c.val, asOf.UnixNano())
		got, gotAsOf, err := decodeValue(c.typ, enc)
		if err != nil {
			t.Errorf("decode %s %q: %v", c.typ, enc, err)
			continue
		}
		if !reflect.DeepEqual(got, c.val) {
			t.Errorf("%s %v: encoded %q decodes to %#v, want %#v", c.typ, c.val, enc, got, c.val)
		}
		if want := asOf.UnixMicro() * 1000; gotAsOf != want {
			t.Errorf("%s %v: as-of %d, want %d (microseconds kept)", c.typ, c.val, gotAsOf, want)
		}
		f := &rules.Feature{Name: "x", Type: c.typ, Slot: 3}
		e, ok := decodeEntry(f, enc)
		if !ok || e.Slot != 3 || e.AsOf != gotAsOf || !reflect.DeepEqual(e.Val.Value(), c.val) {
			t.Errorf("decodeEntry(%s %q) = %+v, %v; want slot 3, value %#v", c.typ, enc, e, ok, c.val)
		}
	}
	for _, bad := range []struct {
		typ rules.FeatureType
		enc string
	}{{rules.TypeInt, "i1:x"}, {rules.TypeInt, "s1:7"}, {rules.TypeString, "sx:a"}, {rules.TypeBool, "b1"}, {rules.TypeDouble, "d1:NaN"}} {
		if e, ok := decodeEntry(&rules.Feature{Type: bad.typ}, bad.enc); ok {
			t.Errorf("decodeEntry(%s %q) = %+v, want rejected", bad.typ, bad.enc, e)
		}
	}
	if _, _, err := decodeValue(rules.TypeInt, encodeValue(rules.TypeString, "7", 0)); err == nil {
		t.Errorf("a string decoded as an int: want an error (type changed in the catalog)")
	}
	for _, bad := range []string{"", "i", "i12", "ix:1", "i1:x", "d1:1"} {
		if _, _, err := decodeValue(rules.TypeInt, bad); err == nil {
			t.Errorf("decode %q: want an error", bad)
		}
	}
}

func TestWritesAreValidatedAgainstTheCatalog(t *testing.T) {
	t.Parallel()
	b := fpBuilder(t)
	s := fpLocal(t, b, newFakeClock().Now)
	cases := []struct {
		name  string
		w     Write
		kind  nirnay.Kind
		field string
	}{
		{"unknown feature", Write{Key: EntityKey{"customer", "C1"}, Values: map[string]any{"nope": 1}}, nirnay.KindInvalid, "features.nope"},
		{"wrong type", Write{Key: EntityKey{"customer", "C1"}, Values: map[string]any{"bureau_score": "high"}}, nirnay.KindInvalid, "features.bureau_score"},
		{"fractional int", Write{Key: EntityKey{"customer", "C1"}, Values: map[string]any{"bureau_score": json.Number("7.5")}}, nirnay.KindInvalid, "features.bureau_score"},
		{"null", Write{Key: EntityKey{"customer", "C1"}, Values: map[string]any{"city": nil}}, nirnay.KindInvalid, "features.city"},
		{"other entity", Write{Key: EntityKey{"device", "d1"}, Values: map[string]any{"city": "Pune"}}, nirnay.KindInvalid, "features.city"},
		{"derived", Write{Key: EntityKey{"customer", "C1"}, Values: map[string]any{"emi_to_income": 0.5}}, nirnay.KindInvalid, "features.emi_to_income"},
		{"aggregate", Write{Key: EntityKey{"customer", "C1"}, Values: map[string]any{"apps_1h": 3}}, nirnay.KindInvalid, "features.apps_1h"},
		{"unknown entity", Write{Key: EntityKey{"planet", "p"}, Values: map[string]any{"city": "x"}}, nirnay.KindNotFound, ""},
		{"empty id", Write{Key: EntityKey{"customer", ""}, Values: map[string]any{"city": "x"}}, nirnay.KindInvalid, "id"},
	}
	for _, c := range cases {
		err := s.Write(context.Background(), []Write{c.w}, fpT0)
		var ne *nirnay.Error
		if !asNirnay(err, &ne) || ne.Kind != c.kind || ne.Field != c.field {
			t.Errorf("%s: got %v (%#v), want kind %s field %q", c.name, err, ne, c.kind, c.field)
		}
	}
	got, err := s.Read(context.Background(), []EntityKey{{"customer", "C1"}}, fpT0)
	if err != nil || len(got[0]) != 3 { // the three zero-valued count/distinct aggregates only
		t.Errorf("after rejected writes C1 reads %v, %v; want only the 3 empty-window aggregates", fpEntries(b.Catalog(), got[0]), err)
	}
}

func asNirnay(err error, target **nirnay.Error) bool {
	ne, ok := err.(*nirnay.Error)
	if ok {
		*target = ne
	}
	return ok
}

func TestLocalStoreTypedRoundTripAndHistory(t *testing.T) {
	t.Parallel()
	t.Run("database reads", func(t *testing.T) { testLocalRoundTrip(t, false) })
	t.Run("in-memory reads", func(t *testing.T) { testLocalRoundTrip(t, true) })
}

func testLocalRoundTrip(t *testing.T, inMemory bool) {
	b := fpBuilder(t)
	dir := t.TempDir()
	clk := newFakeClock()
	open := func() *LocalStore {
		s, err := NewLocalStore(context.Background(), testenv.SQLiteAt(t, dir), b.Catalog(), clk.Now)
		if err != nil {
			t.Fatal(err)
		}
		if inMemory {
			if err := s.KeepInMemory(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		return s
	}
	s := open()
	defer s.Close(context.Background())
	ctx := context.Background()
	vals := map[string]any{"bureau_score": 750, "city": "Pune", "apps": []any{"a", "b"}, "kyc_at": "2026-01-02T03:04:05Z", "salaried": true, "ratio": 0.25}
	key := EntityKey{"customer", "C1"}
	if err := s.Write(ctx, []Write{{Key: key, Values: vals, AsOf: fpT0}}, fpT0); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, []Write{{Key: key, Values: map[string]any{"bureau_score": 700}, AsOf: fpT0.Add(time.Hour)}}, fpT0); err != nil {
		t.Fatal(err)
	}
	// An older value arriving late does not replace the newer one.
	if err := s.Write(ctx, []Write{{Key: key, Values: map[string]any{"bureau_score": 600}, AsOf: fpT0.Add(-time.Hour)}}, fpT0); err != nil {
		t.Fatal(err)
	}
	got, err := s.Read(ctx, []EntityKey{key}, fpT0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m := fpEntries(b.Catalog(), got[0])
	want := map[string]any{"bureau_score": int64(700), "city": "Pune", "apps": []string{"a", "b"}, "kyc_at": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		"salaried": true, "ratio": 0.25, "devices_per_customer": int64(0), "apps_1h": int64(0), "emi_sum_30d": int64(0)}
	if !reflect.DeepEqual(m, want) {
		t.Errorf("read back %v,\nwant %v", m, want)
	}
	// As of half an hour in, the first value; before anything, nothing stored.
	for _, c := range []struct {
		at   time.Time
		want any
	}{{fpT0.Add(30 * time.Minute), int64(750)}, {fpT0.Add(-30 * time.Minute), int64(600)}, {fpT0.Add(-2 * time.Hour), nil}} {
		es, err := s.ReadAsOf(ctx, key, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := fpEntries(b.Catalog(), es)["bureau_score"]; !reflect.DeepEqual(got, c.want) {
			t.Errorf("bureau_score as of %s = %v, want %v", c.at, got, c.want)
		}
	}
	// The values survive a restart.
	s2 := open()
	defer s2.Close(context.Background())
	got2, err := s2.Read(ctx, []EntityKey{key}, fpT0.Add(2*time.Hour))
	if err != nil || !reflect.DeepEqual(fpEntries(b.Catalog(), got2[0]), want) {
		t.Errorf("after reopening: %v, %v; want %v", fpEntries(b.Catalog(), got2[0]), err, want)
	}
}

func TestLocalStoreOnPostgres(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.Backend{URL: testenv.Postgres(t)}.Migrated(t)
	b := fpBuilder(t)
	s, err := NewLocalStore(ctx, db, b.Catalog(), func() time.Time { return fpT0 })
	if err != nil {
		t.Fatal(err)
	}
	key := EntityKey{"customer", "C1"}
	if err := s.Write(ctx, []Write{{Key: key, Values: map[string]any{"bureau_score": 700, "apps": []string{"x"}}, AsOf: fpT0}}, fpT0); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, []Write{{Key: key, Values: map[string]any{"bureau_score": 710}, AsOf: fpT0.Add(time.Minute)}}, fpT0); err != nil {
		t.Fatal(err)
	}
	evs := []Event{ev("x1", "emi_debit", fpT0, map[string]string{"customer": "C1"}, map[string]any{"amount": 40}),
		ev("x2", "emi_debit", fpT0, map[string]string{"customer": "C1"}, map[string]any{"amount": 2})}
	if err := s.Apply(ctx, evs...); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	s2, err := NewLocalStore(ctx, db, b.Catalog(), func() time.Time { return fpT0 })
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close(ctx)
	if err := s2.Apply(ctx, evs...); err != nil { // replay after a restart: deduped
		t.Fatal(err)
	}
	got, err := s2.Read(ctx, []EntityKey{key}, fpT0.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	m := fpEntries(b.Catalog(), got[0])
	if m["bureau_score"] != int64(710) || m["emi_sum_30d"] != int64(42) || !reflect.DeepEqual(m["apps"], []string{"x"}) {
		t.Errorf("on PostgreSQL read back %v, want bureau_score 710, emi_sum_30d 42, apps [x]", m)
	}
	old, err := s2.ReadAsOf(ctx, key, fpT0.Add(30*time.Second))
	if err != nil || fpEntries(b.Catalog(), old)["bureau_score"] != int64(700) {
		t.Errorf("as of +30s: %v, %v; want bureau_score 700", fpEntries(b.Catalog(), old), err)
	}
}
