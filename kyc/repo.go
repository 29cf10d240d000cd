package kyc

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/store"
)

// The evidence table (kyc.kyc_evidence on PostgreSQL, migration 18):
// instants bind through store.Instant (timestamptz; SQLite unix
// microseconds), result and scores are JSON text (jsonb). Rows are never
// updated: a trigger refuses it on both backends.

const evidenceCols = `id, customer_id, check_type, provider, provider_ref, status, reason, subject_hash, result, scores,
payload_sha256, consent_ref, completes, created_at, verified_at, expires_at`

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

func insertEvidence(ctx context.Context, db *store.DB, e *Evidence) error {
	result, err := json.Marshal(orEmpty(e.Result))
	if err != nil {
		return fmt.Errorf("kyc evidence result: %w", err)
	}
	scores, err := json.Marshal(orEmptyScores(e.Scores))
	if err != nil {
		return fmt.Errorf("kyc evidence scores: %w", err)
	}
	_, err = db.Writer().ExecContext(ctx, `INSERT INTO kyc_evidence (`+evidenceCols+`)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		e.ID, e.CustomerID, string(e.Check), e.Provider, nullString(e.ProviderRef), string(e.Status), nullString(e.Reason),
		nullString(e.SubjectHash), string(result), string(scores), nullString(e.PayloadSHA256), nullString(e.ConsentRef),
		nullString(e.Completes), store.Instant(e.CreatedAt), store.NullInstant(e.VerifiedAt), store.NullInstant(e.ExpiresAt))
	if err != nil {
		if nirnay.IsKind(store.Translate(err), nirnay.KindConflict) && e.Completes != "" {
			return nirnay.Errorf(nirnay.KindConflict, "evidence %s is already completed", e.Completes)
		}
		return store.Translate(err)
	}
	return nil
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func orEmptyScores(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

func scanEvidence(r store.Scanner) (*Evidence, error) {
	var (
		e                             Evidence
		check, status                 string
		ref, reason, subject, payload sql.NullString
		consent, completes            sql.NullString
		result, scores                string
	)
	if err := r.Scan(&e.ID, &e.CustomerID, &check, &e.Provider, &ref, &status, &reason, &subject, &result, &scores,
		&payload, &consent, &completes, store.ScanInstant(&e.CreatedAt), store.ScanNullInstant(&e.VerifiedAt),
		store.ScanNullInstant(&e.ExpiresAt)); err != nil {
		return nil, err
	}
	e.Check, e.Status = Check(check), Status(status)
	e.ProviderRef, e.Reason, e.SubjectHash = ref.String, reason.String, subject.String
	e.PayloadSHA256, e.ConsentRef, e.Completes = payload.String, consent.String, completes.String
	if err := json.Unmarshal([]byte(result), &e.Result); err != nil {
		return nil, fmt.Errorf("kyc evidence %s result: %w", e.ID, err)
	}
	if err := json.Unmarshal([]byte(scores), &e.Scores); err != nil {
		return nil, fmt.Errorf("kyc evidence %s scores: %w", e.ID, err)
	}
	return &e, nil
}

// listEvidence returns the customer's evidence, oldest first (at most
// limit records).
func listEvidence(ctx context.Context, db *store.DB, customerID string, limit int) ([]*Evidence, error) {
	rows, err := db.Reader().QueryContext(ctx, `SELECT `+evidenceCols+` FROM kyc_evidence
WHERE customer_id = $1 ORDER BY created_at, id LIMIT $2`, customerID, limit)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []*Evidence
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, store.Translate(rows.Err())
}

// getEvidence returns one record; KindNotFound when there is none.
func getEvidence(ctx context.Context, db *store.DB, id string) (*Evidence, error) {
	e, err := scanEvidence(db.Reader().QueryRowContext(ctx, `SELECT `+evidenceCols+` FROM kyc_evidence WHERE id = $1`, id))
	if err != nil {
		if nirnay.IsKind(store.Translate(err), nirnay.KindNotFound) {
			return nil, nirnay.Errorf(nirnay.KindNotFound, "no KYC evidence %s", id)
		}
		return nil, store.Translate(err)
	}
	return e, nil
}

// latestOfSubject returns the customer's most recent evidence of check
// for the subject hash, or nil.
func latestOfSubject(ctx context.Context, db *store.DB, customerID string, check Check, subject string) (*Evidence, error) {
	e, err := scanEvidence(db.Reader().QueryRowContext(ctx, `SELECT `+evidenceCols+` FROM kyc_evidence
WHERE check_type = $1 AND subject_hash = $2 AND customer_id = $3 ORDER BY created_at DESC, id DESC LIMIT 1`,
		string(check), subject, customerID))
	if err != nil {
		if nirnay.IsKind(store.Translate(err), nirnay.KindNotFound) {
			return nil, nil
		}
		return nil, store.Translate(err)
	}
	return e, nil
}

// customersOfSubject counts the distinct customers with evidence of check
// for the subject hash, counting customerID whether or not it has any yet.
func customersOfSubject(ctx context.Context, db *store.DB, check Check, subject, customerID string) (int64, error) {
	var n int64
	err := db.Reader().QueryRowContext(ctx, `SELECT COUNT(DISTINCT customer_id) FROM kyc_evidence
WHERE check_type = $1 AND subject_hash = $2 AND customer_id <> $3`, string(check), subject, customerID).Scan(&n)
	if err != nil {
		return 0, store.Translate(err)
	}
	return n + 1, nil
}

// journeyEvidence is the customer's evidence in [from, to), the most
// recent limit records, oldest first.
func journeyEvidence(ctx context.Context, db *store.DB, customerID string, from, to time.Time, limit int) ([]*Evidence, error) {
	w := store.Where{}
	w.Eq("customer_id", customerID)
	if !from.IsZero() {
		w.Add("created_at >= ?", store.Instant(from))
	}
	if !to.IsZero() {
		w.Add("created_at < ?", store.Instant(to))
	}
	rows, err := db.Reader().QueryContext(ctx, `SELECT `+evidenceCols+` FROM kyc_evidence`+w.String()+
		` ORDER BY created_at DESC, id DESC LIMIT `+strconv.Itoa(limit), w.Args...)
	if err != nil {
		return nil, store.Translate(err)
	}
	defer rows.Close()
	var out []*Evidence
	for rows.Next() {
		e, err := scanEvidence(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	slices.Reverse(out)
	return out, store.Translate(rows.Err())
}
