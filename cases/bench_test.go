package cases_test

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/cases"
	"github.com/nirnay/nirnay/decisionlog"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/store"
)

// BenchmarkOpen is what a case costs the shipper: opening the cases of a
// batch of 100 referred decisions (a body of a shipped size each) in one
// transaction, per case, on each backend. The decision's own row costs
// the same with or without it; nothing of it is on the request's path.
func BenchmarkOpen(b *testing.B) {
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			var db *store.DB
			if name == "sqlite" {
				db = testenv.SQLite(b)
			} else {
				db = testenv.Backend{URL: testenv.Postgres(b)}.Open(b)
				if _, err := db.Migrate(context.Background(), nil); err != nil {
					b.Fatal(err)
				}
			}
			qs, err := cases.DefaultQueues()
			if err != nil {
				b.Fatal(err)
			}
			o := cases.NewOpener(db.Dialect, qs, nil, nil)
			body := []byte(`{"response": {"decision_id": "x", "outcome": "review", "reasons": ["RISK_SCORE_BORDERLINE", "NEW_TO_CREDIT"],
				"rules": [{"id": "new_to_credit", "fired": true, "outcome": "review"}, {"id": "thin_file", "fired": true, "score": -10}]},
				"input": {"amount": 150000, "tenure_months": 12, "device_id": "D1"}, "features": [` +
				`{"name": "bureau_score", "value": 640, "age_ms": 1000, "state": "present"}, {"name": "monthly_income", "value": 40000, "age_ms": 1000, "state": "present"}]}`)
			const batch = 100
			n := 0
			b.ResetTimer()
			for i := 0; i < b.N; i += batch {
				recs := make([]*decisionlog.Record, batch)
				for j := range recs {
					n++
					recs[j] = &decisionlog.Record{ID: fmt.Sprintf("dec_%026d", n), CustomerID: "C-1", Step: "application", Outcome: nirnay.Review,
						PolicyID: "credit-underwriting", PolicyVersion: 1, Role: nirnay.RoleChampion, DecidedAt: time.Now(), Body: body}
				}
				if err := db.InTx(context.Background(), func(tx *sql.Tx) error { return o.Hook(context.Background(), tx, recs) }); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
