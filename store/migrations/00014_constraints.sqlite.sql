-- +goose NO TRANSACTION
-- +goose Up
-- Constraints that keep the data consistent (issue 17): foreign keys within
-- a module, CHECKs on every status, kind, role, outcome, type, asset class
-- and account column and on money, and a table of policies that every
-- policy version belongs to. The same constraints as the PostgreSQL file,
-- with the same names; see there for what each one says.
--
-- SQLite cannot add a constraint to a table, so each table is rebuilt the
-- way SQLite documents it: create the new table with its constraints, copy
-- the rows, drop the old table, rename the new one and recreate its
-- indexes. Parents are rebuilt before their children, so a foreign key
-- always names the new parent. Foreign key enforcement is off while the
-- tables are swapped (the pragma cannot change inside a transaction, hence
-- NO TRANSACTION and the explicit BEGIN … COMMIT); before the commit the
-- whole file is checked with foreign_key_check, and a violation fails the
-- migration (the transaction is then rolled back by store.Migrate).
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

-- auth ---------------------------------------------------------------------
CREATE TABLE api_keys_new (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    key_hash    TEXT NOT NULL UNIQUE,
    role        TEXT NOT NULL,
    customer_id TEXT,
    created_at  BIGINT NOT NULL,
    revoked_at  BIGINT,
    CONSTRAINT api_keys_role_known CHECK (role IN ('service', 'analyst', 'approver', 'ops', 'admin'))
);
INSERT INTO api_keys_new (id, name, key_hash, role, customer_id, created_at, revoked_at)
    SELECT id, name, key_hash, role, customer_id, created_at, revoked_at FROM api_keys;
DROP TABLE api_keys;
ALTER TABLE api_keys_new RENAME TO api_keys;
CREATE INDEX api_keys_role ON api_keys (role);

-- decisions (decisions and decision_rules are left to 00016) ---------------
CREATE TABLE step_ups_new (
    decision_id TEXT NOT NULL,
    action      TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    step        TEXT NOT NULL,
    result      TEXT NOT NULL,
    reported_at BIGINT NOT NULL,
    reported_by TEXT NOT NULL,
    PRIMARY KEY (decision_id, action),
    CONSTRAINT step_ups_result_known CHECK (result IN ('passed', 'failed')),
    CONSTRAINT step_ups_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase'))
);
INSERT INTO step_ups_new (decision_id, action, customer_id, step, result, reported_at, reported_by)
    SELECT decision_id, action, customer_id, step, result, reported_at, reported_by FROM step_ups;
DROP TABLE step_ups;
ALTER TABLE step_ups_new RENAME TO step_ups;
CREATE INDEX step_ups_customer ON step_ups (customer_id, reported_at);

