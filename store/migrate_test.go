package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// A row as the release before migration 00015 wrote it: instants BIGINT
// unix microseconds (us) or seconds (sec), dates TEXT, JSON TEXT.
type oldRow struct {
	table string
	cols  string
	vals  []any
	key   string // WHERE clause selecting the row back
}

const (
	us1 = int64(1767225600123457) // 2026-01-01 00:00:00.123457 UTC
	us2 = int64(1774980906999999)
	sec = int64(1774980906)
)

// kinds of column in the read-back check.
const (
	kInstant = 'i' // BIGINT µs → timestamptz
	kSeconds = 's' // BIGINT s → timestamptz
	kDate    = 'd' // TEXT → date
	kJSON    = 'j' // TEXT → jsonb (the same document; key order may change)
	kText    = 't' // stays as it was, byte for byte
)

var oldRows = []oldRow{
	{"api_keys", "id, name, key_hash, role, customer_id, created_at, revoked_at", []any{"key_1", "ops", "h1", "ops", nil, us1, us2}, "id = 'key_1'"},
	{"feature_values", "entity, entity_id, name, value, as_of", []any{"customer", "C-1", "f", "i1767225600123457:5", us1}, "entity_id = 'C-1'"},
	{"feature_history", "entity, entity_id, name, value, as_of, written_by", []any{"customer", "C-1", "f", "i1767225600123457:5", us1, "nirnay"}, "entity_id = 'C-1'"},
	{"feature_aggregates", "feature, entity_id, field, value, expires_at", []any{"f_7d", "C-1", "b3", "2.5", sec}, "entity_id = 'C-1'"},
	{"feature_events_seen", "id, expires_at", []any{"ev-1", sec}, "id = 'ev-1'"},
	{"policy_versions", "policy_id, version, step, status, source, sha256, author_id, author_name, created_at, updated_at, submitted_at, reviewer_id, reviewer_name, reviewed_at",
		[]any{"p", 1, "signup", "approved", "id: p\nversion: 1\n", "sha", "a", "A", us1, us2, us1, "r", "R", us2}, "policy_id = 'p'"},
	{"policy_deployments", "step, champion, challengers, shadows, revision, updated_by_id, updated_by_name, updated_at",
		[]any{"signup", "p@1", `[{"policy":"q@1","percent":10}]`, `["s@1"]`, 1, "a", "A", us2}, "step = 'signup'"},
	{"audit_log", "id, at, actor_id, actor_name, action, subject, before_json, after_json",
		[]any{"aud_1", us1, "a", "A", "deploy", "deployment/signup", nil, `{"step":"signup","champion":"p@1","revision":1}`}, "id = 'aud_1'"},
	{"loans", "id, customer_id, product_id, kind, credit_line_id, status, amount, tenure_months, annual_rate_bps, reasons, offer, kfs, kfs_digest, consent, account_hash, disbursed_on, outstanding, principal_outstanding, last_event_on, last_day_end, created_at, updated_at",
		[]any{"loan_1", "C-1", "pl", "term_loan", nil, "active", 5000000, 12, 1800, `["ok"]`, `{"amount": 5000000, "apr_bps": 1800}`,
			`{"z": 1,  "a": [1.50, 2]}`, "d1", `{"kfs_digest":"d1","agreed":true}`, "acct", "2026-01-01", 5000000, 5000000, "2026-02-28", nil, us1, us2}, "id = 'loan_1'"},
	{"credit_lines", "id, customer_id, product_id, status, credit_limit, annual_rate_bps, reasons, offer, consent, account_hash, created_at, updated_at",
		[]any{"line_1", "C-1", "cl", "active", 10000000, 2400, `[]`, `{"limit":10000000}`, "", "acct", us1, us2}, "id = 'line_1'"},
	{"lending_events", "id, subject_id, seq, customer_id, type, on_date, at, body",
		[]any{"lev_1", "loan_1", 1, "C-1", "disbursed", "2026-01-01", us1, `{"type":"disbursed","on":"2026-01-01","amount":5000000}`}, "id = 'lev_1'"},
	{"loan_payments", "id, loan_id, idempotency_key, request_hash, kind, amount, paid_on, status, created_at, bounced_at",
		[]any{"pay_1", "loan_1", "k1", "rh", "payment", 450000, "2026-02-01", "bounced", us1, us2}, "id = 'pay_1'"},
	{"ledger_journals", "id, loan_id, kind, ref, on_date, created_at", []any{"jnl_1", "loan_1", "disbursal", "lev_1", "2026-01-01", us1}, "id = 'jnl_1'"},
	{"borrowers", "customer_id, asset_class, max_dpd, as_of, updated_at", []any{"C-1", "standard", 0, "2026-12-31", us2}, "customer_id = 'C-1'"},
	{"outbox", "id, topic, key, payload, created_at, published_at", []any{"obx_1", "loan.disbursed", "loan_1", `{"loan_id":"loan_1","amount":5000000}`, us1, nil}, "id = 'obx_1'"},
	{"event_stream", "seq, body, created_at", []any{1, `{"id":"e1", "type":"sms"}`, us1}, "seq = 1"},
	{"event_dead_letters", "id, event_id, consumer, event_type, customer_id, reason, payload, created_at",
		[]any{"ingest/e1", "e1", "ingest", "sms", "C-1", "bad", `{"id":"e1","data":"\u0000"}`, us2}, "id = 'ingest/e1'"},
	{"event_journey", "event_id, customer_id, event_type, at, summary", []any{"e2", "C-1", "app_event", us1, `{"name":"open"}`}, "event_id = 'e2'"},
	{"event_sms_signals", "customer_id, event_id, kind, at, amount", []any{"C-1", "e3", "salary", sec, 5000000}, "event_id = 'e3'"},
	{"lists", "name, description, revision, entries, created_at, created_by, updated_at, updated_by", []any{"blocked", "d", 2, 1, us1, "a", us2, "a"}, "name = 'blocked'"},
	{"list_entries", "id, list_name, value, reason, expires_at, added_at, added_by, removed_at, removed_by, revision",
		[]any{"le_1", "blocked", "v", "r", us2, us1, "a", nil, nil, 1}, "id = 'le_1'"},
	{"once_runs", "name, owner, started_at, finished_at", []any{"day-end/2026-01-01", "n1", us1, us2}, "name = 'day-end/2026-01-01'"},
}

