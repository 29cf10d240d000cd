package cases

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// queryer is a *sql.DB or *sql.Tx.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// Instants bind through store.Instant and scan through store.ScanInstant
// (timestamptz on PostgreSQL, unix microseconds on SQLite); documents are
// JSON text bound as strings (jsonb on PostgreSQL).

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("cases: marshal %T: %v", v, err)) // only plain values are stored
	}
	return string(b)
}

const caseCols = `id, decision_id, customer_id, step, queue, policy_id, policy_version, status, reasons, priority, amount,
sla_due_at, assignee_id, assignee_name, assigned_at, first_review, first_reviewer_id, outcome, resolution, verdict_decision_id,
decided_at, created_at, updated_at`

type scanner = store.Scanner

func scanCase(r scanner) (*Case, error) {
	var (
		c                        Case
		reasons                  string
		assigneeID, assigneeName sql.NullString
		first, firstBy, outcome  sql.NullString
		res, vdec                sql.NullString
		decided                  *time.Time
	)
	err := r.Scan(&c.ID, &c.DecisionID, &c.CustomerID, &c.Step, &c.Queue, &c.Policy.ID, &c.Policy.Version, &c.Status,
		&reasons, &c.Priority, &c.Amount, store.ScanInstant(&c.SLADueAt), &assigneeID, &assigneeName, store.ScanNullInstant(&c.AssignedAt),
		&first, &firstBy, &outcome, &res, &vdec, store.ScanNullInstant(&decided), store.ScanInstant(&c.CreatedAt), store.ScanInstant(&c.UpdatedAt))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(reasons), &c.Reasons); err != nil {
		return nil, fmt.Errorf("case %s reasons: %w", c.ID, err)
	}
	if assigneeID.Valid {
		c.Assignee = &Actor{ID: assigneeID.String, Name: assigneeName.String}
	} else {
		c.AssignedAt = nil
	}
	if first.Valid {
		c.FirstReview = &Review{}
		if err := json.Unmarshal([]byte(first.String), c.FirstReview); err != nil {
			return nil, fmt.Errorf("case %s first review: %w", c.ID, err)
		}
	}
	if res.Valid {
		c.Resolution = &Resolution{}
		if err := json.Unmarshal([]byte(res.String), c.Resolution); err != nil {
			return nil, fmt.Errorf("case %s resolution: %w", c.ID, err)
		}
	}
	return &c, nil
}

// insertCaseSQL opens a case unless its decision already has one.
const insertCaseSQL = `INSERT INTO cases (` + caseCols + `)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, $13, $14)
	ON CONFLICT (decision_id) DO NOTHING`

func caseArgs(c *Case) []any {
	return []any{c.ID, c.DecisionID, c.CustomerID, c.Step, c.Queue, c.Policy.ID, c.Policy.Version, c.Status, jsonText(c.Reasons),
		c.Priority, c.Amount, store.Instant(c.SLADueAt), store.Instant(c.CreatedAt), store.Instant(c.UpdatedAt)}
}

// execer is a *sql.Stmt (or anything that runs one prepared statement).
type execer interface {
	ExecContext(ctx context.Context, args ...any) (sql.Result, error)
}