CREATE TABLE decision_claims_new (
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
INSERT INTO decision_claims_new (customer_id, request_id, request_hash, decision_id, response, claimed_at)
    SELECT customer_id, request_id, request_hash, decision_id, response, claimed_at FROM decision_claims;
DROP TABLE decision_claims;
ALTER TABLE decision_claims_new RENAME TO decision_claims;

-- governance ---------------------------------------------------------------
CREATE TABLE policies (
    id         TEXT PRIMARY KEY,
    step       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT policies_id_step UNIQUE (id, step),
    CONSTRAINT policies_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase'))
);
INSERT INTO policies (id, step, created_at)
    SELECT v.policy_id, v.step, v.created_at FROM policy_versions v
    WHERE v.version = (SELECT MIN(w.version) FROM policy_versions w WHERE w.policy_id = v.policy_id);

CREATE TABLE policy_versions_new (
    policy_id     TEXT NOT NULL,
    version       INTEGER NOT NULL,
    step          TEXT NOT NULL,
    status        TEXT NOT NULL,
    source        TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    author_id     TEXT NOT NULL,
    author_name   TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    submitted_at  BIGINT,
    reviewer_id   TEXT,
    reviewer_name TEXT,
    reviewed_at   BIGINT,
    reject_reason TEXT,
    PRIMARY KEY (policy_id, version),
    CONSTRAINT policy_versions_policy_fk FOREIGN KEY (policy_id, step) REFERENCES policies (id, step),
    CONSTRAINT policy_versions_version_positive CHECK (version > 0),
    CONSTRAINT policy_versions_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase')),
    CONSTRAINT policy_versions_status_known CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')),
    CONSTRAINT policy_versions_submitted_unless_draft CHECK ((status = 'draft') = (submitted_at IS NULL)),
    CONSTRAINT policy_versions_reviewed_when_decided CHECK ((status IN ('approved', 'rejected')) = (reviewer_id IS NOT NULL)),
    CONSTRAINT policy_versions_review_complete CHECK ((reviewer_id IS NULL) = (reviewer_name IS NULL) AND (reviewer_id IS NULL) = (reviewed_at IS NULL)),
    CONSTRAINT policy_versions_reason_when_rejected CHECK ((status = 'rejected') = (reject_reason IS NOT NULL))
);
INSERT INTO policy_versions_new (policy_id, version, step, status, source, sha256, author_id, author_name, created_at, updated_at,
        submitted_at, reviewer_id, reviewer_name, reviewed_at, reject_reason)
    SELECT policy_id, version, step, status, source, sha256, author_id, author_name, created_at, updated_at,
        submitted_at, reviewer_id, reviewer_name, reviewed_at, reject_reason FROM policy_versions;
DROP TABLE policy_versions;
ALTER TABLE policy_versions_new RENAME TO policy_versions;
CREATE INDEX policy_versions_status ON policy_versions (status);
-- A policy's first version records the policy (see the PostgreSQL file).
-- +goose StatementBegin
CREATE TRIGGER policy_versions_policy BEFORE INSERT ON policy_versions
BEGIN
    INSERT INTO policies (id, step, created_at)
        SELECT NEW.policy_id, NEW.step, NEW.created_at WHERE NOT EXISTS (SELECT 1 FROM policies WHERE id = NEW.policy_id);
END;
-- +goose StatementEnd

CREATE TABLE policy_deployments_new (
    step            TEXT PRIMARY KEY,
    champion        TEXT NOT NULL,
    challengers     TEXT NOT NULL,
    shadows         TEXT NOT NULL,
    revision        BIGINT NOT NULL,
    updated_by_id   TEXT NOT NULL,
    updated_by_name TEXT NOT NULL,
    updated_at      BIGINT NOT NULL,
    CONSTRAINT policy_deployments_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase')),
    CONSTRAINT policy_deployments_revision_positive CHECK (revision > 0)
);
INSERT INTO policy_deployments_new (step, champion, challengers, shadows, revision, updated_by_id, updated_by_name, updated_at)
    SELECT step, champion, challengers, shadows, revision, updated_by_id, updated_by_name, updated_at FROM policy_deployments;
DROP TABLE policy_deployments;
ALTER TABLE policy_deployments_new RENAME TO policy_deployments;

-- lending ------------------------------------------------------------------
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
    CONSTRAINT credit_lines_status_known CHECK (status IN ('declined', 'offered', 'active')),
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
    CONSTRAINT loans_status_known CHECK (status IN ('declined', 'offered', 'accepted', 'active', 'closed', 'foreclosed', 'cancelled', 'written_off')),
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
        'disbursed', 'payment', 'bounce', 'day_end', 'foreclose', 'waive', 'write_off'))
);
INSERT INTO lending_events_new (id, subject_id, seq, customer_id, type, on_date, at, body)
    SELECT id, subject_id, seq, customer_id, type, on_date, at, body FROM lending_events;
DROP TABLE lending_events;
ALTER TABLE lending_events_new RENAME TO lending_events;
CREATE INDEX lending_events_customer ON lending_events (customer_id, at);

