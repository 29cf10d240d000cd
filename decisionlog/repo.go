package decisionlog

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"
	"unsafe"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// ShipHook runs in the transaction that ships a batch of records to the
// database, after their rows are written, so what it writes exists
// exactly when they do (package cases opens the case of a referred
// decision this way). It must be idempotent: a batch is shipped again
// after a crash between its commit and the checkpoint. An error rolls the
// batch back; the shipper retries it.
type ShipHook func(ctx context.Context, tx *sql.Tx, recs []*Record) error

// insertRecords writes a batch in one transaction: row by row through
// prepared statements on SQLite (insertPrepared); on PostgreSQL with COPY
// (insertCopy), and with multi-row inserts (insertMultiRow) for a batch
// some of whose rows are there already. Records already present (by id)
// are left as they are, so shipping the same record twice is harmless. On
// PostgreSQL a batch holding a month that has no partition yet creates it
// and is written again, so the shipper never stops for a missing
// partition. The hooks run in the same transaction, after the rows.
func insertRecords(ctx context.Context, db *store.DB, recs []*Record, pace bool, hooks ...ShipHook) error {
	if db.Dialect == store.SQLite {
		// A local file cannot hang; without a cancellable context the
		// driver does not start a watcher goroutine for every statement.
		return insertPrepared(context.WithoutCancel(ctx), db, recs, pace, hooks)
	}
	write, created := insertCopy, false
	for {
		err := write(ctx, db, recs, hooks)
		switch {
		case errors.Is(err, errShippedBefore):
			// Some of the batch is in already (shipped before a crash
			// lost the checkpoint, or by another instance): COPY refused
			// the batch; the inserts skip what is there.
			write = insertMultiRow
		case isNoPartition(err) && !created:
			months := make([]time.Time, 0, 1)
			for _, r := range recs {
				if m := monthOf(r.DecidedAt); !slices.Contains(months, m) {
					months = append(months, m)
				}
			}
			if _, err := ensureMonths(ctx, db, months); err != nil {
				return fmt.Errorf("create decision partitions: %w", err)
			}
			created = true
		default:
			return err
		}
	}
}

// insertMultiRow is insertRecords on PostgreSQL for a batch some of whose
// rows are there already: a statement per chunk of decisions and per 500
// rule rows. A row that is there already (the key: (id, decided_at) for a
// decision, (rule_id, decided_at, decision_id) for a rule row) is skipped;
// the statements name no key, so they also run on a database a release
// before migration 16 left (keyed by id).
func insertMultiRow(ctx context.Context, db *store.DB, recs []*Record, hooks []ShipHook) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		if err := insertTx(ctx, tx, db.Dialect, recs); err != nil {
			return err
		}
		return runHooks(ctx, tx, recs, hooks)
	})
}

func runHooks(ctx context.Context, tx *sql.Tx, recs []*Record, hooks []ShipHook) error {
	for _, h := range hooks {
		if err := h(ctx, tx, recs); err != nil {
			return err
		}
	}
	return nil
}

// WriteTx writes records straight to the database's hot tier in tx, the
// transaction of the change they record (a reviewer's verdict, with its
// case), so they exist exactly when that change does; they never pass
// through the local segments, the shipper or its hooks. A record already
// present is left as it is. Get and List find them at once. On PostgreSQL
// the month's partition must exist (Log.EnsurePartitions first).
func WriteTx(ctx context.Context, tx *sql.Tx, d store.Dialect, recs ...*Record) error {
	return insertTx(ctx, tx, d, recs)
}

