package decisionlog

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/store"
)

// partitions lists the attached partitions of table, sorted.
func partitions(t *testing.T, db *store.DB, table string) []string {
	t.Helper()
	return testenv.Strings(t, db.Reader(), `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
		WHERE i.inhparent = $1::regclass AND NOT i.inhdetachpending ORDER BY c.relname`, table)
}

// TestEnsurePartitions: the day end's partitions ahead are created once,
// however often and from however many instances at once it runs; on
// SQLite there is nothing to create.
func TestEnsurePartitions(t *testing.T) {
	testenv.Backends(t, func(t *testing.T, b testenv.Backend, db *store.DB) {
		ctx := context.Background()
		l, err := Open(t.TempDir(), db, Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		now := time.Date(2031, 3, 10, 12, 0, 0, 0, time.UTC)
		created, err := l.EnsurePartitions(ctx, now, PartitionsAhead)
		if db.Dialect == store.SQLite {
			if err != nil || len(created) != 0 {
				t.Fatalf("SQLite: created %v, %v; want nothing", created, err)
			}
			return
		}
		want := []string{"decisions_203103", "decision_rules_203103", "decisions_203104", "decision_rules_203104", "decisions_203105", "decision_rules_203105"}
		if err != nil || !slices.Equal(created, want) {
			t.Fatalf("created %v, %v; want %v", created, err, want)
		}
		if again, err := l.EnsurePartitions(ctx, now, PartitionsAhead); err != nil || len(again) != 0 {
			t.Fatalf("second run created %v, %v; want nothing", again, err)
		}
		// Three instances at once, each with its own pool, for the months
		// after: every partition is made exactly once and none fails.
		var (
			wg    sync.WaitGroup
			mu    sync.Mutex
			total []string
		)
		for range 3 {
			ol := &Log{db: b.Open(t)}
			wg.Add(1)
			go func() {
				defer wg.Done()
				c, err := ol.EnsurePartitions(ctx, now.AddDate(0, 2, 0), PartitionsAhead)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total = append(total, c...)
				mu.Unlock()
			}()
		}
		wg.Wait()
		slices.Sort(total)
		if want := []string{"decision_rules_203106", "decision_rules_203107", "decisions_203106", "decisions_203107"}; !slices.Equal(total, want) {
			t.Fatalf("three instances at once created %v; want %v once each", total, want)
		}
		got := partitions(t, db, "decisions")
		for _, p := range []string{"decisions_203103", "decisions_203104", "decisions_203105", "decisions_203106", "decisions_203107"} {
			if !slices.Contains(got, p) {
				t.Errorf("decisions has partitions %v; want %s among them", got, p)
			}
		}
		// A partition made ahead takes rows like one the migration made,
		// with the parent's constraints.
		r := rec(time.Date(2031, 4, 2, 8, 0, 0, 0, time.UTC), "C-1", "login", nirnay.Approve, "rule_a")
		if err := insertRecords(ctx, db, []*Record{r}, false); err != nil {
			t.Fatal(err)
		}
		bad := rec(time.Date(2031, 4, 2, 9, 0, 0, 0, time.UTC), "C-1", "login", "maybe")
		if err := insertRecords(ctx, db, []*Record{bad}, false); err == nil || !strings.Contains(err.Error(), "decisions_outcome_known") {
			t.Fatalf("outcome maybe in a partition made ahead: %v; want decisions_outcome_known to refuse it", err)
		}
	})
}

// TestShipperCreatesMissingMonth: a decision of a month that has no
// partition yet (nobody made it ahead) ships all the same, and a decision
// whose id does not carry its month is still found by id.
func TestShipperCreatesMissingMonth(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		l, err := Open(t.TempDir(), db, Options{Linger: time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		far := rec(time.Date(2033, 1, 15, 10, 0, 0, 0, time.UTC), "C-7", "kyc", nirnay.Review, "pan_mismatch")
		odd := rec(time.Date(2026, 9, 30, 23, 59, 0, 0, time.UTC), "C-7", "kyc", nirnay.Approve)
		odd.DecidedAt = time.Date(2034, 2, 1, 0, 0, 0, 0, time.UTC) // decided months after its id says
		if err := l.Append(far, odd); err != nil {
			t.Fatal(err)
		}
		stop := runShipper(t, l)
		waitShipped(t, l)
		stop()
		for _, r := range []*Record{far, odd} {
			got, err := l.Get(ctx, r.ID)
			if err != nil || !got.DecidedAt.Equal(r.DecidedAt) || string(got.Body) != string(r.Body) {
				t.Fatalf("get %s: %+v, %v; want it shipped as appended", r.ID, got, err)
			}
		}
		if items, _, err := l.List(ctx, Filter{Rule: "pan_mismatch"}); err != nil || len(items) != 1 || items[0].ID != far.ID {
			t.Fatalf("list by rule: %v, %v; want %s", items, err, far.ID)
		}
		if db.Dialect == store.Postgres {
			got := partitions(t, db, "decisions")
			if !slices.Contains(got, "decisions_203301") || !slices.Contains(got, "decisions_203402") {
				t.Fatalf("partitions %v; want decisions_203301 and decisions_203402 made on demand", got)
			}
		}
	})
}

// TestDecisionConstraints: every step, outcome and role the code knows is
// accepted by the CHECK constraints of migration 16, on both backends, and
// values outside them are refused by the constraint named; a shadow names
// its parent.
func TestDecisionConstraints(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		at := time.Now().UTC()
		var recs []*Record
		for i, step := range rules.Steps {
			for j, o := range nirnay.Outcomes {
				r := rec(at.Add(time.Duration(i*10+j)*time.Millisecond), "C-1", step, o)
				if j%2 == 1 {
					r.Role = nirnay.RoleChallenger
				}
				s := rec(r.DecidedAt, "C-1", step, o)
				s.ID, s.ParentID, s.Role = r.ID+".s1", r.ID, nirnay.RoleShadow
				recs = append(recs, r, s)
			}
		}
		if err := insertRecords(ctx, db, recs, false); err != nil {
			t.Fatalf("every step × outcome × role: %v", err)
		}
		for _, c := range []struct {
			name       string
			edit       func(*Record)
			constraint string
		}{
			{"unknown step", func(r *Record) { r.Step = "teleport" }, "decisions_step_known"},
			{"unknown outcome", func(r *Record) { r.Outcome = "maybe" }, "decisions_outcome_known"},
			{"unknown role", func(r *Record) { r.Role = "boss" }, "decisions_role_known"},
			{"shadow without parent", func(r *Record) { r.Role = nirnay.RoleShadow }, "decisions_parent_when_shadow"},
			{"champion with parent", func(r *Record) { r.ParentID = "dec_x" }, "decisions_parent_when_shadow"},
			{"version 0", func(r *Record) { r.PolicyVersion = 0 }, "decisions_policy_version_positive"},
			{"no customer", func(r *Record) { r.CustomerID = "" }, "decisions_customer_present"},
			{"body not an object", func(r *Record) { r.Body = []byte(`[1]`) }, "decisions_body_object"},
			{"empty rule id", func(r *Record) { r.Rules = []string{""} }, "decision_rules_rule_present"},
		} {
			r := rec(at.Add(time.Hour), "C-2", "login", nirnay.Approve, "rule_a")
			c.edit(r)
			if err := insertRecords(ctx, db, []*Record{r}, false); err == nil || !strings.Contains(err.Error(), c.constraint) {
				t.Errorf("%s: %v; want it refused by %s", c.name, err, c.constraint)
			}
		}
		if db.Dialect == store.Postgres {
			// PostgreSQL checks the whole body is JSON (the column is json).
			r := rec(at.Add(time.Hour), "C-2", "login", nirnay.Approve)
			r.Body = []byte(`{"a":`)
			if err := insertRecords(ctx, db, []*Record{r}, false); err == nil || !strings.Contains(err.Error(), "json") {
				t.Errorf("a body that is not JSON: %v; want it refused", err)
			}
		}
	})
}

