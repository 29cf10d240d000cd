package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// releasedCommit is the release before the second wave's data model (its
// last migration is releasedVersion): a database it filled must come
// through every later migration with each of its rows.
const (
	releasedCommit  = "eacd446226c631a2b0d8841b8acabf8134d91525"
	releasedVersion = 12
)

// replacedTables are tables of the released version that later migrations
// replace on a backend, with where their rows went (checked by the tests of
// the migration that replaced them).
var replacedTables = map[string]string{}

// TestUpgradeKeepsEveryRow fills a database with the released build itself
// (built from releasedCommit) — `serve --demo`'s keys, policies, customers
// and lists, decisions, a loan taken from application to a payment, the
// decision log shipped — then applies every later migration and checks
// that each row of each table is still there with the same values (an
// instant the same microsecond, a JSON document the same document, whatever
// type the column has become), that PostgreSQL now keeps each module's
// tables in its schema, and that this build's service reads the migrated
// database: the decision by id, the loan, its ledger and the customer's
// journey.
func TestUpgradeKeepsEveryRow(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the released version and runs it")
	}
	bin := releasedBinary(t)
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			cfg := config{DataDir: t.TempDir()}
			if name == "postgres" {
				cfg.DatabaseURL = testenv.Postgres(t)
			}
			d, stop := runReleased(t, bin, cfg)
			a := applyUntilApproved(d, 0)
			loanID, cust := a.loan["id"].(string), a.rec.CustomerID
			account := a.rec.Entities["bank_account"]
			kfs := d.must(http.StatusOK, "GET", "/v1/loans/"+loanID+"/kfs", "service", "", nil)
			d.must(http.StatusOK, "POST", "/v1/loans/"+loanID+"/accept", "service", "up-accept",
				map[string]any{"kfs_digest": kfs["kfs_digest"], "agreed": true, "account_hash": account, "account_verified": true})
			d.must(http.StatusOK, "POST", "/v1/loans/"+loanID+"/disburse", "service", "up-disburse", map[string]any{"account_hash": account})
			pay := d.must(http.StatusCreated, "POST", "/v1/loans/"+loanID+"/payments", "service", "up-pay",
				map[string]any{"amount": "1000.00", "payment_mode": "upi"})
			decisionID, _ := pay["decision_id"].(string)
			waitJourney(d, cust, "decision repayment")
			stop()

			ctx := context.Background()
			db, err := store.Open(ctx, cfg.DatabaseURL, cfg.DataDir)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			before := snapshot(t, db)
			if n := len(before["decisions"]); n == 0 {
				t.Fatal("the released version stored no decision: nothing to carry over")
			}
			if _, err := db.Migrate(ctx, nil); err != nil {
				t.Fatalf("migrate from %d: %v", releasedVersion, err)
			}
			after := snapshot(t, db)
			compareSnapshots(t, before, after)
			if name == "postgres" {
				checkModuleSchemas(t, db)
			}

			d = startOn(t, db, cfg)
			if got := d.must(http.StatusOK, "GET", "/v1/decisions/"+decisionID, "ops", "", nil); got["decision_id"] != decisionID {
				t.Errorf("decision %s read back as %v", decisionID, got["decision_id"])
			}
			if l := d.must(http.StatusOK, "GET", "/v1/loans/"+loanID, "ops", "", nil); l["status"] != "active" {
				t.Errorf("loan %s status %v after the upgrade, want active", loanID, l["status"])
			}
			ledger := d.must(http.StatusOK, "GET", "/v1/loans/"+loanID+"/ledger", "ops", "", nil)
			if js, _ := ledger["journals"].([]any); len(js) != 2 {
				t.Errorf("ledger of %s has %d journals after the upgrade, want 2 (disbursal, payment)", loanID, len(js))
			}
			if got := journeyOf(d, cust); !containsInOrder(got, []string{"decision application", "lending disbursed", "decision repayment"}) {
				t.Errorf("journey of %s after the upgrade: %v", cust, got)
			}
		})
	}
}

// releasedBinary builds the nirnay command of releasedCommit from this
// repository's history (once per machine: it is kept in the user's cache
// directory) and returns its path. Without git or the commit the test is
// skipped, or fails under CI.
func releasedBinary(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	bin := filepath.Join(cache, "nirnay-test", "nirnay-"+releasedCommit[:12])
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	src := t.TempDir()
	archive := exec.Command("sh", "-c", `git -C "$1" archive "$2" | tar -x -C "$3"`, "sh", "../..", releasedCommit, src)
	if out, err := archive.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("cannot check out the released version %.12s from git: %v: %s", releasedCommit, err, out)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip("SKIPPED — " + msg)
	}
	tmp := bin + fmt.Sprintf(".%d", os.Getpid())
	build := exec.Command("go", "build", "-o", tmp, "./cmd/nirnay")
	build.Dir = src
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build the released version: %v: %s", err, out)
	}
	if err := os.Rename(tmp, bin); err != nil {
		t.Fatal(err)
	}
	return bin
}

