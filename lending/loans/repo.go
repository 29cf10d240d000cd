package loans

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// Loan is a loan (or a credit line's draw) as stored: its lifecycle and the
// snapshot of its folded figures. State is set by Get.
type Loan struct {
	ID                   string          `json:"id"`
	CustomerID           string          `json:"customer_id"`
	ProductID            string          `json:"product_id"`
	Kind                 string          `json:"kind"` // term_loan | draw
	RequestID            string          `json:"request_id,omitempty"`
	CreditLineID         string          `json:"credit_line_id,omitempty"`
	Status               string          `json:"status"`
	Amount               money.Paise     `json:"amount"`
	TenureMonths         int             `json:"tenure_months"`
	AnnualRateBPS        int64           `json:"annual_rate_bps"`
	Reasons              []string        `json:"reasons"`
	Offer                nirnay.Offer    `json:"offer"`
	KFS                  json.RawMessage `json:"-"`
	KFSDigest            string          `json:"kfs_digest,omitempty"`
	Consent              json.RawMessage `json:"consent,omitempty"`
	AccountHash          string          `json:"account_hash,omitempty"`
	DisbursedOn          string          `json:"disbursed_on,omitempty"`
	Outstanding          money.Paise     `json:"outstanding"`
	PrincipalOutstanding money.Paise     `json:"principal_outstanding"`
	Advance              money.Paise     `json:"advance"`
	DPD                  int             `json:"dpd"`
	AssetClass           string          `json:"asset_class"`
	LastEventOn          string          `json:"last_event_on,omitempty"`
	LastDayEnd           string          `json:"last_day_end,omitempty"`
	CreatedAt            time.Time       `json:"created_at"`
	UpdatedAt            time.Time       `json:"updated_at"`
	State                *State          `json:"state,omitempty"`
	// Referral is the loan's latest referral for manual review (its
	// application, disbursal or draw), set by Get; nil when it had none.
	Referral *Referral `json:"referral,omitempty"`
}

type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

const loanCols = `id, customer_id, product_id, kind, request_id, credit_line_id, status, amount, tenure_months, annual_rate_bps,
reasons, offer, kfs, kfs_digest, consent, account_hash, disbursed_on, outstanding, principal_outstanding, advance,
dpd, asset_class, last_event_on, last_day_end, created_at, updated_at`

type scanner interface{ Scan(dest ...any) error }