// TestMigrationKeepsDecisions fills the decisions tables as release 15
// left them (instants in microseconds, bodies as TEXT), migrates, and
// reads every row back unchanged through the log: by id, by rule, by
// customer and window; on PostgreSQL each month went to its partition.
func TestMigrationKeepsDecisions(t *testing.T) {
	for _, b := range []string{"sqlite", "postgres"} {
		t.Run(b, func(t *testing.T) {
			ctx := context.Background()
			url := ""
			if b == "postgres" {
				url = testenv.Postgres(t)
			}
			db, err := store.Open(ctx, url, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			if _, err := db.MigrateTo(ctx, nil, 15); err != nil {
				t.Fatal(err)
			}
			var old []*Record
			for i, at := range []time.Time{
				time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC),             // a month's first microsecond
				time.Date(2026, 9, 30, 23, 59, 59, 999999000, time.UTC), // and its last
				time.Date(2026, 10, 15, 6, 30, 0, 123456000, time.UTC),
				time.Date(2026, 12, 3, 18, 0, 0, 1000, time.UTC),
			} {
				r := rec(at, fmt.Sprintf("C-%d", i%2), "application", nirnay.Decline, "high_foir", fmt.Sprintf("rule_%d", i))
				r.Body = []byte(fmt.Sprintf(`{"response": {"decision_id":"%s", "n": %d},  "input":{"pan":"XXXXXX234F"}}`, r.ID, i))
				s := rec(at, r.CustomerID, "application", nirnay.Approve)
				s.ID, s.ParentID, s.Role = r.ID+".s1", r.ID, nirnay.RoleShadow
				old = append(old, r, s)
			}
			for _, r := range old {
				var parent any
				if r.ParentID != "" {
					parent = r.ParentID
				}
				if _, err := db.Writer().ExecContext(ctx, `INSERT INTO decisions (id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version, role, score, decided_at, body)
					VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`, r.ID, parent, r.RequestID, r.CustomerID, r.Step, r.Outcome,
					r.PolicyID, r.PolicyVersion, r.Role, r.Score, r.DecidedAt.UnixMicro(), string(r.Body)); err != nil {
					t.Fatal(err)
				}
				for _, rule := range r.Rules {
					if _, err := db.Writer().ExecContext(ctx, `INSERT INTO decision_rules (decision_id, rule_id, decided_at) VALUES ($1, $2, $3)`,
						r.ID, rule, r.DecidedAt.UnixMicro()); err != nil {
						t.Fatal(err)
					}
				}
			}
			applied, err := db.Migrate(ctx, nil)
			if err != nil || !slices.Contains(applied, 16) {
				t.Fatalf("migrate: applied %v, %v; want 16 among them", applied, err)
			}
			l, err := Open(t.TempDir(), db, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			for _, r := range old {
				got, err := l.Get(ctx, r.ID)
				if err != nil {
					t.Fatalf("get %s after the migration: %v", r.ID, err)
				}
				if got.ID != r.ID || got.ParentID != r.ParentID || got.RequestID != r.RequestID || got.CustomerID != r.CustomerID ||
					got.Step != r.Step || got.Outcome != r.Outcome || got.PolicyID != r.PolicyID || got.PolicyVersion != r.PolicyVersion ||
					got.Role != r.Role || got.Score != r.Score || !got.DecidedAt.Equal(r.DecidedAt) || string(got.Body) != string(r.Body) {
					t.Errorf("after the migration %s reads\n %+v (body %s)\nwant\n %+v (body %s)", r.ID, got, got.Body, r, r.Body)
				}
			}
			for i := range 4 {
				items, _, err := l.List(ctx, Filter{Rule: fmt.Sprintf("rule_%d", i)})
				if err != nil || len(items) != 1 || items[0].ID != old[2*i].ID {
					t.Errorf("rule_%d: %v, %v; want %s", i, items, err, old[2*i].ID)
				}
			}
			items, _, err := l.List(ctx, Filter{Rule: "high_foir", From: old[0].DecidedAt, To: old[6].DecidedAt})
			if err != nil || len(items) != 3 || items[0].ID != old[4].ID || items[2].ID != old[0].ID {
				t.Errorf("high_foir in [Sep 1, Dec 3): %v, %v; want the three decisions of Sep–Oct, newest first", items, err)
			}
			items, _, err = l.List(ctx, Filter{CustomerID: "C-1", From: old[2].DecidedAt, To: old[2].DecidedAt.Add(time.Microsecond)})
			if err != nil || len(items) != 2 {
				t.Errorf("C-1 at Sep 30 23:59:59.999999: %v, %v; want the decision and its shadow", items, err)
			}
			if db.Dialect == store.Postgres {
				now := monthOf(time.Now())
				got := partitions(t, db, "decisions")
				for _, m := range []time.Time{old[0].DecidedAt, old[4].DecidedAt, old[6].DecidedAt, now, now.AddDate(0, 1, 0)} {
					if p := partitionName("decisions", monthOf(m)); !slices.Contains(got, p) {
						t.Errorf("partitions %v; want %s", got, p)
					}
				}
				var n int
				if err := db.Reader().QueryRow(`SELECT count(*) FROM ` + partitionName("decisions", monthOf(old[0].DecidedAt))).Scan(&n); err != nil || n != 4 {
					t.Errorf("September's partition holds %d rows (%v); want 4", n, err)
				}
			}
		})
	}
}