// insertCase opens c (through the prepared insertCaseSQL) unless its
// decision already has a case; inserted reports whether this call opened it.
func insertCase(ctx context.Context, st execer, c *Case) (inserted bool, err error) {
	res, err := st.ExecContext(ctx, caseArgs(c)...)
	if err != nil {
		return false, store.Translate(err)
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// saveCase writes a case's working state (status, assignee, reviews,
// resolution). The transaction holds the case (getCase forUpdate).
func saveCase(ctx context.Context, q queryer, c *Case) error {
	var assigneeID, assigneeName, assigned, first, firstBy, outcome, res, vdec, decided any
	if c.Assignee != nil {
		assigneeID, assigneeName, assigned = c.Assignee.ID, c.Assignee.Name, store.Instant(*c.AssignedAt)
	}
	if c.FirstReview != nil {
		first, firstBy = jsonText(c.FirstReview), c.FirstReview.By.ID
	}
	if r := c.Resolution; r != nil {
		outcome, res, vdec, decided = string(r.Outcome), jsonText(r), r.DecisionID, store.Instant(r.At)
	}
	_, err := q.ExecContext(ctx, `UPDATE cases SET status = $2, assignee_id = $3, assignee_name = $4, assigned_at = $5,
		first_review = $6, first_reviewer_id = $7, outcome = $8, resolution = $9, verdict_decision_id = $10, decided_at = $11,
		updated_at = $12 WHERE id = $1`, c.ID, c.Status, assigneeID, assigneeName, assigned, first, firstBy, outcome, res, vdec, decided,
		store.Instant(c.UpdatedAt))
	return store.Translate(err)
}

// getCase reads a case; forUpdate locks its row for the transaction q on
// PostgreSQL (SQLite's write transaction already holds the one writer).
// An unknown id is KindNotFound.
func getCase(ctx context.Context, q queryer, d store.Dialect, id string, forUpdate bool) (*Case, error) {
	query := `SELECT ` + caseCols + ` FROM cases WHERE id = $1`
	if forUpdate && d == store.Postgres {
		query += ` FOR UPDATE`
	}
	c, err := scanCase(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nirnay.Errorf(nirnay.KindNotFound, "case %s not found", id)
	}
	return c, err
}

// nextWaiting locks the oldest case of queue waiting for a reviewer (open,
// or awaiting a second review by someone other than the first reviewer
// notBy) and returns its id, or "" when there is none. On PostgreSQL the
// row is taken FOR UPDATE SKIP LOCKED, so concurrent callers each get a
// different case without waiting for one another; on SQLite the write
// transaction holds the database's one writer, which serialises them.
func nextWaiting(ctx context.Context, tx *sql.Tx, d store.Dialect, queue, notBy string) (string, error) {
	query := `SELECT id FROM cases WHERE queue = $1 AND assignee_id IS NULL AND status IN ('open', 'awaiting_second')
		AND (first_reviewer_id IS NULL OR first_reviewer_id <> $2) ORDER BY created_at, id LIMIT 1`
	if d == store.Postgres {
		query += ` FOR UPDATE SKIP LOCKED`
	}
	var id string
	err := tx.QueryRowContext(ctx, query, queue, notBy).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, store.Translate(err)
}

// listCases returns a page of cases, oldest first, and the next cursor.
func listCases(ctx context.Context, q queryer, f Filter) ([]*Case, string, error) {
	limit := f.Limit
	switch {
	case limit <= 0:
		limit = DefaultLimit
	case limit > MaxLimit:
		limit = MaxLimit
	}
	var w store.Where
	w.Eq("status", string(f.Status))
	w.Eq("queue", f.Queue)
	w.Eq("customer_id", f.CustomerID)
	w.Eq("assignee_id", f.Assignee)
	if f.Cursor != "" {
		at, id, err := store.ParseTimeCursor(f.Cursor, "case_")
		if err != nil {
			return nil, "", nirnay.FieldError("cursor", "is not a cursor this endpoint returned")
		}
		w.Add("(created_at > ? OR (created_at = ? AND id > ?))", store.Instant(at), store.Instant(at), id)
	}
	query := `SELECT ` + caseCols + ` FROM cases` + w.String() + fmt.Sprintf(` ORDER BY created_at, id LIMIT %d`, limit+1)
	rows, err := q.QueryContext(ctx, query, w.Args...)
	if err != nil {
		return nil, "", store.Translate(err)
	}
	return store.ReadPage(rows, limit, scanCase, func(c *Case) string { return store.TimeCursor(c.CreatedAt, c.ID) })
}

// insertEventSQL appends one event to a case's trail.
const insertEventSQL = `INSERT INTO case_events (id, case_id, customer_id, at, action, actor_id, actor_name, body)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

func eventArgs(e *Event) []any {
	body := e.Body
	if body == nil {
		body = map[string]any{}
	}
	return []any{e.ID, e.CaseID, e.CustomerID, store.Instant(e.At), e.Action, e.Actor.ID, e.Actor.Name, jsonText(body)}
}

// insertEvent appends one event to a case's trail.
func insertEvent(ctx context.Context, q queryer, e *Event) error {
	_, err := q.ExecContext(ctx, insertEventSQL, eventArgs(e)...)
	return store.Translate(err)
}

const eventCols = `id, case_id, customer_id, at, action, actor_id, actor_name, body`

func scanEvents(rows *sql.Rows) ([]Event, error) {
	defer rows.Close()
	out := []Event{}
	for rows.Next() {
		var (
			e    Event
			body string
		)
		if err := rows.Scan(&e.ID, &e.CaseID, &e.CustomerID, store.ScanInstant(&e.At), &e.Action, &e.Actor.ID, &e.Actor.Name, &body); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(body), &e.Body); err != nil {
			return nil, fmt.Errorf("case event %s: %w", e.ID, err)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// caseEvents lists a case's events, oldest first.
func caseEvents(ctx context.Context, q queryer, caseID string) ([]Event, error) {
	rows, err := q.QueryContext(ctx, `SELECT `+eventCols+` FROM case_events WHERE case_id = $1 ORDER BY id`, caseID)
	if err != nil {
		return nil, store.Translate(err)
	}
	return scanEvents(rows)
}

// customerEvents lists a customer's case events with at in [from, to)
// (zero bounds are open), the most recent limit of them, oldest first.
func customerEvents(ctx context.Context, q queryer, customerID string, from, to time.Time, limit int) ([]Event, error) {
	lo, hi := from, to
	if hi.IsZero() {
		hi = store.EndOfTime
	}
	rows, err := q.QueryContext(ctx, `SELECT `+eventCols+` FROM case_events WHERE customer_id = $1 AND at >= $2 AND at < $3
		ORDER BY at DESC, id DESC LIMIT $4`, customerID, store.Instant(lo), store.Instant(hi), limit)
	if err != nil {
		return nil, store.Translate(err)
	}
	out, err := scanEvents(rows)
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, err
}

// QueueStats is the state of one queue's undecided cases.
type QueueStats struct {
	Queue    string
	Open     int64     // undecided cases (open, assigned, awaiting_second)
	Oldest   time.Time // when the oldest of them opened; zero when none
	Breached int64     // of them, those past their SLA
}

// queueStats counts every queue's undecided cases as of now.
func queueStats(ctx context.Context, q queryer, now time.Time) ([]QueueStats, error) {
	rows, err := q.QueryContext(ctx, `SELECT queue, COUNT(*), MIN(created_at), SUM(CASE WHEN sla_due_at < $1 THEN 1 ELSE 0 END)
		FROM cases WHERE status <> 'decided' GROUP BY queue ORDER BY queue`, store.Instant(now))
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []QueueStats
	for rows.Next() {
		var s QueueStats
		if err := rows.Scan(&s.Queue, &s.Open, store.ScanInstant(&s.Oldest), &s.Breached); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// insertChunk is the most rows one multi-row insert carries.
const insertChunk = 200

// rowsOf is "(…), (…)" of n rows, each row from one, with its $k
// renumbered from base k·cols: "($1, …)" rows of cols parameters.
func rowsOf(n, cols int, one func(p func(i int) string) string) string {
	var b strings.Builder
	for r := range n {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one(func(i int) string { return "$" + strconv.Itoa(r*cols+i) }))
	}
	return b.String()
}

// insertCasesPG opens the cases with multi-row inserts and returns those
// it opened (not those whose decision had a case already).
func insertCasesPG(ctx context.Context, tx *sql.Tx, cs []*Case) ([]*Case, error) {
	byID := make(map[string]*Case, len(cs))
	var opened []*Case
	for start := 0; start < len(cs); start += insertChunk {
		chunk := cs[start:min(start+insertChunk, len(cs))]
		args := make([]any, 0, len(chunk)*14)
		for _, c := range chunk {
			args = append(args, caseArgs(c)...)
			byID[c.ID] = c
		}
		values := rowsOf(len(chunk), 14, func(p func(int) string) string {
			ps := make([]string, 0, 23)
			for i := 1; i <= 12; i++ {
				ps = append(ps, p(i))
			}
			for range 9 {
				ps = append(ps, "NULL")
			}
			return "(" + strings.Join(append(ps, p(13), p(14)), ", ") + ")"
		})
		rows, err := tx.QueryContext(ctx, `INSERT INTO cases (`+caseCols+`) VALUES `+values+` ON CONFLICT (decision_id) DO NOTHING RETURNING id`, args...)
		if err != nil {
			return nil, store.Translate(err)
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, err
			}
			opened = append(opened, byID[id])
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return opened, nil
}

// insertCasesPrepared opens the cases one statement each, prepared once
// (SQLite, where a statement is a local call), and returns those it opened.
func insertCasesPrepared(ctx context.Context, tx *sql.Tx, cs []*Case) ([]*Case, error) {
	st, err := tx.PrepareContext(ctx, insertCaseSQL)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	var opened []*Case
	for _, c := range cs {
		ok, err := insertCase(ctx, st, c)
		if err != nil {
			return nil, err
		}
		if ok {
			opened = append(opened, c)
		}
	}
	return opened, nil
}

// insertEvents appends events: multi-row on PostgreSQL, one prepared
// statement each on SQLite.
func insertEvents(ctx context.Context, tx *sql.Tx, d store.Dialect, evs []*Event) error {
	if len(evs) == 0 {
		return nil
	}
	if d != store.Postgres {
		st, err := tx.PrepareContext(ctx, insertEventSQL)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, e := range evs {
			if _, err := st.ExecContext(ctx, eventArgs(e)...); err != nil {
				return store.Translate(err)
			}
		}
		return nil
	}
	for start := 0; start < len(evs); start += insertChunk {
		chunk := evs[start:min(start+insertChunk, len(evs))]
		args := make([]any, 0, len(chunk)*8)
		for _, e := range chunk {
			args = append(args, eventArgs(e)...)
		}
		values := rowsOf(len(chunk), 8, func(p func(int) string) string {
			return "(" + p(1) + ", " + p(2) + ", " + p(3) + ", " + p(4) + ", " + p(5) + ", " + p(6) + ", " + p(7) + ", " + p(8) + ")"
		})
		if _, err := tx.ExecContext(ctx, `INSERT INTO case_events (`+eventCols+`) VALUES `+values, args...); err != nil {
			return store.Translate(err)
		}
	}
	return nil
}
