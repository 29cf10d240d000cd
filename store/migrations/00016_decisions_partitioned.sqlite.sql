-- +goose Up
-- The decisions tables on the embedded SQLite, with the CHECK constraints
-- PostgreSQL has (same names). The tables are not partitioned (SQLite has
-- no partitioning; one process writes the file, and the cold tier deletes
-- archived rows), instants stay unix microseconds and bodies TEXT. SQLite
-- cannot add a constraint to a table, so each table is copied into one
-- that has them: the hot tier of an embedded install (at most the hot age
-- of one process's decisions) copies in seconds (200,000 decisions with
-- 400,000 rule rows: 9 s). A body is only checked to
-- start as an object does: checking it whole (json_type) would triple the
-- cost of shipping a decision to SQLite.
CREATE TABLE decisions_checked (
    id             TEXT PRIMARY KEY,
    parent_id      TEXT,
    request_id     TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    step           TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    policy_id      TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    role           TEXT NOT NULL,
    score          BIGINT NOT NULL,
    decided_at     BIGINT NOT NULL,
    body           TEXT NOT NULL,
    CONSTRAINT decisions_id_present CHECK (id <> ''),
    CONSTRAINT decisions_customer_present CHECK (customer_id <> ''),
    CONSTRAINT decisions_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept',
        'disbursal', 'repayment', 'collections', 'limit_increase')),
    CONSTRAINT decisions_outcome_known CHECK (outcome IN ('approve', 'review', 'step_up', 'decline')),
    CONSTRAINT decisions_role_known CHECK (role IN ('champion', 'challenger', 'shadow')),
    CONSTRAINT decisions_parent_when_shadow CHECK ((role = 'shadow') = (parent_id IS NOT NULL)),
    CONSTRAINT decisions_policy_version_positive CHECK (policy_version > 0),
    CONSTRAINT decisions_body_object CHECK (substr(body, 1, 1) = '{')
);
INSERT INTO decisions_checked SELECT id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version,
    role, score, decided_at, body FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_checked RENAME TO decisions;
CREATE INDEX decisions_customer ON decisions (customer_id, decided_at);
CREATE INDEX decisions_step ON decisions (step, decided_at);
CREATE INDEX decisions_time ON decisions (decided_at);
CREATE INDEX decisions_request ON decisions (request_id);

CREATE TABLE decision_rules_checked (
    decision_id TEXT NOT NULL,
    rule_id     TEXT NOT NULL,
    decided_at  BIGINT NOT NULL,
    PRIMARY KEY (decision_id, rule_id),
    CONSTRAINT decision_rules_rule_present CHECK (rule_id <> ''),
    CONSTRAINT decision_rules_decision_present CHECK (decision_id <> '')
);
INSERT INTO decision_rules_checked SELECT decision_id, rule_id, decided_at FROM decision_rules;
DROP TABLE decision_rules;
ALTER TABLE decision_rules_checked RENAME TO decision_rules;
CREATE INDEX decision_rules_rule ON decision_rules (rule_id, decided_at);

-- Claims (empty on the embedded default, which decides in one process
-- without claims) and step-up results: the constraints of migration 14 and
-- those PostgreSQL adds here.
CREATE TABLE decision_claims_checked (
    customer_id  TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    decision_id  TEXT NOT NULL,
    response     TEXT,
    claimed_at   BIGINT NOT NULL,
    PRIMARY KEY (customer_id, request_id),
    CONSTRAINT decision_claims_request_present CHECK (request_id <> ''),
    CONSTRAINT decision_claims_decision_present CHECK (decision_id <> ''),
    CONSTRAINT decision_claims_decision_unique UNIQUE (decision_id),
    CONSTRAINT decision_claims_customer_present CHECK (customer_id <> ''),
    CONSTRAINT decision_claims_hash_present CHECK (request_hash <> '')
);
INSERT INTO decision_claims_checked SELECT customer_id, request_id, request_hash, decision_id, response, claimed_at FROM decision_claims;
DROP TABLE decision_claims;
ALTER TABLE decision_claims_checked RENAME TO decision_claims;

CREATE TABLE step_ups_checked (
    decision_id TEXT NOT NULL,
    action      TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    step        TEXT NOT NULL,
    result      TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    reported_by TEXT NOT NULL,
    PRIMARY KEY (decision_id, action),
    CONSTRAINT step_ups_result_known CHECK (result IN ('passed', 'failed')),
    CONSTRAINT step_ups_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept',
        'disbursal', 'repayment', 'collections', 'limit_increase')),
    CONSTRAINT step_ups_action_length CHECK (action <> '' AND length(CAST(action AS BLOB)) <= 64),
    CONSTRAINT step_ups_customer_present CHECK (customer_id <> '')
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
    result      TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    reported_by TEXT NOT NULL,
    PRIMARY KEY (decision_id, action),
    CONSTRAINT step_ups_result_known CHECK (result IN ('passed', 'failed')),
    CONSTRAINT step_ups_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept',
        'disbursal', 'repayment', 'collections', 'limit_increase'))
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
    PRIMARY KEY (customer_id, request_id),
    CONSTRAINT decision_claims_request_present CHECK (request_id <> ''),
    CONSTRAINT decision_claims_decision_present CHECK (decision_id <> '')
);
INSERT INTO decision_claims_unchecked SELECT customer_id, request_id, request_hash, decision_id, response, claimed_at FROM decision_claims;
DROP TABLE decision_claims;
ALTER TABLE decision_claims_unchecked RENAME TO decision_claims;

CREATE TABLE decision_rules_unchecked (
    decision_id TEXT NOT NULL,
    rule_id     TEXT NOT NULL,
    decided_at  BIGINT NOT NULL,
    PRIMARY KEY (decision_id, rule_id)
);
INSERT INTO decision_rules_unchecked SELECT decision_id, rule_id, decided_at FROM decision_rules;
DROP TABLE decision_rules;
ALTER TABLE decision_rules_unchecked RENAME TO decision_rules;
CREATE INDEX decision_rules_rule ON decision_rules (rule_id, decided_at);

CREATE TABLE decisions_unchecked (
    id             TEXT PRIMARY KEY,
    parent_id      TEXT,
    request_id     TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    step           TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    policy_id      TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    role           TEXT NOT NULL,
    score          BIGINT NOT NULL,
    decided_at     BIGINT NOT NULL,
    body           TEXT NOT NULL
);
INSERT INTO decisions_unchecked SELECT id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version,
    role, score, decided_at, body FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_unchecked RENAME TO decisions;
CREATE INDEX decisions_customer ON decisions (customer_id, decided_at);
CREATE INDEX decisions_step ON decisions (step, decided_at);
CREATE INDEX decisions_time ON decisions (decided_at);
CREATE INDEX decisions_request ON decisions (request_id);
