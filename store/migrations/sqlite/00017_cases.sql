-- +goose Up
-- Manual review cases (DESIGN §15, issue 18). One case per acted-on
-- decision whose outcome is review, opened in the transaction that ships
-- the decision to the database (decisionlog → cases.Opener), so a
-- referred decision has its case exactly when its row exists. Instants
-- are unix microseconds (BIGINT) and documents JSON text, as in every
-- SQLite table (PostgreSQL: timestamptz and jsonb, as migration 15 made
-- them).
CREATE TABLE cases (
    id                  TEXT PRIMARY KEY,
    decision_id         TEXT NOT NULL,
    customer_id         TEXT NOT NULL,
    step                TEXT NOT NULL,
    queue               TEXT NOT NULL,
    policy_id           TEXT NOT NULL,
    policy_version      INTEGER NOT NULL,
    status              TEXT NOT NULL,
    reasons             TEXT NOT NULL,
    priority            INTEGER NOT NULL,
    amount              BIGINT NOT NULL,
    sla_due_at          BIGINT NOT NULL,
    assignee_id         TEXT,
    assignee_name       TEXT,
    assigned_at         BIGINT,
    first_review        TEXT,
    first_reviewer_id   TEXT,
    outcome             TEXT,
    resolution          TEXT,
    verdict_decision_id TEXT,
    decided_at          BIGINT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
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
CREATE INDEX cases_waiting ON cases (queue, created_at, id) WHERE assignee_id IS NULL AND status IN ('open', 'awaiting_second');
CREATE INDEX cases_undecided ON cases (queue, created_at) WHERE status <> 'decided';
CREATE INDEX cases_by_queue ON cases (queue, status, created_at, id);
CREATE INDEX cases_by_customer ON cases (customer_id, created_at, id);
CREATE INDEX cases_by_assignee ON cases (assignee_id, created_at, id) WHERE assignee_id IS NOT NULL;

-- What happened to each case, in order: the audit trail ops read and the
-- customer's journey shows (opened, claimed, released, reassigned,
-- reviewed — the first of two reviews —, decided).
CREATE TABLE case_events (
    id          TEXT PRIMARY KEY,
    case_id     TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    at          BIGINT NOT NULL,
    action      TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    body        TEXT NOT NULL,
    CONSTRAINT case_events_case_fk FOREIGN KEY (case_id) REFERENCES cases (id),
    CONSTRAINT case_events_action_known CHECK (action IN ('opened', 'claimed', 'released', 'reassigned', 'reviewed', 'decided'))
);
CREATE INDEX case_events_by_case ON case_events (case_id, id);
CREATE INDEX case_events_by_customer ON case_events (customer_id, at);

-- Lending steps waiting on a case: a referred application (loan or
-- line), disbursal, draw or limit increase, keyed by the referred
-- decision. request holds what the step does on approve (the limit asked
-- for, the draw's terms); the case's verdict resolves it once.
CREATE TABLE referrals (
    decision_id         TEXT PRIMARY KEY,
    case_id             TEXT NOT NULL,
    customer_id         TEXT NOT NULL,
    kind                TEXT NOT NULL,
    subject_id          TEXT NOT NULL,
    status              TEXT NOT NULL,
    request             TEXT NOT NULL,
    reasons             TEXT NOT NULL,
    verdict_decision_id TEXT,
    created_at          BIGINT NOT NULL,
    resolved_at         BIGINT,
    CONSTRAINT referrals_kind_known CHECK (kind IN ('application', 'disbursal', 'draw', 'limit_increase')),
    CONSTRAINT referrals_status_known CHECK (status IN ('referred', 'approved', 'declined')),
    CONSTRAINT referrals_resolved_whole CHECK ((status = 'referred') = (resolved_at IS NULL))
);
CREATE INDEX referrals_by_subject ON referrals (subject_id, created_at);

-- A referred lending step: the loan or line is referred until its case's
-- verdict, and its lending events say so; a reviewer's verdict is a
-- decision of role manual whose parent is the reviewed decision. The
-- CHECKs of migrations 14 and 16 are widened (each table rebuilt, see
-- rebuild.go).
ALTER TABLE credit_lines ADD CONSTRAINT credit_lines_status_known CHECK (status IN ('declined', 'referred', 'offered', 'active'));

ALTER TABLE loans ADD CONSTRAINT loans_status_known CHECK (status IN ('declined', 'referred', 'offered', 'accepted', 'active', 'closed', 'foreclosed', 'cancelled', 'written_off'));

ALTER TABLE lending_events ADD CONSTRAINT lending_events_type_known CHECK (type IN ('application', 'accepted', 'limit_increased', 'cancelled', 'disbursed', 'payment', 'bounce', 'day_end', 'foreclose', 'waive', 'write_off', 'referred', 'referral_approved', 'referral_declined', 'limit_increase_referred', 'limit_increase_declined'));

ALTER TABLE decisions ADD CONSTRAINT decisions_role_known CHECK (role IN ('champion', 'challenger', 'shadow', 'manual'));
ALTER TABLE decisions ADD CONSTRAINT decisions_parent_when_shadow CHECK ((role IN ('shadow', 'manual')) = (parent_id IS NOT NULL));

-- +goose Down
-- The widened CHECKs stay on SQLite; the tables of the cases are dropped.
DROP TABLE referrals;
DROP TABLE case_events;
DROP TABLE cases;