// insertTx writes records with multi-row inserts (either dialect).
func insertTx(ctx context.Context, tx *sql.Tx, d store.Dialect, recs []*Record) error {
	const decCols, ruleCols = 12, 3
	for start := 0; start < len(recs); start += insertChunk {
		chunk := recs[start:min(start+insertChunk, len(recs))]
		args := make([]any, 0, len(chunk)*decCols)
		for _, r := range chunk {
			var parent any
			if r.ParentID != "" {
				parent = r.ParentID
			}
			args = append(args, r.ID, parent, r.RequestID, r.CustomerID, r.Step, r.Outcome,
				r.PolicyID, r.PolicyVersion, r.Role, r.Score, store.Instant(r.DecidedAt), bodyText(r.Body))
		}
		q := `INSERT INTO decisions (id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version, role, score, decided_at, body) VALUES ` +
			store.Values(d, len(chunk), decCols) + ` ON CONFLICT DO NOTHING`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("insert %d decisions: %w", len(chunk), err)
		}
	}
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		q := `INSERT INTO decision_rules (decision_id, rule_id, decided_at) VALUES ` +
			store.Values(d, len(args)/ruleCols, ruleCols) + ` ON CONFLICT DO NOTHING`
		_, err := tx.ExecContext(ctx, q, args...)
		args = args[:0]
		return err
	}
	for _, r := range recs {
		for _, id := range r.Rules {
			args = append(args, r.ID, id, store.Instant(r.DecidedAt))
			if len(args) >= 500*ruleCols {
				if err := flush(); err != nil {
					return fmt.Errorf("insert decision rules: %w", err)
				}
			}
		}
	}
	if err := flush(); err != nil {
		return fmt.Errorf("insert decision rules: %w", err)
	}
	return nil
}

// insertPrepared writes a batch row by row through prepared statements:
// for SQLite, where a statement is a local call, preparing once beats
// parsing a long multi-row statement for every chunk. When pace is set it
// rests after every paceRows records (see restFactor).
func insertPrepared(ctx context.Context, db *store.DB, recs []*Record, pace bool, hooks []ShipHook) error {
	return db.InTx(ctx, func(tx *sql.Tx) error {
		dec, err := tx.PrepareContext(ctx, `INSERT INTO decisions (id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version, role, score, decided_at, body)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`)
		if err != nil {
			return err
		}
		defer dec.Close()
		rules := ruleInserts{tx: tx}
		defer rules.close()
		run := time.Now()
		for i, r := range recs {
			if pace && i > 0 {
				if i%paceRows == 0 {
					time.Sleep(restFactor * time.Since(run))
					run = time.Now()
				} else {
					// Requests that became runnable meanwhile go first: a
					// run of rows never holds a processor for long.
					runtime.Gosched()
				}
			}
			var parent any
			if r.ParentID != "" {
				parent = r.ParentID
			}
			at := r.DecidedAt.UnixMicro()
			if _, err := dec.ExecContext(ctx, r.ID, parent, r.RequestID, r.CustomerID, r.Step, r.Outcome,
				r.PolicyID, r.PolicyVersion, r.Role, r.Score, at, bodyText(r.Body)); err != nil {
				return fmt.Errorf("insert decision %s: %w", r.ID, err)
			}
			if err := rules.insert(ctx, r.ID, at, r.Rules); err != nil {
				return fmt.Errorf("insert decision rules: %w", err)
			}
		}
		return runHooks(ctx, tx, recs, hooks)
	})
}

// ruleInserts writes a decision's rule rows with one statement: a
// prepared multi-row insert per row count, up to maxRuleRows rows a
// statement (one statement costs about as much as a row).
type ruleInserts struct {
	tx    *sql.Tx
	stmts [maxRuleRows + 1]*sql.Stmt
	args  []any
}

const maxRuleRows = 16

func (ri *ruleInserts) insert(ctx context.Context, id string, at int64, ruleIDs []string) error {
	for len(ruleIDs) > 0 {
		n := min(len(ruleIDs), maxRuleRows)
		st := ri.stmts[n]
		if st == nil {
			q := `INSERT INTO decision_rules (decision_id, rule_id, decided_at) VALUES (?, ?, ?)` +
				strings.Repeat(`, (?, ?, ?)`, n-1) + ` ON CONFLICT (decision_id, rule_id) DO NOTHING`
			var err error
			if st, err = ri.tx.PrepareContext(ctx, q); err != nil {
				return err
			}
			ri.stmts[n] = st
		}
		ri.args = ri.args[:0]
		for _, rule := range ruleIDs[:n] {
			ri.args = append(ri.args, id, rule, at)
		}
		if _, err := st.ExecContext(ctx, ri.args...); err != nil {
			return err
		}
		ruleIDs = ruleIDs[n:]
	}
	return nil
}