CREATE TABLE loan_payments_new (
    id              TEXT PRIMARY KEY,
    loan_id         TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash    TEXT NOT NULL,
    kind            TEXT NOT NULL,
    amount          BIGINT NOT NULL,
    paid_on         TEXT NOT NULL,
    status          TEXT NOT NULL,
    decision_id     TEXT NOT NULL DEFAULT '',
    created_at      BIGINT NOT NULL,
    bounced_at      BIGINT,
    UNIQUE (loan_id, idempotency_key),
    CONSTRAINT loan_payments_loan_fk FOREIGN KEY (loan_id) REFERENCES loans (id),
    CONSTRAINT loan_payments_kind_known CHECK (kind IN ('payment', 'foreclosure', 'cooling_off')),
    CONSTRAINT loan_payments_status_known CHECK (status IN ('applied', 'bounced')),
    CONSTRAINT loan_payments_amount_positive CHECK (amount > 0),
    CONSTRAINT loan_payments_bounce_time CHECK ((status = 'bounced') = (bounced_at IS NOT NULL))
);
INSERT INTO loan_payments_new (id, loan_id, idempotency_key, request_hash, kind, amount, paid_on, status, decision_id, created_at, bounced_at)
    SELECT id, loan_id, idempotency_key, request_hash, kind, amount, paid_on, status, decision_id, created_at, bounced_at FROM loan_payments;
DROP TABLE loan_payments;
ALTER TABLE loan_payments_new RENAME TO loan_payments;

CREATE TABLE ledger_journals_new (
    id         TEXT PRIMARY KEY,
    loan_id    TEXT NOT NULL,
    kind       TEXT NOT NULL,
    ref        TEXT NOT NULL,
    on_date    TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT ledger_journals_id_loan UNIQUE (id, loan_id),
    CONSTRAINT ledger_journals_loan_fk FOREIGN KEY (loan_id) REFERENCES loans (id),
    CONSTRAINT ledger_journals_kind_known CHECK (kind IN ('disbursal', 'payment', 'foreclosure', 'cooling_off', 'bounce', 'day_end',
        'waiver', 'write_off'))
);
INSERT INTO ledger_journals_new (id, loan_id, kind, ref, on_date, created_at)
    SELECT id, loan_id, kind, ref, on_date, created_at FROM ledger_journals;
DROP TABLE ledger_journals;
ALTER TABLE ledger_journals_new RENAME TO ledger_journals;
CREATE INDEX ledger_journals_loan ON ledger_journals (loan_id, created_at);

CREATE TABLE ledger_lines_new (
    journal_id TEXT NOT NULL,
    line       INTEGER NOT NULL,
    loan_id    TEXT NOT NULL,
    account    TEXT NOT NULL,
    debit      BIGINT NOT NULL,
    credit     BIGINT NOT NULL,
    PRIMARY KEY (journal_id, line),
    CONSTRAINT ledger_lines_journal_fk FOREIGN KEY (journal_id, loan_id) REFERENCES ledger_journals (id, loan_id),
    CONSTRAINT ledger_lines_loan_fk FOREIGN KEY (loan_id) REFERENCES loans (id),
    CONSTRAINT ledger_lines_line_positive CHECK (line > 0),
    CONSTRAINT ledger_lines_account_known CHECK (account IN ('principal_receivable', 'interest_receivable', 'penal_receivable',
        'fees_receivable', 'bank', 'interest_income', 'penal_income', 'fee_income', 'gst_payable', 'borrower_advance',
        'waiver_expense', 'write_off_expense')),
    CONSTRAINT ledger_lines_one_side CHECK ((debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0))
);
INSERT INTO ledger_lines_new (journal_id, line, loan_id, account, debit, credit)
    SELECT journal_id, line, loan_id, account, debit, credit FROM ledger_lines;
