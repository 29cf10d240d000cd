package decisionlog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/nirnay/nirnay/internal/ids"
	"github.com/nirnay/nirnay/store"
)

// On PostgreSQL decisions and decision_rules are partitioned by month of
// decided_at in UTC (migration 16): partition decisions_YYYYMM holds
// [YYYY-MM-01, next month's first), in the schema of its parent, and
// decision_rules_YYYYMM beside it. There is no DEFAULT partition: a row
// there would stop its month's partition from being created later (and
// every creation would scan it under lock), and the cold tier detaches
// whole months. Instead the day-end event creates the months ahead
// (EnsurePartitions) and the shipper creates a month it finds missing.

// PartitionsAhead is how many months after the current one the day-end
// event keeps partitions for.
const PartitionsAhead = 2

// partitioned are the tables partitioned by month, parent names.
var partitioned = []string{"decisions", "decision_rules"}

// monthOf is the first instant of t's month, UTC.
func monthOf(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// partitionName is the partition of table for the month starting at m.
func partitionName(table string, m time.Time) string {
	return fmt.Sprintf("%s_%04d%02d", table, m.Year(), int(m.Month()))
}

var partitionRE = regexp.MustCompile(`^decisions_(\d{4})(\d{2})$`)

// partitionMonth is the month a decisions partition name stands for.
func partitionMonth(name string) (time.Time, bool) {
	m := partitionRE.FindStringSubmatch(name)
	if m == nil {
		return time.Time{}, false
	}
	t, err := time.Parse("2006-01", m[1]+"-"+m[2])
	return t, err == nil
}

// idMonth is the month of the time a decision id carries (a shadow's id
// is its decision's with ".sN").
func idMonth(id string) (time.Time, bool) {
	base, _, _ := strings.Cut(id, ".")
	if !strings.HasPrefix(base, "dec_") {
		return time.Time{}, false
	}
	t, err := ids.Time(base)
	if err != nil {
		return time.Time{}, false
	}
	return monthOf(t), true
}

// isNoPartition reports whether err is PostgreSQL refusing a row for
// which no partition exists.
func isNoPartition(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "23514" && strings.HasPrefix(pgErr.Message, "no partition of relation")
}

// EnsurePartitions makes sure the month partitions of decisions and
// decision_rules exist for the month of now and the ahead months after it
// (PostgreSQL; on SQLite, or a database not yet migrated to partitions, it
// does nothing). It returns the partitions it created. It is idempotent
// and safe to run from several instances at once: creation is serialised
// by a transaction advisory lock, and a partition that exists is left
// alone.
func (l *Log) EnsurePartitions(ctx context.Context, now time.Time, ahead int) ([]string, error) {
	if l.db.Dialect != store.Postgres {
		return nil, nil
	}
	var kind string
	if err := l.db.Reader().QueryRowContext(ctx, `SELECT relkind::text FROM pg_class WHERE oid = 'decisions'::regclass`).Scan(&kind); err != nil || kind != "p" {
		return nil, store.Translate(err)
	}
	months := make([]time.Time, 0, ahead+1)
	for i := range ahead + 1 {
		months = append(months, monthOf(now).AddDate(0, i, 0))
	}
	return ensureMonths(ctx, l.db, months)
}

// ensureMonths creates the partitions of months that do not exist yet, in
// one transaction. A partition is made as a table like its parent (its
// defaults, constraints and the body's compression, lz4 from migration
// 19), then attached: attaching locks the parent SHARE UPDATE EXCLUSIVE,
// so reads and shipping go on meanwhile (CREATE TABLE … PARTITION OF
// would lock it ACCESS EXCLUSIVE). A lock wait over lockWait gives up (and
// the caller retries) rather than queue every reader of the table behind
// it. A month whose partition exists but is detached (an archive run is
// exporting it) is an error: its rows wait until the archive run has
// dropped it.
func ensureMonths(ctx context.Context, db *store.DB, months []time.Time) (created []string, err error) {
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		created = created[:0]
		if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtextextended('nirnay decision partitions', 7))`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `SET LOCAL lock_timeout = '`+lockWait+`'`); err != nil {
			return err
		}
		schema, err := decisionsSchema(ctx, tx)
		if err != nil {
			return err
		}
		for _, m := range months {
			for _, table := range partitioned {
				name := partitionName(table, m)
				attached, exists, err := partitionState(ctx, tx, schema, table, name)
				switch {
				case err != nil:
					return err
				case attached:
					continue
				case exists:
					return fmt.Errorf("partition %s.%s is detached (being archived); its rows ship once the archive run has dropped it", schema, name)
				}
				part, parent := qualified(schema, name), qualified(schema, table)
				if _, err := tx.ExecContext(ctx, `CREATE TABLE `+part+` (LIKE `+parent+` INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING COMPRESSION)`); err != nil {
					return fmt.Errorf("create %s: %w", name, err)
				}
				if _, err := tx.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s ATTACH PARTITION %s FOR VALUES FROM ('%s') TO ('%s')`,
					parent, part, m.Format(time.RFC3339), m.AddDate(0, 1, 0).Format(time.RFC3339))); err != nil {
					return fmt.Errorf("attach %s: %w", name, err)
				}
				created = append(created, name)
			}
		}
		return nil
	})
	return created, err
}

// qualified is schema.name, quoted.
func qualified(schema, name string) string { return pgx.Identifier{schema, name}.Sanitize() }

// lockWait bounds how long partition maintenance waits for a table lock.
const lockWait = "5s"

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// decisionsSchema is the schema the decisions table is found in (by the
// connection's search_path); its partitions live beside it.
func decisionsSchema(ctx context.Context, q querier) (string, error) {
	var schema string
	err := q.QueryRowContext(ctx, `SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.oid = 'decisions'::regclass`).Scan(&schema)
	return schema, err
}

// partitionState reports whether schema.name exists and whether it is
// attached to schema.table as a partition (a detach in progress counts as
// detached).
func partitionState(ctx context.Context, q querier, schema, table, name string) (attached, exists bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_inherits i WHERE i.inhrelid = c.oid AND NOT i.inhdetachpending
			AND i.inhparent = (SELECT p.oid FROM pg_class p JOIN pg_namespace pn ON pn.oid = p.relnamespace WHERE pn.nspname = $1 AND p.relname = $3)),
		true
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 AND c.relname = $2`,
		schema, name, table).Scan(&attached, &exists)
	if errors.Is(err, sql.ErrNoRows) {
		return false, false, nil
	}
	return attached, exists, err
}

// getDetached reads a decision from its month's partition while that is
// detached: between an archive run's detach and its drop (or after a run
// that stopped there). nil when there is no such table or it holds no
// such decision.
func (l *Log) getDetached(ctx context.Context, id string) (*Record, error) {
	m, ok := idMonth(id)
	if !ok {
		return nil, nil
	}
	schema, err := decisionsSchema(ctx, l.db.Reader())
	if err != nil {
		return nil, store.Translate(err)
	}
	name := partitionName("decisions", m)
	attached, exists, err := partitionState(ctx, l.db.Reader(), schema, "decisions", name)
	if err != nil || attached || !exists {
		return nil, store.Translate(err)
	}
	row := l.db.Reader().QueryRowContext(ctx, `SELECT `+recordColumns+` FROM `+qualified(schema, name)+` d WHERE d.id = $1`, id)
	r, err := scanRecord(row)
	var pgErr *pgconn.PgError
	if errors.Is(err, sql.ErrNoRows) || errors.As(err, &pgErr) && pgErr.Code == "42P01" { // dropped meanwhile
		return nil, nil
	}
	return r, store.Translate(err)
}
