package store_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// typed creates a table of an instant, a nullable instant, an instant in
// seconds, a date and a JSON document in db's dialect, as migration 00015
// leaves them.
func typed(t *testing.T, db *store.DB) {
	t.Helper()
	ddl := `CREATE TABLE typed (id INTEGER PRIMARY KEY, at BIGINT NOT NULL, gone BIGINT, sec BIGINT NOT NULL, on_date TEXT NOT NULL, doc TEXT NOT NULL)`
	if db.Dialect == store.Postgres {
		ddl = `CREATE TABLE typed (id INTEGER PRIMARY KEY, at timestamptz NOT NULL, gone timestamptz, sec timestamptz NOT NULL, on_date date NOT NULL, doc jsonb NOT NULL)`
	}
	if _, err := db.Writer().Exec(ddl); err != nil {
		t.Fatal(err)
	}
}

type typedRow struct {
	at, sec time.Time
	gone    *time.Time
	on      string
	doc     string
}

func (r typedRow) insert(t *testing.T, db *store.DB, id int) {
	t.Helper()
	if _, err := db.Writer().Exec(`INSERT INTO typed (id, at, gone, sec, on_date, doc) VALUES ($1, $2, $3, $4, $5, $6)`,
		id, store.Instant(r.at), store.NullInstant(r.gone), store.Seconds(r.sec), r.on, r.doc); err != nil {
		t.Fatalf("insert %d: %v", id, err)
	}
}

func readTyped(t *testing.T, db *store.DB, id int) typedRow {
	t.Helper()
	var r typedRow
	if err := db.Reader().QueryRow(`SELECT at, gone, sec, on_date, doc FROM typed WHERE id = $1`, id).Scan(
		store.ScanInstant(&r.at), store.ScanNullInstant(&r.gone), store.ScanSeconds(&r.sec), store.ScanDate(&r.on), &r.doc); err != nil {
		t.Fatalf("read %d: %v", id, err)
	}
	return r
}

func sameJSON(t *testing.T, got, want string) bool {
	t.Helper()
	var g, w any
	if err := json.Unmarshal([]byte(got), &g); err != nil {
		t.Fatalf("stored JSON %q does not parse: %v", got, err)
	}
	_ = json.Unmarshal([]byte(want), &w)
	return reflect.DeepEqual(g, w)
}

