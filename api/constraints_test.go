package api

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/store"
)

// TestPolicyStepRaceIsAConflict uploads a version of a new policy id while
// another transaction, not yet committed, stores a version of the same id
// for another journey step. The upload's own check cannot see that version;
// on PostgreSQL only the database catches it (a version references its
// policy's (id, step), policy_versions_policy_fk), and the answer is 409
// naming the constraint, not a 500. SQLite serialises the two writers, so
// the upload sees the other version and answers the upload's own 422.
func TestPolicyStepRaceIsAConflict(t *testing.T) {
	govBackends(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		f := newGovFixture(t, db)
		src := strings.Replace(shippedAs(t, 2), "\nid: credit-underwriting\n", "\nid: race-policy\n", 1)

		other, err := db.Writer().BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback()
		if _, err := other.ExecContext(ctx, `INSERT INTO policy_versions (policy_id, version, step, status, source, sha256, author_id,
			author_name, created_at, updated_at) VALUES ('race-policy', 1, 'login', 'draft', 'src', 's', 'ravi', 'Ravi', $1, $1)`, store.Instant(time.Now())); err != nil {
			t.Fatal(err)
		}
		done := make(chan httpAnswer, 1)
		go func() {
			code, body := f.call(t, "asha", "POST", "/v1/policies", yamlType, src, nil)
			done <- httpAnswer{code, body}
		}()
		if db.Dialect == store.Postgres {
			waitForLockWait(t, db, done)
		} else {
			time.Sleep(100 * time.Millisecond) // the upload waits for the one writer
		}
		if err := other.Commit(); err != nil {
			t.Fatal(err)
		}
		a := <-done
		want, detail := http.StatusUnprocessableEntity, "keeps its journey step"
		if db.Dialect == store.Postgres {
			want, detail = http.StatusConflict, "policy_versions_policy_fk"
		}
		if a.code != want || !strings.Contains(a.body, detail) {
			t.Errorf("upload of race-policy for step application: %d %s, want %d naming %q", a.code, a.body, want, detail)
		}
	})
}

// httpAnswer is the status and body of an answer.
type httpAnswer struct {
	code int
	body string
}

// waitForLockWait waits until a connection of the test's database waits
// for a lock (the upload, on the other transaction's policy row), failing
// when the upload answers first or after five seconds.
func waitForLockWait(t *testing.T, db *store.DB, done <-chan httpAnswer) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		var n int
		if err := db.Reader().QueryRowContext(context.Background(), `SELECT COUNT(*) FROM pg_stat_activity
			WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
		select {
		case a := <-done:
			t.Fatalf("the upload answered %d %s before the other transaction committed", a.code, a.body)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("the upload never waited for the other transaction")
}
