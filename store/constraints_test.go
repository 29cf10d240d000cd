package store_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
	"github.com/nirnay/nirnay/store/migrations"
)

// goodRows satisfy every constraint: parents before children, one row or
// more of each constrained table. Plain SQL literals, valid on both
// backends once their instants (any will do) are written for the
// database's column types (see instants).
var goodRows = []string{
	`INSERT INTO api_keys (id, name, key_hash, role, customer_id, created_at) VALUES ('key_1', 'svc', 'h1', 'service', 'C1', µ1)`,
	`INSERT INTO step_ups (decision_id, action, customer_id, step, result, reported_at, reported_by) VALUES ('dec_1', 'otp', 'C1', 'login', 'passed', µ1, 'key_1')`,
	`INSERT INTO decision_claims (customer_id, request_id, request_hash, decision_id, claimed_at) VALUES ('C1', 'r1', 'h', 'dec_1', µ1)`,
	`INSERT INTO policies (id, step, created_at) VALUES ('credit', 'application', µ1)`,
	`INSERT INTO policy_versions (policy_id, version, step, status, source, sha256, author_id, author_name, created_at, updated_at)
		VALUES ('credit', 1, 'application', 'draft', 'src', 's1', 'a', 'Asha', µ1, µ1)`,
	`INSERT INTO policy_versions (policy_id, version, step, status, source, sha256, author_id, author_name, created_at, updated_at,
		submitted_at, reviewer_id, reviewer_name, reviewed_at, reject_reason)
		VALUES ('credit', 2, 'application', 'rejected', 'src', 's2', 'a', 'Asha', µ1, µ3, µ2, 'm', 'Meera', µ3, 'too lax')`,
	`INSERT INTO policy_deployments (step, champion, challengers, shadows, revision, updated_by_id, updated_by_name, updated_at)
		VALUES ('application', 'credit@1', '[]', '[]', 1, 'a', 'Asha', µ1)`,
	`INSERT INTO credit_lines (id, customer_id, product_id, status, credit_limit, annual_rate_bps, account_hash, created_at, updated_at)
		VALUES ('cl_1', 'C1', 'line', 'active', 5000000, 1800, 'acct', µ1, µ1)`,
	`INSERT INTO loans (id, customer_id, product_id, kind, status, amount, tenure_months, annual_rate_bps, account_hash, disbursed_on,
		outstanding, principal_outstanding, created_at, updated_at)
		VALUES ('ln_1', 'C1', 'pl', 'term_loan', 'active', 10000000, 12, 1600, 'acct', '2026-01-05', 10000000, 10000000, µ1, µ1)`,
	`INSERT INTO loans (id, customer_id, product_id, kind, credit_line_id, status, amount, tenure_months, annual_rate_bps, created_at, updated_at)
		VALUES ('ln_2', 'C1', 'line', 'draw', 'cl_1', 'offered', 100000, 3, 1800, µ1, µ1)`,
	`INSERT INTO lending_events (id, subject_id, seq, customer_id, type, on_date, at, body) VALUES ('lev_1', 'ln_1', 1, 'C1', 'application', '2026-01-01', µ1, '{}')`,
	`INSERT INTO loan_payments (id, loan_id, idempotency_key, request_hash, kind, amount, paid_on, status, created_at)
		VALUES ('pay_1', 'ln_1', 'k1', 'h', 'payment', 500000, '2026-02-05', 'applied', µ1)`,
	`INSERT INTO loan_payments (id, loan_id, idempotency_key, request_hash, kind, amount, paid_on, status, created_at, bounced_at)
		VALUES ('pay_2', 'ln_1', 'k2', 'h', 'payment', 500000, '2026-02-06', 'bounced', µ1, µ2)`,
	`INSERT INTO ledger_journals (id, loan_id, kind, ref, on_date, created_at) VALUES ('jnl_1', 'ln_1', 'payment', 'pay_1', '2026-02-05', µ1)`,
	`INSERT INTO ledger_lines (journal_id, line, loan_id, account, debit, credit) VALUES ('jnl_1', 1, 'ln_1', 'bank', 500000, 0)`,
	`INSERT INTO ledger_lines (journal_id, line, loan_id, account, debit, credit) VALUES ('jnl_1', 2, 'ln_1', 'principal_receivable', 0, 500000)`,
	`INSERT INTO borrowers (customer_id, asset_class, max_dpd, as_of, updated_at) VALUES ('C1', 'sma_0', 3, '2026-02-08', µ1)`,
	`INSERT INTO event_stream (seq, body, created_at) VALUES (1, '{}', µ1)`,
	`INSERT INTO event_stream (seq, body, created_at) VALUES (2, '{}', µ1)`,
	`INSERT INTO event_stream_groups (grp, acked_to) VALUES ('features', 0)`,
	`INSERT INTO event_stream_acks (grp, seq) VALUES ('features', 2)`,
	`INSERT INTO event_journey (event_id, customer_id, event_type, at, summary) VALUES ('ev_1', 'C1', 'app_event', µ1, '{}')`,
	`INSERT INTO event_sms_signals (customer_id, event_id, kind, at, amount) VALUES ('C1', 'ev_2', 'salary', µ1, 5000000)`,
	`INSERT INTO event_sms_signals (customer_id, event_id, kind, at, amount) VALUES ('C1', 'ev_3', 'balance', µ1, -120000)`,
	`INSERT INTO lists (name, description, revision, entries, created_at, created_by, updated_at, updated_by) VALUES ('blocked', '', 1, 1, µ1, 'a', µ1, 'a')`,
	`INSERT INTO list_entries (id, list_name, value, reason, added_at, added_by, revision) VALUES ('le_1', 'blocked', 'v', 'r', µ1, 'a', 1)`,
}

