-- +goose NO TRANSACTION
-- +goose Up
-- Manual review cases (DESIGN §15, issue 18). One case per acted-on
-- decision whose outcome is review, opened in the transaction that ships
-- the decision to the database (decisionlog → cases.Opener), so a
-- referred decision has its case exactly when its row exists. Column
-- types as migration 15 made them outside the decisions schema: instants
-- timestamptz, documents jsonb (SQLite: BIGINT unix microseconds, TEXT).
--
-- Like migration 14 the file runs outside a transaction and can run again
-- after a failure: tables and indexes are created if missing, and each
-- widened CHECK of migration 14 is swapped NOT VALID (a brief lock) and
-- then VALIDATEd (reads and writes go on).
SET lock_timeout = '10s';
CREATE TABLE IF NOT EXISTS cases.cases (
    id                  TEXT PRIMARY KEY,
    decision_id         TEXT NOT NULL,
    customer_id         TEXT NOT NULL,
    step                TEXT NOT NULL,
    queue               TEXT NOT NULL,
    policy_id           TEXT NOT NULL,
    policy_version      INTEGER NOT NULL,
    status              TEXT NOT NULL,
    reasons             jsonb NOT NULL,
    priority            INTEGER NOT NULL,
    amount              BIGINT NOT NULL,
    sla_due_at          timestamptz NOT NULL,
    assignee_id         TEXT,
    assignee_name       TEXT,
    assigned_at         timestamptz,
    first_review        jsonb,
    first_reviewer_id   TEXT,
    outcome             TEXT,
    resolution          jsonb,
    verdict_decision_id TEXT,
    decided_at          timestamptz,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    CONSTRAINT cases_decision_once UNIQUE (decision_id),
    CONSTRAINT cases_verdict_once UNIQUE (verdict_decision_id),
    CONSTRAINT cases_status_known CHECK (status IN ('open', 'assigned', 'awaiting_second', 'decided')),
    CONSTRAINT cases_outcome_known CHECK (outcome IS NULL OR outcome IN ('approve', 'decline')),
    CONSTRAINT cases_priority_range CHECK (priority BETWEEN 1 AND 5),
    CONSTRAINT cases_amount_paise CHECK (amount >= 0),
    CONSTRAINT cases_policy_version_positive CHECK (policy_version > 0),
    CONSTRAINT cases_assigned_has_assignee CHECK (status <> 'assigned' OR assignee_id IS NOT NULL),
    CONSTRAINT cases_open_unassigned CHECK (status <> 'open' OR assignee_id IS NULL),
    CONSTRAINT cases_decided_unassigned CHECK (status <> 'decided' OR assignee_id IS NULL),
    CONSTRAINT cases_assignment_whole CHECK ((assignee_id IS NULL) = (assigned_at IS NULL) AND (assignee_id IS NULL) = (assignee_name IS NULL)),
    CONSTRAINT cases_second_after_first CHECK (status <> 'awaiting_second' OR first_review IS NOT NULL),
    CONSTRAINT cases_first_review_whole CHECK ((first_review IS NULL) = (first_reviewer_id IS NULL)),
    CONSTRAINT cases_decided_whole CHECK ((status = 'decided') = (outcome IS NOT NULL)
        AND (outcome IS NULL) = (resolution IS NULL)
        AND (outcome IS NULL) = (verdict_decision_id IS NULL)
        AND (outcome IS NULL) = (decided_at IS NULL))
);
CREATE INDEX IF NOT EXISTS cases_waiting ON cases.cases (queue, created_at, id) WHERE assignee_id IS NULL AND status IN ('open', 'awaiting_second');
CREATE INDEX IF NOT EXISTS cases_undecided ON cases.cases (queue, created_at) WHERE status <> 'decided';
CREATE INDEX IF NOT EXISTS cases_by_queue ON cases.cases (queue, status, created_at, id);
CREATE INDEX IF NOT EXISTS cases_by_customer ON cases.cases (customer_id, created_at, id);
CREATE INDEX IF NOT EXISTS cases_by_assignee ON cases.cases (assignee_id, created_at, id) WHERE assignee_id IS NOT NULL;

-- What happened to each case, in order: the audit trail ops read and the
-- customer's journey shows (opened, claimed, released, reassigned,
-- reviewed — the first of two reviews —, decided).
CREATE TABLE IF NOT EXISTS cases.case_events (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    at          timestamptz NOT NULL,
    action      TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    body        jsonb NOT NULL,
    CONSTRAINT case_events_case_fk FOREIGN KEY (case_id) REFERENCES cases.cases (id),
    CONSTRAINT case_events_action_known CHECK (action IN ('opened', 'claimed', 'released', 'reassigned', 'reviewed', 'decided'))
);
CREATE INDEX IF NOT EXISTS case_events_by_case ON cases.case_events (case_id, id);
CREATE INDEX IF NOT EXISTS case_events_by_customer ON cases.case_events (customer_id, at);

