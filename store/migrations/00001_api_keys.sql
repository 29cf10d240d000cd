-- +goose Up
-- API keys: only a SHA-256 hash of the secret is stored.
CREATE TABLE api_keys (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    customer_id TEXT,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT
);
CREATE INDEX api_keys_role ON api_keys (role);

-- +goose Down
DROP TABLE api_keys;
