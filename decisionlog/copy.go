package decisionlog

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/nirnay/nirnay/store"
)

// insertCopy is insertRecords on PostgreSQL: the batch's decisions and
// then their rule rows, each with one COPY into the partitioned parent
// (PostgreSQL routes each row to its month). It ships about twice as many
// decisions a second as the multi-row inserts it replaced
// (docs/data-model.md, Shipping): one stream of binary rows, no statement
// of 2,400 parameters to bind, and PostgreSQL's batched heap inserts. COPY skips no row: when
// any row of the batch is there already the copy fails with
// errShippedBefore and writes nothing, and insertRecords writes the batch
// with insertMultiRow instead. The columns are named, the instants bound
// through store.Instant, so it also runs on a database a release before
// migration 16 left.
func insertCopy(ctx context.Context, db *store.DB, recs []*Record, hooks []ShipHook) error {
	return db.InBulkTx(ctx, func(tx *store.BulkTx) error {
		if _, err := tx.CopyFrom(ctx, "decisions", decisionColumns, pgx.CopyFromSlice(len(recs), func(i int) ([]any, error) {
			r := recs[i]
			var parent any
			if r.ParentID != "" {
				parent = r.ParentID
			}
			return []any{r.ID, parent, r.RequestID, r.CustomerID, r.Step, string(r.Outcome), r.PolicyID, r.PolicyVersion,
				string(r.Role), r.Score, store.Instant(r.DecidedAt), []byte(r.Body)}, nil
		})); err != nil {
			return copyError(fmt.Sprintf("%d decisions", len(recs)), err)
		}
		i, j := 0, 0 // the next rule row: recs[i].Rules[j]
		if _, err := tx.CopyFrom(ctx, "decision_rules", ruleColumns, pgx.CopyFromFunc(func() ([]any, error) {
			for i < len(recs) && j == len(recs[i].Rules) {
				i, j = i+1, 0
			}
			if i == len(recs) {
				return nil, nil
			}
			r := recs[i]
			j++
			return []any{r.ID, r.Rules[j-1], store.Instant(r.DecidedAt)}, nil
		})); err != nil {
			return copyError("decision rules", err)
		}
		return runHooks(ctx, tx.Tx, recs, hooks)
	})
}

// The columns insertCopy fills, in the order of its rows' values.
var (
	decisionColumns = []string{"id", "parent_id", "request_id", "customer_id", "step", "outcome", "policy_id", "policy_version", "role", "score", "decided_at", "body"}
	ruleColumns     = []string{"decision_id", "rule_id", "decided_at"}
)

// errShippedBefore marks a copy refused because a row of its batch is in
// the database already.
var errShippedBefore = errors.New("part of the batch is in the database already")

func copyError(what string, err error) error {
	if store.IsUniqueViolation(err) {
		return fmt.Errorf("copy %s: %w: %w", what, errShippedBefore, err)
	}
	return fmt.Errorf("copy %s: %w", what, err)
}