-- Lending steps waiting on a case: a referred application (loan or
-- line), disbursal, draw or limit increase, keyed by the referred
-- decision. request holds what the step does on approve (the limit asked
-- for, the draw's terms); the case's verdict resolves it once.
CREATE TABLE IF NOT EXISTS lending.referrals (
    decision_id         TEXT PRIMARY KEY,
    case_id             TEXT NOT NULL,
    customer_id         TEXT NOT NULL,
    kind                TEXT NOT NULL,
    subject_id          TEXT NOT NULL,
    status              TEXT NOT NULL,
    request             jsonb NOT NULL,
    reasons             jsonb NOT NULL,
    verdict_decision_id TEXT,
    created_at          timestamptz NOT NULL,
    resolved_at         timestamptz,
    CONSTRAINT referrals_kind_known CHECK (kind IN ('application', 'disbursal', 'draw', 'limit_increase')),
    CONSTRAINT referrals_status_known CHECK (status IN ('referred', 'approved', 'declined')),
    CONSTRAINT referrals_resolved_whole CHECK ((status = 'referred') = (resolved_at IS NULL))
);
CREATE INDEX IF NOT EXISTS referrals_by_subject ON lending.referrals (subject_id, created_at);

-- A referred lending step: the loan or line is referred until its case's
-- verdict, and its lending events say so (migration 14's CHECKs, widened).
ALTER TABLE lending.loans DROP CONSTRAINT IF EXISTS loans_status_known,
    ADD CONSTRAINT loans_status_known CHECK (status IN ('declined', 'referred', 'offered', 'accepted', 'active', 'closed', 'foreclosed',
        'cancelled', 'written_off')) NOT VALID;
ALTER TABLE lending.credit_lines DROP CONSTRAINT IF EXISTS credit_lines_status_known,
    ADD CONSTRAINT credit_lines_status_known CHECK (status IN ('declined', 'referred', 'offered', 'active')) NOT VALID;
ALTER TABLE lending.lending_events DROP CONSTRAINT IF EXISTS lending_events_type_known,
    ADD CONSTRAINT lending_events_type_known CHECK (type IN ('application', 'accepted', 'limit_increased', 'cancelled',
        'disbursed', 'payment', 'bounce', 'day_end', 'foreclose', 'waive', 'write_off',
        'referred', 'referral_approved', 'referral_declined', 'limit_increase_referred', 'limit_increase_declined')) NOT VALID;
ALTER TABLE lending.loans VALIDATE CONSTRAINT loans_status_known;
ALTER TABLE lending.credit_lines VALIDATE CONSTRAINT credit_lines_status_known;
ALTER TABLE lending.lending_events VALIDATE CONSTRAINT lending_events_type_known;

-- A reviewer's verdict is a decision of role manual whose parent is the
-- reviewed decision (migration 16's CHECKs, widened; NOT VALID then
-- VALIDATE reaches every month's partition).
ALTER TABLE decisions.decisions DROP CONSTRAINT IF EXISTS decisions_role_known,
    ADD CONSTRAINT decisions_role_known CHECK (role IN ('champion', 'challenger', 'shadow', 'manual')) NOT VALID,
    DROP CONSTRAINT IF EXISTS decisions_parent_when_shadow,
    ADD CONSTRAINT decisions_parent_when_shadow CHECK ((role IN ('shadow', 'manual')) = (parent_id IS NOT NULL)) NOT VALID;
ALTER TABLE decisions.decisions VALIDATE CONSTRAINT decisions_role_known;
ALTER TABLE decisions.decisions VALIDATE CONSTRAINT decisions_parent_when_shadow;

-- +goose Down
-- Fails while a referred loan or line, a referral's lending event or a
-- reviewer's verdict decision is stored: settle them first.
SET lock_timeout = '10s';
ALTER TABLE decisions.decisions DROP CONSTRAINT IF EXISTS decisions_role_known,
    ADD CONSTRAINT decisions_role_known CHECK (role IN ('champion', 'challenger', 'shadow')) NOT VALID,
    DROP CONSTRAINT IF EXISTS decisions_parent_when_shadow,
    ADD CONSTRAINT decisions_parent_when_shadow CHECK ((role = 'shadow') = (parent_id IS NOT NULL)) NOT VALID;
ALTER TABLE decisions.decisions VALIDATE CONSTRAINT decisions_role_known;
ALTER TABLE decisions.decisions VALIDATE CONSTRAINT decisions_parent_when_shadow;
ALTER TABLE lending.lending_events DROP CONSTRAINT IF EXISTS lending_events_type_known,
    ADD CONSTRAINT lending_events_type_known CHECK (type IN ('application', 'accepted', 'limit_increased', 'cancelled',
        'disbursed', 'payment', 'bounce', 'day_end', 'foreclose', 'waive', 'write_off')) NOT VALID;
ALTER TABLE lending.credit_lines DROP CONSTRAINT IF EXISTS credit_lines_status_known,
    ADD CONSTRAINT credit_lines_status_known CHECK (status IN ('declined', 'offered', 'active')) NOT VALID;
ALTER TABLE lending.loans DROP CONSTRAINT IF EXISTS loans_status_known,
    ADD CONSTRAINT loans_status_known CHECK (status IN ('declined', 'offered', 'accepted', 'active', 'closed', 'foreclosed',
        'cancelled', 'written_off')) NOT VALID;
ALTER TABLE lending.loans VALIDATE CONSTRAINT loans_status_known;
ALTER TABLE lending.credit_lines VALIDATE CONSTRAINT credit_lines_status_known;
ALTER TABLE lending.lending_events VALIDATE CONSTRAINT lending_events_type_known;
DROP TABLE IF EXISTS lending.referrals;
DROP TABLE IF EXISTS cases.case_events;
DROP TABLE IF EXISTS cases.cases;