// instantLiteral is an instant in the SQL of these tests: µ and its unix
// microseconds.
var instantLiteral = regexp.MustCompile(`µ(\d+)`)

// instants writes the instants marked in q for db: a timestamptz on
// PostgreSQL past migration 15 (16 for the decisions schema's tables)
// (typed), else the integer.
func instants(db *store.DB, typed bool, q string) string {
	if typed && db.Dialect == store.Postgres {
		return instantLiteral.ReplaceAllString(q, `(timestamptz 'epoch' + $1 * interval '1 microsecond')`)
	}
	return instantLiteral.ReplaceAllString(q, `$1`)
}

func insertGoodRows(t *testing.T, db *store.DB) {
	t.Helper()
	for _, q := range goodRows {
		if _, err := db.Writer().ExecContext(context.Background(), instants(db, true, q)); err != nil {
			t.Fatalf("a row that keeps every rule was refused: %v\n%s", store.Translate(err), q)
		}
	}
}

// TestConstraintsRefuseBadRows breaks each kind of constraint on both
// backends and checks the error kind (409 for a foreign key, 422 for a
// CHECK or NOT NULL) and that it names the constraint; rows that keep the
// rules are accepted.
func TestConstraintsRefuseBadRows(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, sql  string
		kind       nirnay.Kind
		constraint string // "" on SQLite for a foreign key: SQLite does not say which
		fk         bool
	}{
		{"unknown loan status", `UPDATE loans SET status = 'lost' WHERE id = 'ln_1'`, nirnay.KindUnprocessable, "loans_status_known", false},
		{"unknown loan kind", `UPDATE loans SET kind = 'mortgage' WHERE id = 'ln_1'`, nirnay.KindUnprocessable, "loans_kind_known", false},
		{"draw without a line", `UPDATE loans SET credit_line_id = NULL WHERE id = 'ln_2'`, nirnay.KindUnprocessable, "loans_draw_on_line", false},
		{"loan of zero", `UPDATE loans SET amount = 0 WHERE id = 'ln_1'`, nirnay.KindUnprocessable, "loans_amount_positive", false},
		{"negative outstanding", `UPDATE loans SET outstanding = -1, principal_outstanding = -1 WHERE id = 'ln_1'`, nirnay.KindUnprocessable, "loans_balances_non_negative", false},
		{"principal above outstanding", `UPDATE loans SET principal_outstanding = outstanding + 1 WHERE id = 'ln_1'`, nirnay.KindUnprocessable, "loans_principal_within_outstanding", false},
		{"active loan never disbursed", `UPDATE loans SET disbursed_on = NULL WHERE id = 'ln_1'`, nirnay.KindUnprocessable, "loans_disbursed_when_live", false},
		{"rate over 100%", `UPDATE credit_lines SET annual_rate_bps = 10001 WHERE id = 'cl_1'`, nirnay.KindUnprocessable, "credit_lines_rate_in_range", false},
		{"unknown asset class", `UPDATE borrowers SET asset_class = 'doubtful' WHERE customer_id = 'C1'`, nirnay.KindUnprocessable, "borrowers_asset_class_known", false},
		{"payment of zero", `UPDATE loan_payments SET amount = 0 WHERE id = 'pay_1'`, nirnay.KindUnprocessable, "loan_payments_amount_positive", false},
		{"bounced without a time", `UPDATE loan_payments SET status = 'bounced' WHERE id = 'pay_1'`, nirnay.KindUnprocessable, "loan_payments_bounce_time", false},
		{"line on both sides", `UPDATE ledger_lines SET credit = 10 WHERE journal_id = 'jnl_1' AND line = 1`, nirnay.KindUnprocessable, "ledger_lines_one_side", false},
		{"line of nothing", `INSERT INTO ledger_lines (journal_id, line, loan_id, account, debit, credit) VALUES ('jnl_1', 3, 'ln_1', 'bank', 0, 0)`, nirnay.KindUnprocessable, "ledger_lines_one_side", false},
		{"negative debit", `INSERT INTO ledger_lines (journal_id, line, loan_id, account, debit, credit) VALUES ('jnl_1', 3, 'ln_1', 'bank', -5, 0)`, nirnay.KindUnprocessable, "ledger_lines_one_side", false},
		{"unknown account", `UPDATE ledger_lines SET account = 'suspense' WHERE journal_id = 'jnl_1' AND line = 1`, nirnay.KindUnprocessable, "ledger_lines_account_known", false},
		{"unknown journal kind", `UPDATE ledger_journals SET kind = 'fix' WHERE id = 'jnl_1'`, nirnay.KindUnprocessable, "ledger_journals_kind_known", false},
		{"unknown lending event", `UPDATE lending_events SET type = 'poke' WHERE id = 'lev_1'`, nirnay.KindUnprocessable, "lending_events_type_known", false},
		{"unknown role", `UPDATE api_keys SET role = 'root' WHERE id = 'key_1'`, nirnay.KindUnprocessable, "api_keys_role_known", false},
		{"unknown step-up result", `UPDATE step_ups SET result = 'maybe'`, nirnay.KindUnprocessable, "step_ups_result_known", false},
		{"unknown step", `UPDATE policy_deployments SET step = 'warp'`, nirnay.KindUnprocessable, "policy_deployments_step_known", false},
		{"rejected without a reason", `UPDATE policy_versions SET reject_reason = NULL WHERE version = 2`, nirnay.KindUnprocessable, "policy_versions_reason_when_rejected", false},
		{"approved without a reviewer", `UPDATE policy_versions SET status = 'approved', submitted_at = µ1 WHERE version = 1`, nirnay.KindUnprocessable, "policy_versions_reviewed_when_decided", false},
		{"claim without a request id", `UPDATE decision_claims SET request_id = ''`, nirnay.KindUnprocessable, "decision_claims_request_present", false},
		{"unknown journey event", `UPDATE event_journey SET event_type = 'sms'`, nirnay.KindUnprocessable, "event_journey_type_known", false},
		{"negative salary", `UPDATE event_sms_signals SET amount = -1 WHERE kind = 'salary'`, nirnay.KindUnprocessable, "event_sms_signals_amount_non_negative", false},
		{"list count below zero", `UPDATE lists SET entries = -1`, nirnay.KindUnprocessable, "lists_entries_non_negative", false},
		{"removed without who", `UPDATE list_entries SET removed_at = µ5`, nirnay.KindUnprocessable, "list_entries_removed_by_when_removed", false},
		{"missing status", `UPDATE loans SET status = NULL WHERE id = 'ln_1'`, nirnay.KindUnprocessable, "loans.status", false},

		{"payment of no loan", `INSERT INTO loan_payments (id, loan_id, idempotency_key, request_hash, kind, amount, paid_on, status, created_at)
			VALUES ('pay_9', 'ln_9', 'k9', 'h', 'payment', 100, '2026-02-05', 'applied', µ1)`, nirnay.KindConflict, "loan_payments_loan_fk", true},
		{"journal of no loan", `INSERT INTO ledger_journals (id, loan_id, kind, ref, on_date, created_at) VALUES ('jnl_9', 'ln_9', 'payment', 'x', '2026-02-05', µ1)`,
			nirnay.KindConflict, "ledger_journals_loan_fk", true},
		{"line of another loan's journal", `INSERT INTO ledger_lines (journal_id, line, loan_id, account, debit, credit) VALUES ('jnl_1', 3, 'ln_2', 'bank', 5, 0)`,
			nirnay.KindConflict, "ledger_lines_journal_fk", true},
		{"draw on no line", `UPDATE loans SET credit_line_id = 'cl_9' WHERE id = 'ln_2'`, nirnay.KindConflict, "loans_credit_line_fk", true},
		{"version of another step than its policy", `INSERT INTO policy_versions (policy_id, version, step, status, source, sha256, author_id, author_name,
			created_at, updated_at) VALUES ('credit', 3, 'login', 'draft', 'src', 's', 'a', 'Asha', µ1, µ1)`, nirnay.KindConflict, "policy_versions_policy_fk", true},
		{"policy with versions removed", `DELETE FROM policies WHERE id = 'credit'`, nirnay.KindConflict, "policy_versions_policy_fk", true},
		{"ack of no group", `INSERT INTO event_stream_acks (grp, seq) VALUES ('nobody', 1)`, nirnay.KindConflict, "event_stream_acks_group_fk", true},
		{"ack of no message", `INSERT INTO event_stream_acks (grp, seq) VALUES ('features', 9)`, nirnay.KindConflict, "event_stream_acks_message_fk", true},
		{"entry of no list", `INSERT INTO list_entries (id, list_name, value, reason, added_at, added_by, revision) VALUES ('le_9', 'nolist', 'v', 'r', µ1, 'a', 1)`,
			nirnay.KindConflict, "list_entries_list_fk", true},
		{"loan with payments removed", `DELETE FROM loans WHERE id = 'ln_1'`, nirnay.KindConflict, "", true},
	}
	testenv.Backends(t, func(t *testing.T, b testenv.Backend, db *store.DB) {
		ctx := context.Background()
		insertGoodRows(t, db)
		for _, c := range cases {
			_, raw := db.Writer().ExecContext(ctx, instants(db, true, c.sql))
			if raw == nil {
				t.Errorf("%s: accepted, want a %s error\n%s", c.name, c.kind, c.sql)
				continue
			}
			err := store.Translate(raw)
			want := c.constraint
			if c.fk && b.Name() == "sqlite" {
				want = ""
			}
			var v *store.Violation
			switch {
			case !nirnay.IsKind(err, c.kind):
				t.Errorf("%s: kind %s (%v), want %s", c.name, nirnay.KindOf(err), err, c.kind)
			case !errors.As(err, &v):
				t.Errorf("%s: %v is no *store.Violation", c.name, err)
			case want != "" && v.Constraint != want:
				t.Errorf("%s: constraint %q, want %q (%v)", c.name, v.Constraint, want, raw)
			case want != "" && !strings.Contains(err.Error(), want):
				t.Errorf("%s: message %q does not name %s", c.name, err, want)
			}
		}
		// A policy's first version records the policy, of its step.
		if _, err := db.Writer().ExecContext(ctx, instants(db, true, `INSERT INTO policy_versions (policy_id, version, step, status, source, sha256, author_id,
			author_name, created_at, updated_at) VALUES ('fraud', 1, 'login', 'draft', 'src', 's', 'a', 'Asha', µ7, µ7)`)); err != nil {
			t.Fatalf("the first version of a new policy: %v", store.Translate(err))
		}
		var step string
		var at time.Time
		if err := db.Reader().QueryRowContext(ctx, `SELECT step, created_at FROM policies WHERE id = 'fraud'`).Scan(&step, store.ScanInstant(&at)); err != nil || step != "login" || at.UnixMicro() != 7 {
			t.Errorf("policy fraud after its first version: step %q, created_at %d, %v; want login, 7", step, at.UnixMicro(), err)
		}
		// Inside a transaction the same violation is returned translated.
		err := db.InTx(ctx, func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE loans SET status = 'lost' WHERE id = 'ln_1'`)
			return err
		})
		if !nirnay.IsKind(err, nirnay.KindUnprocessable) || !strings.Contains(err.Error(), "loans_status_known") {
			t.Errorf("InTx: %v (kind %s), want unprocessable naming loans_status_known", err, nirnay.KindOf(err))
		}
		// A unique key is still "already exists".
		_, raw := db.Writer().ExecContext(ctx, instants(db, true, `INSERT INTO loan_payments (id, loan_id, idempotency_key, request_hash, kind, amount, paid_on, status, created_at)
			VALUES ('pay_8', 'ln_1', 'k1', 'h', 'payment', 100, '2026-02-05', 'applied', µ1)`))
		if err := store.Translate(raw); !nirnay.IsKind(err, nirnay.KindConflict) || errors.As(err, new(*store.Violation)) {
			t.Errorf("duplicate idempotency key: %v, want a plain conflict", err)
		}
	})
}

// TestEveryJourneyStepAccepted keeps the step CHECKs in line with
// rules.Steps: a step added there needs a migration that adds it to them.
func TestEveryJourneyStepAccepted(t *testing.T) {
	t.Parallel()
	testenv.Backends(t, func(t *testing.T, _ testenv.Backend, db *store.DB) {
		ctx := context.Background()
		for i, step := range rules.Steps {
			for _, q := range []string{
				`INSERT INTO policies (id, step, created_at) VALUES ($1, $2, µ1)`,
				`INSERT INTO policy_versions (policy_id, version, step, status, source, sha256, author_id, author_name, created_at, updated_at)
					VALUES ($1, 1, $2, 'draft', '', '', 'a', 'A', µ1, µ1)`,
				`INSERT INTO policy_deployments (step, champion, challengers, shadows, revision, updated_by_id, updated_by_name, updated_at)
					VALUES ($2, $1, '[]', '[]', 1, 'a', 'A', µ1)`,
				`INSERT INTO step_ups (decision_id, action, customer_id, step, result, reported_at, reported_by) VALUES ($1, 'otp', 'C', $2, 'failed', µ1, 'k')`,
			} {
				if _, err := db.Writer().ExecContext(ctx, instants(db, true, q), "p"+string(rune('a'+i)), step); err != nil {
					t.Errorf("step %s refused: %v", step, store.Translate(err))
				}
			}
		}
	})
}

// sqliteFKCheck names the CHECK of the temporary table through which the
// SQLite migration fails when a copied row breaks a foreign key.
const sqliteFKCheck = migrations.ForeignKeyCheck

// constraintName matches a constraint the migrations name.
var constraintName = regexp.MustCompile(`CONSTRAINT (\w+) (?:CHECK|FOREIGN|UNIQUE)`)

// TestEveryConstraintHasItsRule checks that both dialects of migration 14
// name the same constraints, that store.ConstraintRules says each in words, and that
// ConstraintRules names only constraints the migrated databases have.
func TestEveryConstraintHasItsRule(t *testing.T) {
	t.Parallel()
	named := map[string][]string{}
	for _, dialect := range []string{"postgres", "sqlite"} {
		file := "00014_constraints.postgres.sql"
		if dialect == "sqlite" {
			file = "sqlite/00014_constraints.sql"
		}
		raw, err := fs.ReadFile(migrations.For(dialect), file)
		if err != nil {
			t.Fatal(err)
		}
		up, _, _ := strings.Cut(string(raw), "-- +goose Down")
		for _, m := range constraintName.FindAllStringSubmatch(up, -1) {
			if m[1] != sqliteFKCheck {
				named[dialect] = append(named[dialect], m[1])
			}
		}
		// The constraints of earlier migrations are renamed on PostgreSQL.
		for _, m := range regexp.MustCompile(`\('\w+\.\w+', '\w+', '(\w+)'\)`).FindAllStringSubmatch(up, -1) {
			named[dialect] = append(named[dialect], m[1])
		}
		sort.Strings(named[dialect])
		named[dialect] = slices.Compact(named[dialect])
	}
	if !slices.Equal(named["postgres"], named["sqlite"]) {
		t.Errorf("the dialects name different constraints:\npostgres %v\nsqlite   %v", named["postgres"], named["sqlite"])
	}
	for _, n := range named["sqlite"] {
		if store.ConstraintRules[n] == "" {
			t.Errorf("constraint %s has no rule in store.ConstraintRules", n)
		}
	}
	testenv.Backends(t, func(t *testing.T, b testenv.Backend, db *store.DB) {
		have := map[string]bool{}
		q := `SELECT conname FROM pg_constraint`
		if b.Name() == "sqlite" {
			q = `SELECT sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL`
		}
		for _, s := range testenv.Strings(t, db.Reader(), q) {
			if b.Name() == "postgres" {
				have[s] = true
				continue
			}
			for _, m := range constraintName.FindAllStringSubmatch(s, -1) {
				have[m[1]] = true
			}
		}
		for n := range store.ConstraintRules {
			if !have[n] {
				t.Errorf("store.ConstraintRules names %s, which the migrated database does not have", n)
			}
		}
	})
}

// beforeConstraints is the last migration before 00014.
const beforeConstraints = 13

// openAt opens a fresh database of backend name ("sqlite" or "postgres")
// migrated up to version.
func openAt(t *testing.T, name string, version int64) *store.DB {
	t.Helper()
	b := testenv.Backend{Dir: t.TempDir()}
	if name == "postgres" {
		b = testenv.Backend{URL: testenv.Postgres(t)}
	}
	db := b.Open(t)
	if _, err := db.MigrateTo(context.Background(), nil, version); err != nil {
		t.Fatalf("migrate to %d: %v", version, err)
	}
	return db
}

// rowsAt are goodRows as a database at beforeConstraints takes them (it
// has no policies table).
func rowsAt(t *testing.T, db *store.DB) {
	t.Helper()
	for _, q := range goodRows {
		if strings.HasPrefix(q, "INSERT INTO policies ") {
			continue
		}
		if _, err := db.Writer().ExecContext(context.Background(), instants(db, false, q)); err != nil {
			t.Fatalf("%v\n%s", err, q)
		}
	}
}

// constrainedTables are the tables migration 14 constrains (rebuilt on
// SQLite), each with the columns that order its rows.
var constrainedTables = map[string]string{
	"api_keys": "id", "step_ups": "decision_id, action", "decision_claims": "customer_id, request_id",
	"policy_versions": "policy_id, version", "policy_deployments": "step", "credit_lines": "id", "loans": "id",
	"lending_events": "id", "loan_payments": "id", "ledger_journals": "id", "ledger_lines": "journal_id, line",
	"borrowers": "customer_id", "event_stream": "seq", "event_stream_groups": "grp", "event_stream_acks": "grp, seq",
	"event_journey": "event_id", "event_sms_signals": "customer_id, event_id, kind", "lists": "name", "list_entries": "id",
}

// tableRows reads every row of every constrained table as text.
func tableRows(t *testing.T, db *store.DB) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for table, order := range constrainedTables {
		testenv.Rows(t, db.Reader(), `SELECT * FROM `+table+` ORDER BY `+order, func(cols []*sql.ColumnType, vals []any) {
			var b strings.Builder
			for i, v := range vals {
				if b.Len() > 0 {
					b.WriteString(" | ")
				}
				if s, ok := v.([]byte); ok {
					v = string(s)
				}
				fmt.Fprintf(&b, "%s=%v", cols[i].Name(), v)
			}
			out[table] = append(out[table], b.String())
		})
		if len(out[table]) == 0 {
			t.Fatalf("%s has no rows to carry over", table)
		}
	}
	return out
}

// TestConstraintsMigrationKeepsRows fills a database at version 13 with
// rows of every table migration 14 constrains, migrates it and compares
// every row; the policies of the stored versions are filled in, and on
// SQLite the rebuilt tables keep their indexes and foreign keys are on.
func TestConstraintsMigrationKeepsRows(t *testing.T) {
	withRowsAt(t, beforeConstraints, func(t *testing.T, name string, db *store.DB) {
		ctx := context.Background()
		idx := indexes(t, db)
		before := tableRows(t, db)
		if _, err := db.MigrateTo(ctx, nil, beforeConstraints+1); err != nil {
			t.Fatalf("migrate: %v", err)
		}
		after := tableRows(t, db)
		for table, rows := range before {
			if !slices.Equal(rows, after[table]) {
				t.Errorf("%s changed in the migration:\nbefore %q\nafter  %q", table, rows, after[table])
			}
		}
		var step string
		var at int64
		if err := db.Reader().QueryRowContext(ctx, `SELECT step, created_at FROM policies WHERE id = 'credit'`).Scan(&step, &at); err != nil ||
			step != "application" || at != 1 {
			t.Errorf("policy credit: step %q, created_at %d, %v; want application, 1 (its first version's)", step, at, err)
		}
		for _, ix := range idx {
			if !slices.Contains(indexes(t, db), ix) {
				t.Errorf("index %s is gone after the migration", ix)
			}
		}
		if name == "sqlite" {
			var on int
			if err := db.Writer().QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&on); err != nil || on != 1 {
				t.Errorf("foreign_keys after the migration = %d (%v), want 1", on, err)
			}
			var n int
			if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&n); err != nil || n != 0 {
				t.Errorf("foreign_key_check: %d rows (%v), want none", n, err)
			}
		}
		// The migrated database takes rows that keep the rules and
		// refuses one that breaks them.
		if _, err := db.Writer().ExecContext(ctx, `UPDATE loans SET status = 'closed', outstanding = 0, principal_outstanding = 0 WHERE id = 'ln_1'`); err != nil {
			t.Errorf("closing the loan: %v", err)
		}
		_, err := db.Writer().ExecContext(ctx, `UPDATE loans SET status = 'lost' WHERE id = 'ln_1'`)
		if err := store.Translate(err); !nirnay.IsKind(err, nirnay.KindUnprocessable) {
			t.Errorf("an unknown status after the migration: %v, want unprocessable", err)
		}
	})
}

// TestConstraintsMigrationRefusesBadRows: a row stored before migration 14
// that breaks one of its rules stops the migration, naming the rule, and
// leaves the database usable; once the row is fixed the migration runs
// again and completes.
func TestConstraintsMigrationRefusesBadRows(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, bad, fix string
		want           map[string]string // by backend: what the error names
	}{
		{"check", `UPDATE loans SET status = 'lost' WHERE id = 'ln_1'`, `UPDATE loans SET status = 'active' WHERE id = 'ln_1'`,
			map[string]string{"sqlite": "loans_status_known", "postgres": "loans_status_known"}},
		{"foreign key", `INSERT INTO loan_payments (id, loan_id, idempotency_key, request_hash, kind, amount, paid_on, status, created_at)
			VALUES ('pay_9', 'ln_9', 'k9', 'h', 'payment', 100, '2026-02-05', 'applied', 1)`, `DELETE FROM loan_payments WHERE id = 'pay_9'`,
			map[string]string{"sqlite": sqliteFKCheck, "postgres": "loan_payments_loan_fk"}},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		for _, c := range cases {
			t.Run(name+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				ctx := context.Background()
				db := openAt(t, name, beforeConstraints)
				rowsAt(t, db)
				if _, err := db.Writer().ExecContext(ctx, c.bad); err != nil {
					t.Fatal(err)
				}
				_, err := db.MigrateTo(ctx, nil, beforeConstraints+1)
				if err == nil {
					t.Fatal("the migration accepted a row that breaks a rule")
				}
				if want := c.want[name]; !strings.Contains(err.Error(), want) {
					t.Errorf("migrate: %v, want it to name %s", err, want)
				}
				if name == "sqlite" {
					// Rolled back: still at 13, foreign keys on, the writer free.
					var n int
					if err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE name = 'policies'`).Scan(&n); err != nil || n != 0 {
						t.Errorf("policies table after the failed migration: %d (%v), want none", n, err)
					}
					var on int
					if err := db.Writer().QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&on); err != nil || on != 1 {
						t.Errorf("foreign_keys after the failed migration = %d (%v), want 1", on, err)
					}
				}
				if _, err := db.Writer().ExecContext(ctx, c.fix); err != nil {
					t.Fatalf("fix the row: %v", err)
				}
				if _, err := db.MigrateTo(ctx, nil, beforeConstraints+1); err != nil {
					t.Fatalf("migrate after the fix: %v", err)
				}
				_, err = db.Writer().ExecContext(ctx, c.bad)
				if err := store.Translate(err); !errors.As(err, new(*store.Violation)) {
					t.Errorf("the bad row after the migration: %v, want a violation", err)
				}
			})
		}
	}
}