func (ri *ruleInserts) close() {
	for _, st := range ri.stmts {
		if st != nil {
			st.Close()
		}
	}
}

// bodyText is body as a string without copying it (the driver copies it
// into the statement): a Record's Body is never modified once built.
func bodyText(body []byte) string {
	return unsafe.String(unsafe.SliceData(body), len(body))
}

// A paced shipper writes paceRows records, then rests restFactor times as
// long as they took: shipping takes at most a third of a processor.
const (
	paceRows   = 16
	restFactor = 2
)

// insertChunk is the number of decisions a multi-row insert carries.
const insertChunk = 200

const recordColumns = `d.id, d.parent_id, d.request_id, d.customer_id, d.step, d.outcome, d.policy_id, d.policy_version, d.role, d.score, d.decided_at, d.body`

func scanRecord(sc store.Scanner) (*Record, error) {
	var (
		r      Record
		parent *string
		body   string
	)
	if err := sc.Scan(&r.ID, &parent, &r.RequestID, &r.CustomerID, &r.Step, &r.Outcome, &r.PolicyID,
		&r.PolicyVersion, &r.Role, &r.Score, store.ScanInstant(&r.DecidedAt), &body); err != nil {
		return nil, err
	}
	if parent != nil {
		r.ParentID = *parent
	}
	r.Body = json.RawMessage(body)
	return &r, nil
}

// Get returns a decision by id from wherever it is: not yet shipped, in the
// database, or in the cold tier. An unknown id gives KindNotFound.
func (l *Log) Get(ctx context.Context, id string) (*Record, error) {
	if r, ok, err := l.lookup(id); ok || err != nil {
		return r, err
	}
	r, err := l.getHot(ctx, id)
	if err == nil {
		return r, nil
	}
	if !nirnay.IsKind(err, nirnay.KindNotFound) {
		return nil, err
	}
	if l.db.Dialect == store.Postgres {
		// A month an archive run has detached and not yet dropped (it drops
		// it once its export is complete, so a miss here finds it cold).
		if r, err := l.getDetached(ctx, id); r != nil || err != nil {
			return r, err
		}
	}
	if r, err := l.getCold(id); err == nil && r != nil {
		return r, nil
	} else if err != nil {
		return nil, err
	}
	return nil, nirnay.Errorf(nirnay.KindNotFound, "decision %s not found", id)
}

// getHot reads a decision from the database. On PostgreSQL the month in
// its id names the one partition to read (a decision's decided_at is the
// time in its id, to the millisecond); only an id that does not carry its
// month (not minted by Nirnay, or logged before decided_at followed the
// id) costs a look at every partition.
func (l *Log) getHot(ctx context.Context, id string) (*Record, error) {
	q := `SELECT ` + recordColumns + ` FROM decisions d WHERE d.id = $1`
	if m, ok := idMonth(id); ok && l.db.Dialect == store.Postgres {
		row := l.db.Reader().QueryRowContext(ctx, q+` AND d.decided_at >= $2 AND d.decided_at < $3`, id, store.Instant(m), store.Instant(m.AddDate(0, 1, 0)))
		r, err := scanRecord(row)
		if err = store.Translate(err); !nirnay.IsKind(err, nirnay.KindNotFound) {
			return r, err
		}
	}
	r, err := scanRecord(l.db.Reader().QueryRowContext(ctx, q, id))
	return r, store.Translate(err)
}

// FindUnshipped is FindByRequest among the records not yet in the
// database only: it reads nothing from the database.
func (l *Log) FindUnshipped(customerID, requestID string) (*Record, error) {
	r, ok, err := l.lookupRequest(customerID, requestID)
	if err == nil && !ok {
		err = nirnay.Errorf(nirnay.KindNotFound, "no unshipped decision for request %s", requestID)
	}
	return r, err
}

