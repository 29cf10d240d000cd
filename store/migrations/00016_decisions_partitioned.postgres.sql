-- +goose Up
-- The decisions schema on PostgreSQL (DESIGN §9, §20): the decision log's
-- hot tier becomes a table partitioned by month of decided_at (UTC), so
-- the cold tier detaches and exports a whole month instead of deleting
-- rows, and every query with a time window reads only its months. Instants
-- become timestamptz and the decision body json; CHECK constraints, named
-- <table>_<what> as in migration 14 (store.ConstraintRules says each in
-- words; the SQLite file has them too), hold the values the code writes. Existing rows move in this one transaction:
-- a partition is created for every month they hold plus the current and
-- the next month (the day-end event keeps two months ahead; the shipper
-- creates a missing month on demand, decisionlog.Log.EnsurePartitions).
--
-- The body is json, not jsonb: jsonb reorders keys and respaces, and the
-- log keeps the decision exactly as it was answered (a replay of a request
-- id answers the same bytes; GET shows what was sent). No query reads
-- inside a body — rule ids have decision_rules — and json costs less to
-- write and to read back (docs/data-model.md, Measurements); its ->, ->>
-- and a cast to jsonb still serve an ad-hoc query.
--
-- Keys. A partitioned table's unique keys include its partition key, so
-- the primary key is (id, decided_at). A decision id is dec_<ULID> whose
-- time is its decided_at to the millisecond (decisions.Service makes a
-- claimed decision's decided_at the time in its id, so every copy of one
-- id — a dead claimer's and its taker's — has one decided_at and the key
-- still ships each decision once), so a read by id computes its month and
-- touches one partition. One decision per (customer, request id) is held
-- by decision_claims' primary key, which every instance inserts before it
-- decides.
--
-- Rule filters keep decision_rules (a row per fired or errored rule,
-- keyed (rule_id, decided_at, decision_id), partitioned like decisions):
-- "decisions that hit rule X in a window, newest first" reads 50 index
-- entries whatever the rule's frequency, where a GIN index on the rule ids
-- sorts every match (docs/data-model.md, Measurements).
SET LOCAL TIME ZONE 'UTC';

ALTER TABLE decisions.decisions RENAME TO decisions_unpartitioned;
ALTER INDEX decisions.decisions_pkey RENAME TO decisions_unpartitioned_pkey;
DROP INDEX decisions.decisions_customer;
DROP INDEX decisions.decisions_step;
DROP INDEX decisions.decisions_time;
DROP INDEX decisions.decisions_request;
ALTER TABLE decisions.decision_rules RENAME TO decision_rules_unpartitioned;
ALTER INDEX decisions.decision_rules_pkey RENAME TO decision_rules_unpartitioned_pkey;
DROP INDEX decisions.decision_rules_rule;

CREATE TABLE decisions.decisions (
    id             TEXT NOT NULL,
    parent_id      TEXT,
    request_id     TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    step           TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    policy_id      TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    role           TEXT NOT NULL,
    score          BIGINT NOT NULL,
    decided_at     TIMESTAMPTZ NOT NULL,
    body           JSON NOT NULL,
    CONSTRAINT decisions_pkey PRIMARY KEY (id, decided_at),
    CONSTRAINT decisions_id_present CHECK (id <> ''),
    CONSTRAINT decisions_customer_present CHECK (customer_id <> ''),
    CONSTRAINT decisions_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept',
        'disbursal', 'repayment', 'collections', 'limit_increase')),
    CONSTRAINT decisions_outcome_known CHECK (outcome IN ('approve', 'review', 'step_up', 'decline')),
    CONSTRAINT decisions_role_known CHECK (role IN ('champion', 'challenger', 'shadow')),
    -- A shadow evaluation names the acted-on decision it ran beside; an
    -- acted-on decision names none.
    CONSTRAINT decisions_parent_when_shadow CHECK ((role = 'shadow') = (parent_id IS NOT NULL)),
    CONSTRAINT decisions_policy_version_positive CHECK (policy_version > 0),
    CONSTRAINT decisions_body_object CHECK (json_typeof(body) = 'object')
) PARTITION BY RANGE (decided_at);

CREATE TABLE decisions.decision_rules (
    decision_id TEXT NOT NULL,
    rule_id     TEXT NOT NULL,
    decided_at  TIMESTAMPTZ NOT NULL,
    CONSTRAINT decision_rules_pkey PRIMARY KEY (rule_id, decided_at, decision_id),
    CONSTRAINT decision_rules_rule_present CHECK (rule_id <> ''),
    CONSTRAINT decision_rules_decision_present CHECK (decision_id <> '')
) PARTITION BY RANGE (decided_at);

-- Month partitions decisions_YYYYMM and decision_rules_YYYYMM, in the
-- schema of their parent.
-- +goose StatementBegin
DO $$
DECLARE
    m timestamptz;
BEGIN
    FOR m IN
        SELECT date_trunc('month', timestamptz 'epoch' + decided_at * interval '1 microsecond') FROM decisions.decisions_unpartitioned
        UNION SELECT date_trunc('month', timestamptz 'epoch' + decided_at * interval '1 microsecond') FROM decisions.decision_rules_unpartitioned
        UNION SELECT date_trunc('month', now())
        UNION SELECT date_trunc('month', now()) + interval '1 month'
    LOOP
        EXECUTE format('CREATE TABLE decisions.%I PARTITION OF decisions.decisions FOR VALUES FROM (%L) TO (%L)',
            'decisions_' || to_char(m, 'YYYYMM'), m, m + interval '1 month');
        EXECUTE format('CREATE TABLE decisions.%I PARTITION OF decisions.decision_rules FOR VALUES FROM (%L) TO (%L)',
            'decision_rules_' || to_char(m, 'YYYYMM'), m, m + interval '1 month');
    END LOOP;