DROP TABLE ledger_lines;
ALTER TABLE ledger_lines_new RENAME TO ledger_lines;
CREATE INDEX ledger_lines_loan ON ledger_lines (loan_id, account);

CREATE TABLE borrowers_new (
    customer_id TEXT PRIMARY KEY,
    asset_class TEXT NOT NULL,
    max_dpd     INTEGER NOT NULL,
    as_of       TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    CONSTRAINT borrowers_asset_class_known CHECK (asset_class IN ('standard', 'sma_0', 'sma_1', 'sma_2', 'npa')),
    CONSTRAINT borrowers_max_dpd_non_negative CHECK (max_dpd >= 0)
);
INSERT INTO borrowers_new (customer_id, asset_class, max_dpd, as_of, updated_at)
    SELECT customer_id, asset_class, max_dpd, as_of, updated_at FROM borrowers;
DROP TABLE borrowers;
ALTER TABLE borrowers_new RENAME TO borrowers;

-- events -------------------------------------------------------------------
CREATE TABLE event_stream_new (
    seq        BIGINT PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT event_stream_seq_positive CHECK (seq > 0)
);
INSERT INTO event_stream_new (seq, body, created_at) SELECT seq, body, created_at FROM event_stream;
DROP TABLE event_stream;
ALTER TABLE event_stream_new RENAME TO event_stream;

CREATE TABLE event_stream_groups_new (
    grp      TEXT PRIMARY KEY,
    acked_to BIGINT NOT NULL,
    CONSTRAINT event_stream_groups_acked_non_negative CHECK (acked_to >= 0)
);
INSERT INTO event_stream_groups_new (grp, acked_to) SELECT grp, acked_to FROM event_stream_groups;
DROP TABLE event_stream_groups;
ALTER TABLE event_stream_groups_new RENAME TO event_stream_groups;

CREATE TABLE event_stream_acks_new (
    grp TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (grp, seq),
    CONSTRAINT event_stream_acks_group_fk FOREIGN KEY (grp) REFERENCES event_stream_groups (grp),
    CONSTRAINT event_stream_acks_message_fk FOREIGN KEY (seq) REFERENCES event_stream (seq)
);
INSERT INTO event_stream_acks_new (grp, seq) SELECT grp, seq FROM event_stream_acks;
DROP TABLE event_stream_acks;
ALTER TABLE event_stream_acks_new RENAME TO event_stream_acks;
-- Deleting acknowledged messages looks their acknowledgements up by seq.
CREATE INDEX event_stream_acks_seq ON event_stream_acks (seq);

CREATE TABLE event_journey_new (
    event_id    TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    summary     TEXT NOT NULL,
    CONSTRAINT event_journey_type_known CHECK (event_type IN ('app_event', 'device_apps'))
);
INSERT INTO event_journey_new (event_id, customer_id, event_type, at, summary)
    SELECT event_id, customer_id, event_type, at, summary FROM event_journey;
DROP TABLE event_journey;
ALTER TABLE event_journey_new RENAME TO event_journey;
CREATE INDEX event_journey_customer ON event_journey (customer_id, at);

CREATE TABLE event_sms_signals_new (
    customer_id TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    PRIMARY KEY (customer_id, event_id, kind),
    CONSTRAINT event_sms_signals_kind_known CHECK (kind IN ('salary', 'bounce', 'disbursal', 'balance')),
    CONSTRAINT event_sms_signals_amount_non_negative CHECK (amount >= 0 OR kind = 'balance')
);
INSERT INTO event_sms_signals_new (customer_id, event_id, kind, at, amount)
    SELECT customer_id, event_id, kind, at, amount FROM event_sms_signals;
DROP TABLE event_sms_signals;
ALTER TABLE event_sms_signals_new RENAME TO event_sms_signals;
CREATE INDEX event_sms_signals_at ON event_sms_signals (at);