func TestColumnTypesRoundTrip(t *testing.T) {
	kolkata, err := time.LoadLocation("Asia/Kolkata")
	if err != nil {
		t.Skipf("no zone data: %v", err)
	}
	// 23:45 in Kolkata is the previous day in UTC: a date or an instant that
	// went through a zone conversion would shift.
	at := time.Date(2026, 3, 31, 23, 45, 6, 123456789, kolkata)
	gone := time.Date(2026, 4, 1, 0, 0, 0, 1000, time.UTC)
	doc := `{"b": [1, 2.5, "x"], "a": {"z": null, "y": true}, "paise": 12345678901234}`
	want := typedRow{at: at.Truncate(time.Microsecond).UTC(), sec: at.Truncate(time.Second).UTC(), gone: &gone, on: "2026-03-31"}
	check := func(t *testing.T, db *store.DB) {
		t.Helper()
		typedRow{at: at, sec: at, gone: &gone, on: "2026-03-31", doc: doc}.insert(t, db, 1)
		typedRow{at: at, sec: at, on: "2026-12-31", doc: `[]`}.insert(t, db, 2)
		got := readTyped(t, db, 1)
		if !got.at.Equal(want.at) || got.at.Location() != time.UTC || got.at.Nanosecond() != 123456000 {
			t.Errorf("instant: got %v, want %v in UTC (microseconds kept)", got.at, want.at)
		}
		if !got.sec.Equal(want.sec) || got.gone == nil || !got.gone.Equal(gone) || got.on != want.on {
			t.Errorf("got seconds %v, nullable %v, date %q; want %v, %v, %q", got.sec, got.gone, got.on, want.sec, gone, want.on)
		}
		if !sameJSON(t, got.doc, doc) {
			t.Errorf("document: got %s, want the same JSON as %s", got.doc, doc)
		}
		if r := readTyped(t, db, 2); r.gone != nil || r.on != "2026-12-31" || r.doc != "[]" {
			t.Errorf("row 2: got nullable %v, date %q, doc %q; want nil, 2026-12-31, []", r.gone, r.on, r.doc)
		}
		// A comparison binds the parameter in the column's type.
		var n int
		if err := db.Reader().QueryRow(`SELECT COUNT(*) FROM typed WHERE at <= $1 AND at > $2 AND on_date < $3`,
			store.Instant(at), store.Instant(at.Add(-time.Microsecond)), "2026-04-01").Scan(&n); err != nil || n != 1 {
			t.Errorf("rows with at in (at-1µs, at] and on_date before 2026-04-01: got %d (%v), want 1", n, err)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		db := open(t, "", t.TempDir())
		typed(t, db)
		check(t, db)
		var us, sec int64
		var on string
		if err := db.Reader().QueryRow(`SELECT at, sec, on_date FROM typed WHERE id = 1`).Scan(&us, &sec, &on); err != nil {
			t.Fatal(err)
		}
		if us != at.UnixMicro() || sec != at.Unix() || on != "2026-03-31" {
			t.Errorf("stored %d µs, %d s, %q; want %d, %d, 2026-03-31", us, sec, on, at.UnixMicro(), at.Unix())
		}
	})
	t.Run("postgres", func(t *testing.T) {
		base := testenv.Postgres(t)
		for _, zone := range []string{"UTC", "Asia/Kolkata"} {
			t.Run(zone, func(t *testing.T) {
				u, _ := url.Parse(base)
				q := u.Query()
				q.Set("timezone", zone)
				u.RawQuery = q.Encode()
				db := open(t, u.String(), "")
				if _, err := db.Writer().Exec(`DROP TABLE IF EXISTS typed`); err != nil {
					t.Fatal(err)
				}
				typed(t, db)
				check(t, db)
				var session, us, on string
				if err := db.Reader().QueryRow(`SELECT current_setting('TimeZone'), (extract(epoch FROM at) * 1000000)::bigint::text, on_date::text
					FROM typed WHERE id = 1`).Scan(&session, &us, &on); err != nil {
					t.Fatal(err)
				}
				if session != zone || us != "1774980906123456" || on != "2026-03-31" {
					t.Errorf("session %s: stored %s µs and date %s; want %s, 1774980906123456 and 2026-03-31", session, us, on, zone)
				}
			})
		}
	})
}

func TestInstantBindsIntegerColumns(t *testing.T) {
	// Before migration 00015 (and in the decisions schema until 00016) an
	// instant column is BIGINT on PostgreSQL too: Instant binds there as
	// microseconds and ScanInstant reads them.
	db := open(t, testenv.Postgres(t), "")
	at := time.Date(2026, 1, 2, 3, 4, 5, 678901000, time.UTC)
	if _, err := db.Writer().Exec(`CREATE TABLE micros (at BIGINT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Writer().Exec(`INSERT INTO micros (at) VALUES ($1)`, store.Instant(at)); err != nil {
		t.Fatal(err)
	}
	var raw int64
	var got time.Time
	if err := db.Reader().QueryRow(`SELECT at, at FROM micros`).Scan(&raw, store.ScanInstant(&got)); err != nil {
		t.Fatal(err)
	}
	if raw != at.UnixMicro() || !got.Equal(at) {
		t.Errorf("got %d µs, %v; want %d, %v", raw, got, at.UnixMicro(), at)
	}
	var ts time.Time
	if err := db.Reader().QueryRow(`SELECT NULL::timestamptz`).Scan(store.ScanInstant(&ts)); err == nil {
		t.Error("ScanInstant of NULL: no error")
	}
}