// FindByRequest returns the acted-on (non-shadow) decision logged for a
// customer's request id, pending or shipped, or KindNotFound. A request id
// is scoped to its customer: another customer's use of the same id is
// another request.
func (l *Log) FindByRequest(ctx context.Context, customerID, requestID string) (*Record, error) {
	if r, ok, err := l.lookupRequest(customerID, requestID); ok || err != nil {
		return r, err
	}
	l.mu.Lock()
	_, maybe := l.seenReq[reqHash(reqKey(customerID, requestID))]
	known := l.seenReq == nil || maybe
	l.mu.Unlock()
	if !known {
		return nil, nirnay.Errorf(nirnay.KindNotFound, "no decision for request %s", requestID)
	}
	row := l.db.Reader().QueryRowContext(ctx, `SELECT `+recordColumns+` FROM decisions d
		WHERE d.request_id = $1 AND d.customer_id = $2 AND d.role <> 'shadow' ORDER BY d.decided_at LIMIT 1`, requestID, customerID)
	r, err := scanRecord(row)
	if err != nil {
		return nil, store.Translate(err)
	}
	return r, nil
}

// Filter selects decisions for List. Empty fields do not filter.
type Filter struct {
	CustomerID    string
	Step          string
	Outcome       nirnay.Outcome
	Rule          string // a fired or errored rule id
	PolicyID      string
	PolicyVersion int
	Role          nirnay.PolicyRole
	From, To      time.Time // decided_at in [From, To)
	Limit         int       // default 50, at most 500
	Cursor        string
}

// List returns shipped decisions, newest first, and the cursor of the next
// page ("" when there is none).
func (l *Log) List(ctx context.Context, f Filter) ([]*Record, string, error) {
	limit := f.Limit
	if limit <= 0 {
		limit = 50
	}
	if limit > 500 {
		limit = 500
	}
	var w store.Where
	// With a rule, the window, cursor and order are on the rule rows (their
	// index is (rule_id, decided_at, decision_id), and on PostgreSQL the
	// window prunes their partitions); each is joined to its decision.
	from, at, id := "decisions d", "d.decided_at", "d.id"
	if f.Rule != "" {
		from = "decision_rules r JOIN decisions d ON d.id = r.decision_id AND d.decided_at = r.decided_at"
		if l.db.Dialect == store.Postgres {
			// PostgreSQL takes the two equalities of that join as independent
			// and expects it to yield about one row, so it hash-joins every
			// partition instead of walking the rule rows newest first (9 s
			// for 50 of 10,000,000 decisions). A lateral read of each
			// decision by its key (LIMIT 1: it is the key) keeps the walk,
			// one partition probed a row: about a millisecond
			// (docs/data-model.md, Measurements).
			from = "decision_rules r CROSS JOIN LATERAL (SELECT * FROM decisions d WHERE d.id = r.decision_id AND d.decided_at = r.decided_at LIMIT 1) d"
		}
		at, id = "r.decided_at", "r.decision_id"
		w.Add("r.rule_id = ?", f.Rule)
	}
	w.Eq("d.customer_id", f.CustomerID)
	w.Eq("d.step", f.Step)
	w.Eq("d.outcome", string(f.Outcome))
	w.Eq("d.policy_id", f.PolicyID)
	if f.PolicyVersion > 0 {
		w.Add("d.policy_version = ?", f.PolicyVersion)
	}
	w.Eq("d.role", string(f.Role))
	if !f.From.IsZero() {
		w.Add(at+" >= ?", store.Instant(f.From))
	}
	if !f.To.IsZero() {
		w.Add(at+" < ?", store.Instant(f.To))
	}
	if f.Cursor != "" {
		after, afterID, err := store.ParseTimeCursor(f.Cursor, "")
		if err != nil {
			return nil, "", nirnay.FieldError("cursor", "is not a cursor this endpoint returned")
		}
		w.Add(fmt.Sprintf("(%[1]s < ? OR (%[1]s = ? AND %[2]s < ?))", at, id), store.Instant(after), store.Instant(after), afterID)
	}
	q := `SELECT ` + recordColumns + ` FROM ` + from + w.String() + fmt.Sprintf(" ORDER BY %s DESC, %s DESC LIMIT %d", at, id, limit+1)
	rows, err := l.db.Reader().QueryContext(ctx, q, w.Args...)
	if err != nil {
		return nil, "", err
	}
	return store.ReadPage(rows, limit, scanRecord,
		func(r *Record) string { return store.TimeCursor(r.DecidedAt, r.ID) })
}