func scanLoan(r scanner) (*Loan, error) {
	var (
		l                            Loan
		line                         sql.NullString
		reasons, offer, kfs, consent string
	)
	err := r.Scan(&l.ID, &l.CustomerID, &l.ProductID, &l.Kind, &l.RequestID, &line, &l.Status, &l.Amount, &l.TenureMonths, &l.AnnualRateBPS,
		&reasons, &offer, &kfs, &l.KFSDigest, &consent, &l.AccountHash, store.ScanDate(&l.DisbursedOn), &l.Outstanding, &l.PrincipalOutstanding, &l.Advance,
		&l.DPD, &l.AssetClass, store.ScanDate(&l.LastEventOn), store.ScanDate(&l.LastDayEnd), store.ScanInstant(&l.CreatedAt), store.ScanInstant(&l.UpdatedAt))
	if err != nil {
		return nil, err
	}
	l.CreditLineID = line.String
	_ = json.Unmarshal([]byte(reasons), &l.Reasons)
	_ = json.Unmarshal([]byte(offer), &l.Offer)
	if l.Reasons == nil {
		l.Reasons = []string{}
	}
	if kfs != "" {
		l.KFS = json.RawMessage(kfs)
	}
	if consent != "" {
		l.Consent = json.RawMessage(consent)
	}
	return &l, nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func insertLoan(ctx context.Context, q queryer, l *Loan) error {
	_, err := q.ExecContext(ctx, `INSERT INTO loans (`+loanCols+`) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,$22,$23,$24,$25,$26)`,
		l.ID, l.CustomerID, l.ProductID, l.Kind, l.RequestID, nullable(l.CreditLineID), l.Status, l.Amount, l.TenureMonths, l.AnnualRateBPS,
		jsonText(l.Reasons), jsonText(l.Offer), string(l.KFS), l.KFSDigest, string(l.Consent), l.AccountHash, nullable(l.DisbursedOn),
		l.Outstanding, l.PrincipalOutstanding, l.Advance, l.DPD, l.AssetClass, nullable(l.LastEventOn), nullable(l.LastDayEnd),
		store.Instant(l.CreatedAt), store.Instant(l.UpdatedAt))
	return store.Translate(err)
}

func updateLoan(ctx context.Context, q queryer, l *Loan) error {
	_, err := q.ExecContext(ctx, `UPDATE loans SET status=$2, consent=$3, account_hash=$4, disbursed_on=$5, outstanding=$6,
principal_outstanding=$7, advance=$8, dpd=$9, asset_class=$10, last_event_on=$11, last_day_end=$12, updated_at=$13, kfs=$14, kfs_digest=$15 WHERE id=$1`,
		l.ID, l.Status, string(l.Consent), l.AccountHash, nullable(l.DisbursedOn), l.Outstanding, l.PrincipalOutstanding, l.Advance,
		l.DPD, l.AssetClass, nullable(l.LastEventOn), nullable(l.LastDayEnd), store.Instant(l.UpdatedAt), string(l.KFS), l.KFSDigest)
	return store.Translate(err)
}

// lockLoan reads a loan for update: SELECT … FOR UPDATE on PostgreSQL, so
// a concurrent operation on the loan waits for this transaction and then
// reads what it wrote; on SQLite the write transaction already holds the
// database's one write lock (docs/isolation.md). Every path that folds a
// loan's events and writes the result reads the loan through it first.
func (s *Service) lockLoan(ctx context.Context, tx *sql.Tx, id string) (*Loan, error) {
	l, err := scanLoan(tx.QueryRowContext(ctx, `SELECT `+loanCols+` FROM loans WHERE id = $1`+store.ForUpdate(s.db.Dialect), id))
	if isNoRows(err) {
		return nil, notFound("loan", id)
	}
	return l, err
}

func getLoan(ctx context.Context, q queryer, id string) (*Loan, error) {
	l, err := scanLoan(q.QueryRowContext(ctx, `SELECT `+loanCols+` FROM loans WHERE id = $1`, id))
	if isNoRows(err) {
		return nil, notFound("loan", id)
	}
	return l, err
}

// queryAll runs query on q and returns every row as scan reads it, in the
// query's order; no rows is an empty, non-nil slice. The rows are closed.
func queryAll[T any](ctx context.Context, q queryer, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// queryStrings runs a query of one text column and returns its values.
func queryStrings(ctx context.Context, q queryer, query string, args ...any) ([]string, error) {
	return queryAll(ctx, q, func(r scanner) (v string, err error) { return v, r.Scan(&v) }, query, args...)
}

// folded lists the event types Fold reads.
var folded = map[string]bool{EvDisbursed: true, EvPayment: true, EvBounce: true, EvDayEnd: true, EvForeclose: true, EvWaive: true, EvWriteOff: true}

// loadEvents returns a subject's folded events in order and the next seq.
func loadEvents(ctx context.Context, q queryer, subject string) ([]Event, int, error) {
	rows, err := q.QueryContext(ctx, `SELECT seq, type, body FROM lending_events WHERE subject_id = $1 ORDER BY seq`, subject)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var evs []Event
	next := 1
	for rows.Next() {
		var (
			seq       int
			typ, body string
		)
		if err := rows.Scan(&seq, &typ, &body); err != nil {
			return nil, 0, err
		}
		next = seq + 1
		if !folded[typ] {
			continue
		}
		var e Event
		if err := json.Unmarshal([]byte(body), &e); err != nil {
			return nil, 0, fmt.Errorf("event %s#%d: %w", subject, seq, err)
		}
		evs = append(evs, e)
	}
	return evs, next, rows.Err()
}

// appendEvent records an event of a loan or credit line at seq.
func (s *Service) appendEvent(ctx context.Context, q queryer, subject, customer string, seq int, typ string, on schedule.Date, body any, at time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO lending_events (id, subject_id, seq, customer_id, type, on_date, at, body) VALUES ($1,$2,$3,$4,$5,$6,$7,$8)`,
		s.ids.At("lev", at), subject, seq, customer, typ, on.String(), store.Instant(at), jsonText(body))
	return store.Translate(err)
}

func nextSeq(ctx context.Context, q queryer, subject string) (int, error) {
	var n sql.NullInt64
	if err := q.QueryRowContext(ctx, `SELECT MAX(seq) FROM lending_events WHERE subject_id = $1`, subject).Scan(&n); err != nil {
		return 0, err
	}
	return int(n.Int64) + 1, nil
}

// insertJournal writes a balanced journal; an empty one is skipped.
func (s *Service) insertJournal(ctx context.Context, q queryer, loanID, kind, ref string, on schedule.Date, lines []Line, at time.Time) error {
	if len(lines) == 0 {
		return nil
	}
	if !Balanced(lines) {
		return fmt.Errorf("journal %s for loan %s does not balance: %v", kind, loanID, lines)
	}
	id := s.ids.At("jnl", at)
	if _, err := q.ExecContext(ctx, `INSERT INTO ledger_journals (id, loan_id, kind, ref, on_date, created_at) VALUES ($1,$2,$3,$4,$5,$6)`,
		id, loanID, kind, ref, on.String(), store.Instant(at)); err != nil {
		return store.Translate(err)
	}
	for i, l := range lines {
		if _, err := q.ExecContext(ctx, `INSERT INTO ledger_lines (journal_id, line, loan_id, account, debit, credit) VALUES ($1,$2,$3,$4,$5,$6)`,
			id, i+1, loanID, l.Account, l.Debit, l.Credit); err != nil {
			return store.Translate(err)
		}
	}
	return nil
}

// emit writes a domain event to the outbox in the caller's transaction.
func (s *Service) emit(ctx context.Context, q queryer, topic, key string, payload map[string]any, at time.Time) error {
	return emitID(ctx, q, s.ids.At("obx", at), topic, key, payload, at)
}

// emitID is emit with the event id given.
func emitID(ctx context.Context, q queryer, id, topic, key string, payload map[string]any, at time.Time) error {
	_, err := q.ExecContext(ctx, `INSERT INTO outbox (id, topic, key, payload, created_at) VALUES ($1,$2,$3,$4,$5)`,
		id, topic, key, jsonText(payload), store.Instant(at))
	return store.Translate(err)
}

// snapshot copies the folded figures onto the loan row.
func snapshot(l *Loan, st *State) {
	l.Status = st.Status
	l.Outstanding = st.Outstanding()
	l.PrincipalOutstanding = st.PrincipalOutstanding()
	l.Advance = st.Advance
	l.LastEventOn = st.AsOf.String()
}
