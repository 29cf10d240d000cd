package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// APIKey is a stored API key. The secret itself is never stored: only its
// SHA-256 hash, which is how a presented key is looked up.
type APIKey struct {
	ID         string
	Name       string
	Role       string
	CustomerID string // non-empty for a customer-scoped token
	CreatedAt  time.Time
	RevokedAt  *time.Time
}

// HashKey returns the stored form of an API key secret.
func HashKey(secret string) string { return SHA256Hex([]byte(secret)) }

// SHA256Hex is the hex SHA-256 of b: the form of every digest Nirnay
// stores (key hashes, policy source hashes, KFS digests).
func SHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CreateAPIKey stores a key for secret. A secret that is already stored gives
// a KindConflict error.
func (db *DB) CreateAPIKey(ctx context.Context, k APIKey, secret string) error {
	var cust any
	if k.CustomerID != "" {
		cust = k.CustomerID
	}
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO api_keys (id, name, key_hash, role, customer_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		k.ID, k.Name, HashKey(secret), k.Role, cust, Instant(k.CreatedAt))
	return Translate(err)
}

// EnsureAPIKey stores a key for secret unless one with the same secret
// exists; it then makes sure that key has the given role and is not
// revoked. One statement, so instances starting at once neither race nor
// make the database log a duplicate key.
func (db *DB) EnsureAPIKey(ctx context.Context, k APIKey, secret string) error {
	var cust any
	if k.CustomerID != "" {
		cust = k.CustomerID
	}
	_, err := db.write.ExecContext(ctx,
		`INSERT INTO api_keys (id, name, key_hash, role, customer_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		 ON CONFLICT (key_hash) DO UPDATE SET role = excluded.role, revoked_at = NULL`,
		k.ID, k.Name, HashKey(secret), k.Role, cust, Instant(k.CreatedAt))
	return Translate(err)
}

// APIKeyBySecret finds the unrevoked key for a presented secret; an unknown
// or revoked secret gives KindNotFound.
func (db *DB) APIKeyBySecret(ctx context.Context, secret string) (APIKey, error) {
	var (
		k    APIKey
		cust *string
	)
	err := db.read.QueryRowContext(ctx,
		`SELECT id, name, role, customer_id, created_at FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL`,
		HashKey(secret)).Scan(&k.ID, &k.Name, &k.Role, &cust, ScanInstant(&k.CreatedAt))
	if err != nil {
		return APIKey{}, Translate(err)
	}
	if cust != nil {
		k.CustomerID = *cust
	}
	return k, nil
}

// RevokeAPIKey revokes a key by id; an unknown id gives KindNotFound.
func (db *DB) RevokeAPIKey(ctx context.Context, id string, at time.Time) error {
	res, err := db.write.ExecContext(ctx, `UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, Instant(at), id)
	if err != nil {
		return Translate(err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("api key " + id)
	}
	return nil
}

// ListAPIKeys returns every key (never a secret), newest first.
func (db *DB) ListAPIKeys(ctx context.Context) ([]APIKey, error) {
	rows, err := db.read.QueryContext(ctx,
		`SELECT id, name, role, customer_id, created_at, revoked_at FROM api_keys ORDER BY created_at DESC, id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []APIKey
	for rows.Next() {
		var (
			k    APIKey
			cust *string
		)
		if err := rows.Scan(&k.ID, &k.Name, &k.Role, &cust, ScanInstant(&k.CreatedAt), ScanNullInstant(&k.RevokedAt)); err != nil {
			return nil, err
		}
		if cust != nil {
			k.CustomerID = *cust
		}
		out = append(out, k)
	}
	return out, rows.Err()
}
