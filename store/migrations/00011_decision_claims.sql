-- +goose Up
-- Idempotency across instances (DESIGN §6): a request id is claimed for its
-- customer before it is decided, so exactly one instance decides it; the
-- others answer the claimer's decision (response, once stored; else from
-- the decision log). claimed_at is unix microseconds.
CREATE TABLE decision_claims (
    customer_id  TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    decision_id  TEXT NOT NULL,
    response     TEXT,
    claimed_at   BIGINT NOT NULL,
    PRIMARY KEY (customer_id, request_id)
);

-- +goose Down
DROP TABLE decision_claims;