// converted names, per table, the columns whose PostgreSQL type 00015
// changes (or, kText, keeps on purpose) and their kind.
var converted = map[string]map[string]byte{
	"api_keys":            {"created_at": kInstant, "revoked_at": kInstant},
	"feature_values":      {"as_of": kInstant, "value": kText},
	"feature_history":     {"as_of": kInstant, "value": kText},
	"feature_aggregates":  {"expires_at": kSeconds, "value": kText},
	"feature_events_seen": {"expires_at": kSeconds},
	"policies":            {"created_at": kInstant},
	"policy_versions":     {"created_at": kInstant, "updated_at": kInstant, "submitted_at": kInstant, "reviewed_at": kInstant, "source": kText},
	"policy_deployments":  {"challengers": kJSON, "shadows": kJSON, "updated_at": kInstant},
	"audit_log":           {"at": kInstant, "before_json": kJSON, "after_json": kJSON},
	"loans": {"reasons": kJSON, "offer": kJSON, "kfs": kText, "consent": kText, "disbursed_on": kDate, "last_event_on": kDate,
		"last_day_end": kDate, "created_at": kInstant, "updated_at": kInstant},
	"credit_lines":       {"reasons": kJSON, "offer": kJSON, "consent": kText, "created_at": kInstant, "updated_at": kInstant},
	"lending_events":     {"on_date": kDate, "at": kInstant, "body": kJSON},
	"loan_payments":      {"paid_on": kDate, "created_at": kInstant, "bounced_at": kInstant},
	"ledger_journals":    {"on_date": kDate, "created_at": kInstant},
	"borrowers":          {"as_of": kDate, "updated_at": kInstant},
	"outbox":             {"payload": kJSON, "created_at": kInstant, "published_at": kInstant},
	"event_stream":       {"body": kText, "created_at": kInstant},
	"event_dead_letters": {"payload": kText, "created_at": kInstant},
	"event_journey":      {"at": kInstant, "summary": kText},
	"event_sms_signals":  {"at": kSeconds},
	"lists":              {"created_at": kInstant, "updated_at": kInstant},
	"list_entries":       {"expires_at": kInstant, "added_at": kInstant, "removed_at": kInstant},
	"once_runs":          {"started_at": kInstant, "finished_at": kInstant},
}

