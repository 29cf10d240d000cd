-- +goose NO TRANSACTION
-- +goose Up
-- Manual review cases (DESIGN §15, issue 18). One case per acted-on
-- decision whose outcome is review, opened in the transaction that ships
-- the decision to the database (decisionlog → cases.Opener), so a
-- referred decision has its case exactly when its row exists. Instants
-- are unix microseconds (BIGINT) and documents JSON text, as in every
-- SQLite table (PostgreSQL: timestamptz and jsonb, as migration 15 made
-- them).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
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
-- verdict, and its lending events say so. SQLite cannot change a CHECK,
-- so the three tables are rebuilt as migration 14 rebuilt them (see
-- there), with the CHECKs widened: foreign keys are off while they are
-- swapped (the whole file is one transaction, begun after the pragma) and
-- checked whole before the commit.
CREATE TABLE credit_lines_new (
    id              TEXT PRIMARY KEY,
    customer_id     TEXT NOT NULL,
    product_id      TEXT NOT NULL,
    status          TEXT NOT NULL,
    request_id      TEXT NOT NULL DEFAULT '',
    credit_limit    BIGINT NOT NULL,
    annual_rate_bps BIGINT NOT NULL,
    reasons         TEXT NOT NULL DEFAULT '[]',
    offer           TEXT NOT NULL DEFAULT '{}',
    consent         TEXT NOT NULL DEFAULT '',
    account_hash    TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CONSTRAINT credit_lines_status_known CHECK (status IN ('declined', 'referred', 'offered', 'active')),
    CONSTRAINT credit_lines_limit_positive CHECK (credit_limit > 0),
    CONSTRAINT credit_lines_rate_in_range CHECK (annual_rate_bps BETWEEN 0 AND 10000),
    CONSTRAINT credit_lines_account_when_active CHECK (status <> 'active' OR account_hash <> '')
);
INSERT INTO credit_lines_new (id, customer_id, product_id, status, request_id, credit_limit, annual_rate_bps, reasons, offer, consent,
        account_hash, created_at, updated_at)
    SELECT id, customer_id, product_id, status, request_id, credit_limit, annual_rate_bps, reasons, offer, consent,
        account_hash, created_at, updated_at FROM credit_lines;
DROP TABLE credit_lines;
ALTER TABLE credit_lines_new RENAME TO credit_lines;
CREATE INDEX credit_lines_customer ON credit_lines (customer_id, created_at);
CREATE UNIQUE INDEX credit_lines_request ON credit_lines (customer_id, request_id) WHERE request_id <> '';

CREATE TABLE loans_new (
    id                    TEXT PRIMARY KEY,
    customer_id           TEXT NOT NULL,
    product_id            TEXT NOT NULL,
    kind                  TEXT NOT NULL,
    request_id            TEXT NOT NULL DEFAULT '',
    credit_line_id        TEXT,
    status                TEXT NOT NULL,
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
    updated_at            BIGINT NOT NULL,
    CONSTRAINT loans_credit_line_fk FOREIGN KEY (credit_line_id) REFERENCES credit_lines (id),
    CONSTRAINT loans_kind_known CHECK (kind IN ('term_loan', 'draw')),
    CONSTRAINT loans_draw_on_line CHECK ((kind = 'draw') = (credit_line_id IS NOT NULL)),
    CONSTRAINT loans_status_known CHECK (status IN ('declined', 'referred', 'offered', 'accepted', 'active', 'closed', 'foreclosed', 'cancelled', 'written_off')),
    CONSTRAINT loans_asset_class_known CHECK (asset_class IN ('standard', 'sma_0', 'sma_1', 'sma_2', 'npa')),
    CONSTRAINT loans_amount_positive CHECK (amount > 0),
    CONSTRAINT loans_tenure_positive CHECK (tenure_months > 0),
    CONSTRAINT loans_rate_in_range CHECK (annual_rate_bps BETWEEN 0 AND 10000),
    CONSTRAINT loans_balances_non_negative CHECK (outstanding >= 0 AND principal_outstanding >= 0 AND advance >= 0),
    CONSTRAINT loans_principal_within_outstanding CHECK (principal_outstanding <= outstanding),
    CONSTRAINT loans_dpd_non_negative CHECK (dpd >= 0),
    CONSTRAINT loans_disbursed_when_live CHECK (status NOT IN ('active', 'closed', 'foreclosed', 'written_off') OR disbursed_on IS NOT NULL),
    CONSTRAINT loans_account_when_accepted CHECK (status NOT IN ('accepted', 'active', 'closed', 'foreclosed', 'written_off') OR account_hash <> '')
);
INSERT INTO loans_new (id, customer_id, product_id, kind, request_id, credit_line_id, status, amount, tenure_months, annual_rate_bps,
        reasons, offer, kfs, kfs_digest, consent, account_hash, disbursed_on, outstanding, principal_outstanding, advance,
        dpd, asset_class, last_event_on, last_day_end, created_at, updated_at)
    SELECT id, customer_id, product_id, kind, request_id, credit_line_id, status, amount, tenure_months, annual_rate_bps,
        reasons, offer, kfs, kfs_digest, consent, account_hash, disbursed_on, outstanding, principal_outstanding, advance,
        dpd, asset_class, last_event_on, last_day_end, created_at, updated_at FROM loans;
