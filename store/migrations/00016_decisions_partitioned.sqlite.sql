-- +goose Up
-- The decisions tables on the embedded SQLite. decisions and
-- decision_rules stay as they are: SQLite has no partitioning (the cold
-- tier deletes archived rows there, one process writing), instants stay
-- unix microseconds and bodies TEXT, and adding CHECK constraints would
-- mean copying the whole hot tier into a new table on upgrade; the values
-- they would hold are typed in the code that writes them (nirnay.Outcome,
-- nirnay.PolicyRole, a step the engine knows). The two small tables get
-- the CHECK constraints PostgreSQL has: decision_claims (empty on the
-- embedded default, which decides in one process without claims) and
-- step_ups.
CREATE TABLE decision_claims_checked (
    customer_id  TEXT NOT NULL CHECK (customer_id <> ''),
    request_id   TEXT NOT NULL CHECK (request_id <> ''),
    request_hash TEXT NOT NULL CHECK (request_hash <> ''),
    decision_id  TEXT NOT NULL UNIQUE CHECK (decision_id <> ''),
    response     TEXT,
    claimed_at   BIGINT NOT NULL,
    PRIMARY KEY (customer_id, request_id)
);
INSERT INTO decision_claims_checked SELECT customer_id, request_id, request_hash, decision_id, response, claimed_at FROM decision_claims;
DROP TABLE decision_claims;
ALTER TABLE decision_claims_checked RENAME TO decision_claims;

CREATE TABLE step_ups_checked (
    decision_id TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action <> '' AND length(CAST(action AS BLOB)) <= 64),
    customer_id TEXT NOT NULL CHECK (customer_id <> ''),
    step        TEXT NOT NULL CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept',
        'disbursal', 'repayment', 'collections', 'limit_increase')),
    result      TEXT NOT NULL CHECK (result IN ('passed', 'failed')),
    reported_at BIGINT NOT NULL,
    reported_by TEXT NOT NULL,
    PRIMARY KEY (decision_id, action)
);
INSERT INTO step_ups_checked SELECT decision_id, action, customer_id, step, result, reported_at, reported_by FROM step_ups;
DROP TABLE step_ups;
ALTER TABLE step_ups_checked RENAME TO step_ups;
CREATE INDEX step_ups_customer ON step_ups (customer_id, reported_at);

-- +goose Down
CREATE TABLE step_ups_unchecked (
    decision_id TEXT NOT NULL,
    action      TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    step        TEXT NOT NULL,
    result      TEXT NOT NULL CHECK (result IN ('passed', 'failed')),
    reported_at BIGINT NOT NULL,
    reported_by TEXT NOT NULL,
    PRIMARY KEY (decision_id, action)
);
INSERT INTO step_ups_unchecked SELECT decision_id, action, customer_id, step, result, reported_at, reported_by FROM step_ups;
DROP TABLE step_ups;
ALTER TABLE step_ups_unchecked RENAME TO step_ups;
CREATE INDEX step_ups_customer ON step_ups (customer_id, reported_at);

CREATE TABLE decision_claims_unchecked (
    customer_id  TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    decision_id  TEXT NOT NULL,
    response     TEXT,
    claimed_at   BIGINT NOT NULL,
    PRIMARY KEY (customer_id, request_id)
);
INSERT INTO decision_claims_unchecked SELECT customer_id, request_id, request_hash, decision_id, response, claimed_at FROM decision_claims;
DROP TABLE decision_claims;
ALTER TABLE decision_claims_unchecked RENAME TO decision_claims;