// withRowsAt runs fn in parallel on a fresh database of each backend,
// migrated to version and holding the rows of rowsAt.
func withRowsAt(t *testing.T, version int64, fn func(t *testing.T, name string, db *store.DB)) {
	t.Parallel()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			db := openAt(t, name, version)
			rowsAt(t, db)
			fn(t, name, db)
		})
	}
}

// indexes lists the named indexes of the constrained tables.
func indexes(t *testing.T, db *store.DB) []string {
	t.Helper()
	q := `SELECT indexname FROM pg_indexes WHERE schemaname <> 'pg_catalog'`
	if db.Dialect == store.SQLite {
		q = `SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%'`
	}
	return testenv.Strings(t, db.Reader(), q)
}

// TestConstraintsMigrationDownAndUpAgain: migration 14's Down leaves a
// database a later run of 14 migrates again (on PostgreSQL the constraints
// of 00012 and 00008 get their old names back and every added constraint
// goes; on SQLite the policies table goes), with the rows kept.
func TestConstraintsMigrationDownAndUpAgain(t *testing.T) {
	withRowsAt(t, beforeConstraints+1, func(t *testing.T, name string, db *store.DB) {
		ctx := context.Background()
		before := tableRows(t, db)
		dialect, opts := goose.DialectSQLite3, []goose.ProviderOption{goose.WithDisableGlobalRegistry(true)}
		if name == "postgres" {
			dialect = goose.DialectPostgres
			opts = append(opts, goose.WithTableName("public.goose_db_version"))
		} else {
			rebuilds, err := migrations.SQLiteGo()
			if err != nil {
				t.Fatal(err)
			}
			opts = append(opts, goose.WithGoMigrations(rebuilds...))
			db.Writer().SetMaxOpenConns(2) // as store.Migrate does for the Go-run migrations
		}
		p, err := goose.NewProvider(dialect, db.Writer(), migrations.For(name), opts...)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, beforeConstraints); err != nil {
			t.Fatalf("down to %d: %v", beforeConstraints, err)
		}
		if name == "sqlite" {
			db.Writer().SetMaxOpenConns(1)
		}
		has := func(q string) bool {
			var n int
			if err := db.Reader().QueryRowContext(ctx, q).Scan(&n); err != nil {
				t.Fatal(err)
			}
			return n > 0
		}
		if name == "postgres" {
			if has(`SELECT COUNT(*) FROM pg_constraint WHERE conname = 'loans_status_known'`) {
				t.Error("loans_status_known survives Down")
			}
			if !has(`SELECT COUNT(*) FROM pg_constraint WHERE conname = 'lists_revision_check'`) {
				t.Error("lists_revision_non_negative is not lists_revision_check again after Down")
			}
		} else if has(`SELECT COUNT(*) FROM sqlite_master WHERE name = 'policies'`) {
			t.Error("the policies table survives Down")
		}
		if _, err := db.MigrateTo(ctx, nil, beforeConstraints+1); err != nil {
			t.Fatalf("migrate again: %v", err)
		}
		if name == "postgres" && !has(`SELECT COUNT(*) FROM pg_constraint WHERE conname = 'lists_revision_non_negative'`) {
			t.Error("lists_revision_non_negative missing after migrating again")
		}
		after := tableRows(t, db)
		for table, rows := range before {
			if table != "policies" && !slices.Equal(rows, after[table]) {
				t.Errorf("%s changed:\nbefore %q\nafter  %q", table, rows, after[table])
			}
		}
	})
}