DROP TABLE loans;
ALTER TABLE loans_new RENAME TO loans;
CREATE INDEX loans_customer ON loans (customer_id, created_at);
CREATE INDEX loans_status ON loans (status);
CREATE INDEX loans_line ON loans (credit_line_id);
CREATE UNIQUE INDEX loans_request ON loans (customer_id, request_id) WHERE request_id <> '';

CREATE TABLE lending_events_new (
    id          TEXT PRIMARY KEY,
    subject_id  TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    customer_id TEXT NOT NULL,
    type        TEXT NOT NULL,
    on_date     TEXT NOT NULL,
    at          BIGINT NOT NULL,
    body        TEXT NOT NULL,
    UNIQUE (subject_id, seq),
    CONSTRAINT lending_events_seq_positive CHECK (seq > 0),
    CONSTRAINT lending_events_type_known CHECK (type IN ('application', 'accepted', 'limit_increased', 'cancelled',
        'disbursed', 'payment', 'bounce', 'day_end', 'foreclose', 'waive', 'write_off',
        'referred', 'referral_approved', 'referral_declined', 'limit_increase_referred', 'limit_increase_declined'))
);
INSERT INTO lending_events_new (id, subject_id, seq, customer_id, type, on_date, at, body)
    SELECT id, subject_id, seq, customer_id, type, on_date, at, body FROM lending_events;
DROP TABLE lending_events;
ALTER TABLE lending_events_new RENAME TO lending_events;
CREATE INDEX lending_events_customer ON lending_events (customer_id, at);

-- A reviewer's verdict is a decision of role manual whose parent is the
-- reviewed decision (migration 16's CHECKs, widened; the table is copied
-- as migration 16 copied it).
CREATE TABLE decisions_new (
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
    CONSTRAINT decisions_role_known CHECK (role IN ('champion', 'challenger', 'shadow', 'manual')),
    CONSTRAINT decisions_parent_when_shadow CHECK ((role IN ('shadow', 'manual')) = (parent_id IS NOT NULL)),
    CONSTRAINT decisions_policy_version_positive CHECK (policy_version > 0),
    CONSTRAINT decisions_body_object CHECK (substr(body, 1, 1) = '{')
);
INSERT INTO decisions_new SELECT id, parent_id, request_id, customer_id, step, outcome, policy_id, policy_version,
    role, score, decided_at, body FROM decisions;
DROP TABLE decisions;
ALTER TABLE decisions_new RENAME TO decisions;
CREATE INDEX decisions_customer ON decisions (customer_id, decided_at);
CREATE INDEX decisions_step ON decisions (step, decided_at);
CREATE INDEX decisions_time ON decisions (decided_at);
CREATE INDEX decisions_request ON decisions (request_id);

CREATE TEMP TABLE migration_17_fk_check (
    violations INTEGER CONSTRAINT rows_refer_to_missing_rows_see_pragma_foreign_key_check CHECK (violations = 0)
);
INSERT INTO migration_17_fk_check SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE migration_17_fk_check;
COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
-- The widened CHECKs stay on SQLite (the tables would have to be rebuilt);
-- the tables of the cases are dropped.
DROP TABLE referrals;
DROP TABLE case_events;
DROP TABLE cases;