-- lists: the constraints of 00012, named -----------------------------------
CREATE TABLE lists_new (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    entries     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    CONSTRAINT lists_revision_non_negative CHECK (revision >= 0),
    CONSTRAINT lists_entries_non_negative CHECK (entries >= 0)
);
INSERT INTO lists_new (name, description, revision, entries, created_at, created_by, updated_at, updated_by)
    SELECT name, description, revision, entries, created_at, created_by, updated_at, updated_by FROM lists;
DROP TABLE lists;
ALTER TABLE lists_new RENAME TO lists;

CREATE TABLE list_entries_new (
    id         TEXT PRIMARY KEY,
    list_name  TEXT NOT NULL,
    value      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    expires_at BIGINT,
    added_at   BIGINT NOT NULL,
    added_by   TEXT NOT NULL,
    removed_at BIGINT,
    removed_by TEXT,
    revision   BIGINT NOT NULL,
    CONSTRAINT list_entries_list_fk FOREIGN KEY (list_name) REFERENCES lists (name),
    CONSTRAINT list_entries_expiry_after_add CHECK (expires_at IS NULL OR expires_at > added_at),
    CONSTRAINT list_entries_removal_after_add CHECK (removed_at IS NULL OR removed_at >= added_at),
    CONSTRAINT list_entries_removed_by_when_removed CHECK ((removed_at IS NULL) = (removed_by IS NULL))
);
INSERT INTO list_entries_new (id, list_name, value, reason, expires_at, added_at, added_by, removed_at, removed_by, revision)
    SELECT id, list_name, value, reason, expires_at, added_at, added_by, removed_at, removed_by, revision FROM list_entries;
DROP TABLE list_entries;
ALTER TABLE list_entries_new RENAME TO list_entries;
CREATE UNIQUE INDEX list_entries_open ON list_entries (list_name, value) WHERE removed_at IS NULL;
CREATE INDEX list_entries_revision ON list_entries (list_name, revision);
CREATE INDEX list_entries_expiring ON list_entries (list_name, expires_at) WHERE removed_at IS NULL AND expires_at IS NOT NULL;
CREATE INDEX list_entries_history ON list_entries (list_name, value, added_at);

-- Every row copied must satisfy the foreign keys: a row that does not
-- fails this insert (its CHECK, whose name is the message), and with it the
-- migration. PRAGMA foreign_key_check lists the rows at fault.
CREATE TEMP TABLE migration_14_fk_check (
    violations INTEGER CONSTRAINT rows_refer_to_missing_rows_see_pragma_foreign_key_check CHECK (violations = 0)
);
INSERT INTO migration_14_fk_check SELECT COUNT(*) FROM pragma_foreign_key_check;
DROP TABLE migration_14_fk_check;

COMMIT;
PRAGMA foreign_keys = ON;

-- +goose Down
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
-- The constraints stay on SQLite (a table would have to be rebuilt to drop
-- them); only what 00014 added as data is removed: the policies table and
-- the reference to it.
CREATE TABLE policy_versions_old (
    policy_id     TEXT NOT NULL,
    version       INTEGER NOT NULL,
    step          TEXT NOT NULL,
    status        TEXT NOT NULL,
    source        TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    author_id     TEXT NOT NULL,
    author_name   TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    submitted_at  BIGINT,
    reviewer_id   TEXT,
    reviewer_name TEXT,
    reviewed_at   BIGINT,
    reject_reason TEXT,
    PRIMARY KEY (policy_id, version)
);
INSERT INTO policy_versions_old SELECT policy_id, version, step, status, source, sha256, author_id, author_name, created_at, updated_at,
    submitted_at, reviewer_id, reviewer_name, reviewed_at, reject_reason FROM policy_versions;
DROP TABLE policy_versions;
ALTER TABLE policy_versions_old RENAME TO policy_versions;
CREATE INDEX policy_versions_status ON policy_versions (status);
DROP TABLE policies;
COMMIT;
PRAGMA foreign_keys = ON;
