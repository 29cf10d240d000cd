package loans

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

// Difference is one way a loan's books disagree.
type Difference struct {
	LoanID string `json:"loan_id"`
	What   string `json:"what"`
	Got    string `json:"got"`
	Want   string `json:"want"`
}

func (d Difference) String() string {
	return fmt.Sprintf("%s: %s: ledger %s, expected %s", d.LoanID, d.What, d.Got, d.Want)
}

// LedgerBalances returns a loan's signed (debit positive) ledger balance
// per account.
func (s *Service) LedgerBalances(ctx context.Context, loanID string) (map[string]money.Paise, error) {
	return ledgerBalances(ctx, s.db.Reader(), loanID)
}

func ledgerBalances(ctx context.Context, q queryer, loanID string) (map[string]money.Paise, error) {
	rows, err := q.QueryContext(ctx,
		`SELECT account, SUM(debit) - SUM(credit) FROM ledger_lines WHERE loan_id = $1 GROUP BY account`, loanID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]money.Paise{}
	for rows.Next() {
		var (
			a string
			v int64
		)
		if err := rows.Scan(&a, &v); err != nil {
			return nil, err
		}
		out[a] = money.Paise(v)
	}
	return out, rows.Err()
}

// Reconcile checks every disbursed loan: every journal balances; the
// ledger's receivables equal the loan's stored outstanding; and folding the
// loan's events again gives the same outstanding and the same balance on
// every account. It returns the loans checked and every difference found.
// Each loan is read in one snapshot (its row, events and ledger lines
// together), so a change committing meanwhile is never half seen as a
// difference; payments may go on while it runs.
func (s *Service) Reconcile(ctx context.Context) (int, []Difference, error) {
	var diffs []Difference
	rows, err := s.db.Reader().QueryContext(ctx, `SELECT j.loan_id, j.id, SUM(l.debit), SUM(l.credit) FROM ledger_journals j
JOIN ledger_lines l ON l.journal_id = j.id GROUP BY j.loan_id, j.id HAVING SUM(l.debit) <> SUM(l.credit)`)
	if err != nil {
		return 0, nil, err
	}
	for rows.Next() {
		var loan, jid string
		var d, c int64
		if err := rows.Scan(&loan, &jid, &d, &c); err != nil {
			rows.Close()
			return 0, nil, err
		}
		diffs = append(diffs, Difference{LoanID: loan, What: "journal " + jid + " debits vs credits",
			Got: money.Paise(d).String(), Want: money.Paise(c).String()})
	}
	rows.Close()
	ids, err := queryStrings(ctx, s.db.Reader(), `SELECT id FROM loans WHERE disbursed_on IS NOT NULL ORDER BY id`)
	if err != nil {
		return 0, nil, err
	}
	for _, id := range ids {
		d, err := s.reconcileLoan(ctx, id)
		if err != nil {
			return 0, nil, err
		}
		diffs = append(diffs, d...)
	}
	return len(ids), diffs, nil
}

func (s *Service) reconcileLoan(ctx context.Context, id string) ([]Difference, error) {
	var (
		l   *Loan
		bal map[string]money.Paise
	)
	err := s.db.InSnapshot(ctx, func(tx *sql.Tx) error {
		var err error
		if l, err = getFolded(ctx, tx, id); err != nil {
			return err
		}
		bal, err = ledgerBalances(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	var diffs []Difference
	add := func(what string, got, want money.Paise) {
		if got != want {
			diffs = append(diffs, Difference{LoanID: id, What: what, Got: got.String(), Want: want.String()})
		}
	}
	var recv money.Paise
	for _, a := range ReceivableAccounts {
		recv += bal[a]
	}
	add("receivables vs stored outstanding", recv, l.Outstanding)
	if l.State == nil {
		return append(diffs, Difference{LoanID: id, What: "disbursed loan without a disbursal event"}), nil
	}
	add("stored outstanding vs refolded events", l.Outstanding, l.State.Outstanding())
	want := l.State.balances()
	accts := make([]string, 0, len(want)+len(bal))
	for a := range want {
		accts = append(accts, a)
	}
	for a := range bal {
		if _, ok := want[a]; !ok {
			accts = append(accts, a)
		}
	}
	slices.Sort(accts)
	for _, a := range accts {
		add("account "+a, bal[a], want[a])
	}
	return diffs, nil
}

// Journal is one posted journal with its lines.
type Journal struct {
	ID        string    `json:"id"`
	Kind      string    `json:"kind"`
	Ref       string    `json:"ref"`
	On        string    `json:"on"`
	CreatedAt time.Time `json:"created_at"`
	Lines     []Line    `json:"lines"`
}

// Journals returns a loan's journals in posting order.
func (s *Service) Journals(ctx context.Context, loanID string) ([]Journal, error) {
	type journalLine struct {
		j Journal
		l Line
	}
	rows, err := queryAll(ctx, s.db.Reader(), func(r scanner) (x journalLine, err error) {
		err = r.Scan(&x.j.ID, &x.j.Kind, &x.j.Ref, store.ScanDate(&x.j.On), store.ScanInstant(&x.j.CreatedAt), &x.l.Account, &x.l.Debit, &x.l.Credit)
		return x, err
	}, `SELECT j.id, j.kind, j.ref, j.on_date, j.created_at, l.account, l.debit, l.credit
FROM ledger_journals j JOIN ledger_lines l ON l.journal_id = j.id WHERE j.loan_id = $1 ORDER BY j.created_at, j.id, l.line`, loanID)
	if err != nil {
		return nil, err
	}
	out := []Journal{}
	for _, x := range rows {
		if n := len(out); n > 0 && out[n-1].ID == x.j.ID {
			out[n-1].Lines = append(out[n-1].Lines, x.l)
			continue
		}
		x.j.Lines = []Line{x.l}
		out = append(out, x.j)
	}
	return out, nil
}
