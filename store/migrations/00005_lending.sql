-- +goose Up
-- The lending core (DESIGN §11). A loan's money state is the fold of its
-- events (lending_events); loans carries the lifecycle and a snapshot of the
-- folded figures for queries. Dates are TEXT YYYY-MM-DD, times BIGINT unix
-- microseconds, money BIGINT paise, JSON as TEXT.
CREATE TABLE loans (
    id                    TEXT PRIMARY KEY,
    customer_id           TEXT NOT NULL,
    product_id            TEXT NOT NULL,
    kind                  TEXT NOT NULL,            -- term_loan | draw
    request_id            TEXT NOT NULL DEFAULT '', -- the application's idempotency key
    credit_line_id        TEXT,
    status                TEXT NOT NULL,            -- declined offered accepted active closed foreclosed cancelled written_off
    amount                BIGINT NOT NULL,
    tenure_months         INTEGER NOT NULL,
    annual_rate_bps       BIGINT NOT NULL,
    reasons               TEXT NOT NULL DEFAULT '[]',
    offer                 TEXT NOT NULL DEFAULT '{}',
    kfs                   TEXT NOT NULL DEFAULT '',
    kfs_digest            TEXT NOT NULL DEFAULT '',
    consent               TEXT NOT NULL DEFAULT '',
    account_hash          TEXT NOT NULL DEFAULT '',
    disbursed_on          TEXT,
    outstanding           BIGINT NOT NULL DEFAULT 0,
    principal_outstanding BIGINT NOT NULL DEFAULT 0,
    advance               BIGINT NOT NULL DEFAULT 0,
    dpd                   INTEGER NOT NULL DEFAULT 0,
    asset_class           TEXT NOT NULL DEFAULT 'standard',
    last_event_on         TEXT,
    last_day_end          TEXT,
    created_at            BIGINT NOT NULL,
    updated_at            BIGINT NOT NULL
);
CREATE INDEX loans_customer ON loans (customer_id, created_at);
CREATE INDEX loans_status ON loans (status);
CREATE INDEX loans_line ON loans (credit_line_id);
CREATE UNIQUE INDEX loans_request ON loans (customer_id, request_id) WHERE request_id <> '';

CREATE TABLE credit_lines (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL,
    product_id      TEXT NOT NULL,
    status          TEXT NOT NULL,                  -- declined offered active closed cancelled
    request_id      TEXT NOT NULL DEFAULT '',
    credit_limit    BIGINT NOT NULL,
    annual_rate_bps BIGINT NOT NULL,
    reasons         TEXT NOT NULL DEFAULT '[]',
    offer           TEXT NOT NULL DEFAULT '{}',
    consent         TEXT NOT NULL DEFAULT '',
    account_hash    TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX credit_lines_customer ON credit_lines (customer_id, created_at);
CREATE UNIQUE INDEX credit_lines_request ON credit_lines (customer_id, request_id) WHERE request_id <> '';

-- Every lifecycle step and money event of a loan or credit line, in order
-- (seq per subject). Money events are folded into the loan's state; all of
-- them make the customer's lending journey.
CREATE TABLE lending_events (
    id          TEXT PRIMARY KEY,
    subject_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    customer_id TEXT NOT NULL,
    type        TEXT NOT NULL,
    on_date     TEXT NOT NULL,
    at          BIGINT NOT NULL,
    body        TEXT NOT NULL,
    UNIQUE (subject_id, seq)
);
CREATE INDEX lending_events_customer ON lending_events (customer_id, at);

-- Payments, idempotent by (loan_id, idempotency_key).
CREATE TABLE loan_payments (
    id              TEXT PRIMARY KEY,
    loan_id         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    kind            TEXT NOT NULL,                  -- payment | foreclosure | cooling_off
    amount          BIGINT NOT NULL,
    paid_on         TEXT NOT NULL,
    status          TEXT NOT NULL,                  -- applied | bounced
    decision_id     TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    bounced_at      BIGINT,
    UNIQUE (loan_id, idempotency_key)
);

-- Double-entry ledger: every journal's lines balance (sum of debits = sum
-- of credits) and are written in the transaction of the state change.
CREATE TABLE ledger_journals (
    id         TEXT PRIMARY KEY,
    loan_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    ref        TEXT NOT NULL,
    on_date    TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX ledger_journals_loan ON ledger_journals (loan_id, created_at);
CREATE TABLE ledger_lines (
    journal_id TEXT NOT NULL,
    line       INTEGER NOT NULL,
    loan_id    TEXT NOT NULL,
    account    TEXT NOT NULL,
    debit      BIGINT NOT NULL,
    credit     BIGINT NOT NULL,
    PRIMARY KEY (journal_id, line)
);
CREATE INDEX ledger_lines_loan ON ledger_lines (loan_id, account);

-- Borrower-level asset classification (NPA is per borrower).
CREATE TABLE borrowers (
    customer_id TEXT PRIMARY KEY,
    asset_class TEXT NOT NULL,
    max_dpd     INTEGER NOT NULL,
    as_of       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Transactional outbox of domain events, written in the transaction of the
-- change they announce; the events pipeline publishes and marks them.
CREATE TABLE outbox (
    id           TEXT PRIMARY KEY,
    topic        TEXT NOT NULL,
    key          TEXT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    published_at BIGINT NULL
);
CREATE INDEX outbox_unpublished ON outbox (published_at, created_at);

-- +goose Down
DROP TABLE outbox;
DROP TABLE borrowers;
DROP TABLE ledger_lines;
DROP TABLE ledger_journals;
DROP TABLE loan_payments;
DROP TABLE lending_events;
DROP TABLE credit_lines;
DROP TABLE loans;
