package kyc

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/nirnay/nirnay/store"
)

// SeededAccount is a bank account the demo data declares verified.
type SeededAccount struct {
	CustomerID  string
	AccountHash string
}

// SeedAccounts records verified bank-account evidence (provider "demo")
// for the demo data's accounts, in one transaction, skipping accounts that
// already have it: so the lending core pays the demo customers out as it
// would after a penny drop. It is for `serve --demo` only; real accounts
// are verified by CheckBankAccount.
func (s *Service) SeedAccounts(ctx context.Context, accounts []SeededAccount) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	exp := now.Add(s.validity[CheckBank])
	return s.db.InTx(ctx, func(tx *sql.Tx) error {
		for _, a := range accounts {
			result, err := json.Marshal(map[string]string{"account_hash": a.AccountHash, "method": "demo"})
			if err != nil {
				return err
			}
			_, err = tx.ExecContext(ctx, `INSERT INTO kyc_evidence (`+evidenceCols+`)
SELECT $1, $2, 'bank-account', 'demo', NULL, 'verified', NULL, $3, $4, '{}', NULL, NULL, NULL, $5, $5, $6
WHERE NOT EXISTS (SELECT 1 FROM kyc_evidence WHERE check_type = 'bank-account' AND subject_hash = $3 AND customer_id = $2 AND provider = 'demo')`,
				s.ids.New("kyc"), a.CustomerID, a.AccountHash, string(result),
				store.Instant(now), store.Instant(exp))
			if err != nil {
				return store.Translate(err)
			}
		}
		return nil
	})
}
