package decisionlog

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// TestShipPartlyShippedBatch: a batch some or all of whose records are in
// the database already (shipped before a crash lost the checkpoint, by
// another instance, or twice within the batch) ships what is missing and
// duplicates nothing, also when it holds a month without a partition; the
// hooks see the whole batch in the transaction that commits it.
func TestShipPartlyShippedBatch(t *testing.T) {
	testenv.ParallelDBs(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		base := time.Now().UTC().Truncate(time.Second)
		for i, c := range []struct {
			name          string
			first, second []int // indexes into the case's records; 5 is in a month with no partition
			want          int   // distinct decisions
		}{
			{"shipped again whole", []int{0, 1, 2}, []int{0, 1, 2}, 3},
			{"overlapping a shipped one", []int{0, 1}, []int{1, 2, 3}, 4},
			{"a record twice in one batch", nil, []int{0, 0, 1}, 2},
			{"overlap and a new month", []int{0}, []int{0, 5}, 2},
			{"nothing shipped before", nil, []int{0, 1, 2, 3, 4}, 5},
		} {
			t.Run(c.name, func(t *testing.T) {
				customer := fmt.Sprintf("C-%d", i)
				var recs []*Record
				for j := range 6 {
					at := base.Add(time.Duration(i*10+j) * time.Millisecond)
					if j == 5 {
						at = time.Date(2035+i, 3, 1, 0, 0, 0, 0, time.UTC)
					}
					recs = append(recs, rec(at, customer, "application", nirnay.Decline, "high_foir", fmt.Sprintf("rule_%d", j)))
				}
				pick := func(idx []int) []*Record {
					var out []*Record
					for _, j := range idx {
						out = append(out, recs[j])
					}
					return out
				}
				if len(c.first) > 0 {
					if err := insertRecords(ctx, db, pick(c.first), false); err != nil {
						t.Fatalf("first batch: %v", err)
					}
				}
				var hooked []*Record
				hook := func(_ context.Context, _ *sql.Tx, batch []*Record) error { hooked = batch; return nil }
				second := pick(c.second)
				if err := insertRecords(ctx, db, second, false, hook); err != nil {
					t.Fatalf("second batch: %v", err)
				}
				if len(hooked) != len(second) {
					t.Errorf("the hook saw %d records; want the batch's %d", len(hooked), len(second))
				}
				var decisions, rules int
				if err := db.Reader().QueryRowContext(ctx, `SELECT count(*), count(DISTINCT id) FROM decisions WHERE customer_id = $1`, customer).Scan(&decisions, new(int)); err != nil {
					t.Fatal(err)
				}
				if err := db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM decision_rules r WHERE r.decision_id IN (SELECT id FROM decisions WHERE customer_id = $1)`, customer).Scan(&rules); err != nil {
					t.Fatal(err)
				}
				if decisions != c.want || rules != 2*c.want {
					t.Fatalf("got %d decisions with %d rule rows; want %d with %d", decisions, rules, c.want, 2*c.want)
				}
				l := &Log{db: db}
				for _, r := range second {
					got, err := l.getHot(ctx, r.ID)
					if err != nil || !got.DecidedAt.Equal(r.DecidedAt) || string(got.Body) != string(r.Body) || got.Outcome != r.Outcome {
						t.Fatalf("get %s: %+v, %v; want it as shipped", r.ID, got, err)
					}
				}
			})
		}
	})
}

// TestShipBeforeMigration16 ships to a PostgreSQL database as release 15
// left it (instants in microseconds, bodies as TEXT, no partitions), a
// batch and then one overlapping it, as the service does until it is
// migrated.
func TestShipBeforeMigration16(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := store.Open(ctx, testenv.Postgres(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateTo(ctx, nil, 15); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 10, 15, 6, 30, 0, 123456000, time.UTC)
	a := rec(at, "C-1", "application", nirnay.Decline, "high_foir")
	b := rec(at.Add(time.Second), "C-1", "application", nirnay.Approve)
	for _, batch := range [][]*Record{{a}, {a, b}} {
		if err := insertRecords(ctx, db, batch, false); err != nil {
			t.Fatalf("ship %d records: %v", len(batch), err)
		}
	}
	rows, err := db.Reader().QueryContext(ctx, `SELECT id, decided_at, body FROM decisions ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []string
	for rows.Next() {
		var id, body string
		var micros int64
		if err := rows.Scan(&id, &micros, &body); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s %d %s", id, micros, body))
	}
	want := []string{
		fmt.Sprintf("%s %d %s", a.ID, a.DecidedAt.UnixMicro(), a.Body),
		fmt.Sprintf("%s %d %s", b.ID, b.DecidedAt.UnixMicro(), b.Body),
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("decisions hold\n %q\nwant\n %q", got, want)
	}
	var rules int
	if err := db.Reader().QueryRowContext(ctx, `SELECT count(*) FROM decision_rules WHERE decided_at = $1`, a.DecidedAt.UnixMicro()).Scan(&rules); err != nil || rules != 1 {
		t.Fatalf("%d rule rows (%v); want 1, at the decision's microsecond", rules, err)
	}
}

// TestBodiesCompressedWithLz4: on PostgreSQL a body large enough to be
// compressed is compressed with lz4 (migration 20), in a month partition
// the migrations made and in one the shipper made on demand, and reads
// back with its bytes.
func TestBodiesCompressedWithLz4(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testenv.Backend{URL: testenv.Postgres(t)}.Open(t)
	if _, err := db.Migrate(ctx, nil); err != nil {
		t.Fatal(err)
	}
	var lz4 bool
	if err := db.Reader().QueryRowContext(ctx, `SELECT 'lz4' = ANY (enumvals) FROM pg_settings WHERE name = 'default_toast_compression'`).Scan(&lz4); err != nil || !lz4 {
		t.Skipf("this PostgreSQL has no lz4 (%v)", err)
	}
	body := []byte(`{"features":[` + strings.Repeat(`{"name":"bureau_score","value":643,"age_ms":2781,"state":"present"},`, 45) + `{}]}`)
	now := rec(time.Now().UTC(), "C-1", "application", nirnay.Decline)
	far := rec(time.Date(2036, 7, 4, 0, 0, 0, 0, time.UTC), "C-1", "application", nirnay.Decline)
	for _, r := range []*Record{now, far} {
		r.Body = body
	}
	if err := insertRecords(ctx, db, []*Record{now, far}, false); err != nil {
		t.Fatal(err)
	}
	l := &Log{db: db}
	for _, r := range []*Record{now, far} {
		var method string
		if err := db.Reader().QueryRowContext(ctx, `SELECT coalesce(pg_column_compression(body), 'none') FROM decisions WHERE id = $1`, r.ID).Scan(&method); err != nil || method != "lz4" {
			t.Errorf("body of %s (decided %s) compressed with %q (%v); want lz4", r.ID, r.DecidedAt.Format("2006-01"), method, err)
		}
		if got, err := l.getHot(ctx, r.ID); err != nil || string(got.Body) != string(body) {
			t.Errorf("get %s: %v; want its body as shipped", r.ID, err)
		}
	}
}