// TestUpgradeKeepsValues fills a database at version 14 the way the
// release before 00015 wrote it, migrates it, and reads every converted
// column back equal: instants to the microsecond, dates to the day, JSON
// the same document, the TEXT kept on purpose byte for byte.
func TestUpgradeKeepsValues(t *testing.T) {
	testenv.Backends(t, func(t *testing.T, b testenv.Backend, _ *store.DB) {
		// Backends migrated its database; the upgrade needs one of its own.
		dir, dbURL := "", ""
		if b.URL != "" {
			dbURL = testenv.Postgres(t)
		} else {
			dir = t.TempDir()
		}
		db := testenv.Backend{URL: dbURL, Dir: dir}.Open(t)
		ctx := context.Background()
		if _, err := db.MigrateTo(ctx, nil, 14); err != nil {
			t.Fatalf("migrate to 14: %v", err)
		}
		for _, r := range oldRows {
			ph := make([]string, len(r.vals))
			for i := range ph {
				ph[i] = store.Param(db.Dialect, i+1)
			}
			if _, err := db.Writer().ExecContext(ctx, `INSERT INTO `+r.table+` (`+r.cols+`) VALUES (`+strings.Join(ph, ", ")+`)`, r.vals...); err != nil {
				t.Fatalf("fill %s at version 14: %v", r.table, err)
			}
		}
		// Read every column once before: the same statements after the
		// migration must not meet a plan cached for the old types.
		for _, r := range oldRows {
			for col := range converted[r.table] {
				var v any
				if err := db.Reader().QueryRow(`SELECT ` + col + ` FROM ` + r.table + ` WHERE ` + r.key).Scan(&v); err != nil {
					t.Fatalf("read %s.%s at version 14: %v", r.table, col, err)
				}
			}
		}
		if _, err := db.Migrate(ctx, nil); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		if db.Dialect == store.Postgres {
			checkTypes(t, db)
		}
		for _, r := range oldRows {
			kinds := converted[r.table]
			if len(kinds) == 0 {
				t.Fatalf("%s: no converted columns listed", r.table)
			}
			for i, col := range strings.Split(r.cols, ", ") {
				if k, ok := kinds[col]; ok {
					checkColumn(t, db, r, col, k, r.vals[i])
				}
			}
		}
	})
}

func checkColumn(t *testing.T, db *store.DB, r oldRow, col string, kind byte, old any) {
	t.Helper()
	q := `SELECT ` + col + ` FROM ` + r.table + ` WHERE ` + r.key
	var err error
	switch kind {
	case kInstant, kSeconds:
		var got *time.Time
		var dest any = store.ScanNullInstant(&got)
		if kind == kSeconds {
			got = new(time.Time)
			dest = store.ScanSeconds(got)
		}
		if err = db.Reader().QueryRow(q).Scan(dest); err != nil {
			break
		}
		switch v := old.(type) {
		case nil:
			if got != nil {
				t.Errorf("%s.%s: got %v, want NULL", r.table, col, got)
			}
		case int64:
			want := time.UnixMicro(v).UTC()
			if kind == kSeconds {
				want = time.Unix(v, 0).UTC()
			}
			if got == nil || !got.Equal(want) {
				t.Errorf("%s.%s: got %v, want %v (stored %d)", r.table, col, got, want, v)
			}
		}
	case kDate:
		var got string
		if err = db.Reader().QueryRow(q).Scan(store.ScanDate(&got)); err == nil {
			want, _ := old.(string)
			if got != want {
				t.Errorf("%s.%s: got %q, want %q", r.table, col, got, want)
			}
		}
	case kJSON:
		var got *string
		if err = db.Reader().QueryRow(q).Scan(&got); err == nil {
			switch want := old.(type) {
			case nil:
				if got != nil {
					t.Errorf("%s.%s: got %s, want NULL", r.table, col, *got)
				}
			case string:
				if got == nil || !sameJSON(t, *got, want) {
					t.Errorf("%s.%s: got %v, want the document %s", r.table, col, got, want)
				}
			}
		}
	case kText:
		var got string
		if err = db.Reader().QueryRow(q).Scan(&got); err == nil && got != old {
			t.Errorf("%s.%s: got %q, want %q byte for byte", r.table, col, got, old)
		}
	}
	if err != nil {
		t.Errorf("read %s.%s: %v", r.table, col, err)
	}
}

// checkTypes checks the PostgreSQL type of every column in converted.
func checkTypes(t *testing.T, db *store.DB) {
	t.Helper()
	want := map[byte]string{kInstant: "timestamp with time zone", kSeconds: "timestamp with time zone", kDate: "date", kJSON: "jsonb", kText: "text"}
	for table, cols := range converted {
		for col, k := range cols {
			var got string
			if err := db.Reader().QueryRow(`SELECT data_type FROM information_schema.columns
				WHERE table_name = $1 AND column_name = $2 AND table_schema = ANY (current_schemas(false))`, table, col).Scan(&got); err != nil {
				t.Errorf("type of %s.%s: %v", table, col, err)
			} else if got != want[k] {
				t.Errorf("%s.%s is %s, want %s", table, col, got, want[k])
			}
		}
	}
}