// runReleased starts the released build's `serve --demo` on cfg's database
// and waits until it is ready; stop ends it (SIGTERM) and waits.
func runReleased(t *testing.T, bin string, cfg config) (d *demoServer, stop func()) {
	t.Helper()
	addr := freeAddr(t)
	logPath := filepath.Join(t.TempDir(), "released.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "serve", "--demo")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "NIRNAY_HTTP_ADDR=" + addr,
		"NIRNAY_DATA_DIR=" + cfg.DataDir, "NIRNAY_DATABASE_URL=" + cfg.DatabaseURL, "NIRNAY_LOG_LEVEL=warn"}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	stop = func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	t.Cleanup(stop)
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-done:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("the released version exited before it was ready:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("the released version not ready after %v", readyTimeout)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return &demoServer{url: "http://" + addr, t: t}, stop
}

// waitJourney waits (up to 15 s) until the customer's journey holds an
// entry "kind type", that is until the decision log has shipped it.
func waitJourney(d *demoServer, customer, entry string) {
	d.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !slices.Contains(journeyOf(d, customer), entry) {
		if time.Now().After(deadline) {
			d.t.Fatalf("journey of %s has no %q after 15 s", customer, entry)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// secondsColumns hold whole unix seconds where they are integers (SQLite;
// PostgreSQL before migration 15): their instants compare as seconds.
var secondsColumns = map[string]bool{"feature_aggregates.expires_at": true, "feature_events_seen.expires_at": true, "event_sms_signals.at": true}

// tableRows are a table's rows, each as its columns' values in a canonical
// text form (see canonical), keyed by column name.
type tableRows []map[string]string

// snapshot reads every row of every Nirnay table (goose's own excepted).
func snapshot(t *testing.T, db *store.DB) map[string]tableRows {
	t.Helper()
	q := `SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> 'goose_db_version'`
	if db.Dialect == store.Postgres {
		q = `SELECT tablename FROM pg_tables WHERE schemaname = ANY (current_schemas(false)) AND tablename <> 'goose_db_version'`
	}
	names := testenv.Strings(t, db.Reader(), q)
	out := make(map[string]tableRows, len(names))
	for _, name := range names {
		var all tableRows
		testenv.Rows(t, db.Reader(), "SELECT * FROM "+name, func(cols []*sql.ColumnType, vals []any) {
			row := make(map[string]string, len(cols))
			for i, c := range cols {
				v := vals[i]
				if at, ok := v.(time.Time); ok && secondsColumns[name+"."+c.Name()] {
					v = at.Unix()
				}
				row[c.Name()] = canonical(v, c.DatabaseTypeName())
			}
			all = append(all, row)
		})
		out[name] = all
	}
	return out
}

// canonical writes a column value so that the same value compares equal
// whatever type holds it: an instant (timestamptz, or BIGINT unix
// microseconds) as its microseconds, a date as YYYY-MM-DD, a JSON document
// (jsonb, or TEXT holding JSON) re-encoded with sorted keys, anything else
// as its text.
func canonical(v any, dbType string) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		if dbType == "DATE" {
			return x.Format(time.DateOnly)
		}
		return fmt.Sprint(x.UnixMicro())
	case []byte:
		v = string(x)
	}
	s := fmt.Sprint(v)
	if strings.HasPrefix(s, "{") || strings.HasPrefix(s, "[") {
		var doc any
		if json.Unmarshal([]byte(s), &doc) == nil {
			b, _ := json.Marshal(doc) // maps marshal with sorted keys
			return string(b)
		}
	}
	return s
}

// compareSnapshots checks that every row of before is in after, column by
// column (columns a later migration added are not compared).
func compareSnapshots(t *testing.T, before, after map[string]tableRows) {
	t.Helper()
	for name, rows := range before {
		got, ok := after[name]
		if !ok {
			if _, replaced := replacedTables[name]; !replaced {
				t.Errorf("table %s (%d rows) is gone after the upgrade", name, len(rows))
			}
			continue
		}
		if len(got) != len(rows) {
			t.Errorf("table %s: %d rows before the upgrade, %d after", name, len(rows), len(got))
		}
		if len(rows) == 0 {
			continue
		}
		key := func(r, cols map[string]string) string {
			parts := make([]string, 0, len(cols))
			for c := range cols {
				parts = append(parts, c+"="+r[c])
			}
			slices.Sort(parts)
			return strings.Join(parts, "\x00")
		}
		have := map[string]int{}
		for _, r := range got {
			have[key(r, rows[0])]++
		}
		missing := 0
		for _, r := range rows {
			k := key(r, r)
			if have[k] == 0 {
				if missing++; missing <= 3 {
					t.Errorf("table %s: row lost or changed by the upgrade: %v", name, r)
				}
				continue
			}
			have[k]--
		}
		if missing > 3 {
			t.Errorf("table %s: %d rows lost or changed in all", name, missing)
		}
	}
}

// checkModuleSchemas checks that each module's tables are in its schema and
// none is left in public but goose's version table.
func checkModuleSchemas(t *testing.T, db *store.DB) {
	t.Helper()
	want := map[string]string{"api_keys": "auth", "decisions": "decisions", "decision_claims": "decisions",
		"feature_values": "features", "policy_versions": "governance", "loans": "lending", "ledger_lines": "lending",
		"outbox": "events", "event_journey": "events", "list_entries": "lists", "once_runs": "ops"}
	for table, schema := range want {
		got := testenv.Strings(t, db.Reader(), `SELECT schemaname FROM pg_tables WHERE tablename = '`+table+`'`)
		if !slices.Equal(got, []string{schema}) {
			t.Errorf("table %s is in schema %v, want %s", table, got, schema)
		}
	}
	if left := testenv.Strings(t, db.Reader(), `SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'goose_db_version'`); len(left) > 0 {
		t.Errorf("tables left in public: %v", left)
	}
	for _, s := range store.Schemas {
		if n := testenv.Strings(t, db.Reader(), `SELECT nspname FROM pg_namespace WHERE nspname = '`+s+`'`); len(n) != 1 {
			t.Errorf("schema %s missing", s)
		}
	}
}