END
$$;
-- +goose StatementEnd

INSERT INTO decisions.decisions (id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version, role, score, decided_at, body)
SELECT id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version, role, score,
       timestamptz 'epoch' + decided_at * interval '1 microsecond', body::json
FROM decisions.decisions_unpartitioned;
INSERT INTO decisions.decision_rules (decision_id, rule_id, decided_at)
SELECT decision_id, rule_id, timestamptz 'epoch' + decided_at * interval '1 microsecond'
FROM decisions.decision_rules_unpartitioned;
DROP TABLE decisions.decisions_unpartitioned;
DROP TABLE decisions.decision_rules_unpartitioned;

-- The indexes of the list filters (customer journey, step, time, request
-- id), built once the rows are in.
CREATE INDEX decisions_customer ON decisions.decisions (customer_id, decided_at);
CREATE INDEX decisions_step ON decisions.decisions (step, decided_at);
CREATE INDEX decisions_time ON decisions.decisions (decided_at);
CREATE INDEX decisions_request ON decisions.decisions (request_id);

-- Claims: one row per (customer, request id) — the primary key is the
-- guarantee that one instance decides a request id — naming the one
-- decision id that answers it (and a decision id answers one request).
-- The response is kept as json, not jsonb: a replay answers its exact
-- bytes. (Migration 14 made request_id and decision_id non-empty.)
ALTER TABLE decisions.decision_claims
    ALTER COLUMN claimed_at TYPE TIMESTAMPTZ USING timestamptz 'epoch' + claimed_at * interval '1 microsecond',
    ALTER COLUMN response TYPE JSON USING response::json,
    ADD CONSTRAINT decision_claims_decision_unique UNIQUE (decision_id),
    ADD CONSTRAINT decision_claims_customer_present CHECK (customer_id <> ''),
    ADD CONSTRAINT decision_claims_hash_present CHECK (request_hash <> '');

-- Step-up results: the challenge names the app reports (at most 64 bytes).
-- (Migration 14 checks the step and the result.)
ALTER TABLE decisions.step_ups
    ALTER COLUMN reported_at TYPE TIMESTAMPTZ USING timestamptz 'epoch' + reported_at * interval '1 microsecond',
    ADD CONSTRAINT step_ups_action_length CHECK (action <> '' AND octet_length(action) <= 64),
    ADD CONSTRAINT step_ups_customer_present CHECK (customer_id <> '');

ANALYZE decisions.decisions;
ANALYZE decisions.decision_rules;

-- +goose Down
SET LOCAL TIME ZONE 'UTC';

ALTER TABLE decisions.step_ups
    DROP CONSTRAINT step_ups_action_length,
    DROP CONSTRAINT step_ups_customer_present,
    ALTER COLUMN reported_at TYPE BIGINT USING (extract(epoch FROM reported_at) * 1000000)::bigint;
ALTER TABLE decisions.decision_claims
    DROP CONSTRAINT decision_claims_decision_unique,
    DROP CONSTRAINT decision_claims_customer_present,
    DROP CONSTRAINT decision_claims_hash_present,
    ALTER COLUMN response TYPE TEXT,
    ALTER COLUMN claimed_at TYPE BIGINT USING (extract(epoch FROM claimed_at) * 1000000)::bigint;

ALTER TABLE decisions.decisions RENAME TO decisions_partitioned;
ALTER TABLE decisions.decision_rules RENAME TO decision_rules_partitioned;
ALTER INDEX decisions.decisions_pkey RENAME TO decisions_partitioned_pkey;
ALTER INDEX decisions.decision_rules_pkey RENAME TO decision_rules_partitioned_pkey;
DROP INDEX decisions.decisions_customer;
DROP INDEX decisions.decisions_step;
DROP INDEX decisions.decisions_time;
DROP INDEX decisions.decisions_request;
CREATE TABLE decisions.decisions (
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
INSERT INTO decisions.decisions
SELECT id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version, role, score,
       (extract(epoch FROM decided_at) * 1000000)::bigint, body::text
FROM decisions.decisions_partitioned;
CREATE INDEX decisions_customer ON decisions.decisions (customer_id, decided_at);
CREATE INDEX decisions_step ON decisions.decisions (step, decided_at);
CREATE INDEX decisions_time ON decisions.decisions (decided_at);
CREATE INDEX decisions_request ON decisions.decisions (request_id);
CREATE TABLE decisions.decision_rules (
    decision_id TEXT NOT NULL,
    rule_id     TEXT NOT NULL,
    decided_at  BIGINT NOT NULL,
    PRIMARY KEY (decision_id, rule_id)
);
INSERT INTO decisions.decision_rules
SELECT decision_id, rule_id, (extract(epoch FROM decided_at) * 1000000)::bigint FROM decisions.decision_rules_partitioned;
CREATE INDEX decision_rules_rule ON decisions.decision_rules (rule_id, decided_at);
DROP TABLE decisions.decisions_partitioned;
DROP TABLE decisions.decision_rules_partitioned;
