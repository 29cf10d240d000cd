-- +goose NO TRANSACTION
-- +goose Up
-- Constraints that keep the data consistent (issue 17): foreign keys within
-- a module (never across modules), CHECKs on every status, kind, role,
-- outcome, type, asset class and account column and on money, and a table
-- of policies that every policy version belongs to. Every constraint is
-- named <table>_<what>; store.ConstraintRules says each one in words and
-- store.Translate turns a violation into a 409 (foreign key) or 422 (CHECK,
-- NOT NULL). The SQLite file has the same constraints with the same names.
--
-- Not constrained, on purpose: decisions and decision_rules (rebuilt
-- partitioned by 00016), time and date values (their types change in
-- 00015), references across modules, lending_events.subject_id (a loan or a
-- credit line), step_ups and decision_claims to decisions (a partitioned
-- table, shipped after the claim or report is written), audit_log.action
-- (every module writes its own actions there) and outbox.topic.
--
-- Locks stay short on big tables: the file runs outside a transaction, each
-- constraint is added NOT VALID (a brief lock: the check applies to new
-- rows at once, existing rows are not read) and then VALIDATEd, which reads
-- the table under a SHARE UPDATE EXCLUSIVE lock that lets reads and writes
-- go on. lock_timeout keeps a statement that cannot get its lock from
-- queueing every other query on the table behind it. The file can run again
-- after a failure (for instance a VALIDATE that found an old row breaking a
-- rule: fix the row, then migrate again): it first drops whatever an
-- earlier run of it added.
SET lock_timeout = '10s';

-- Every policy id ever stored, with the journey step it keeps: a policy
-- version references (policy id, step), so a policy id cannot change its
-- step. The row is written with the policy's first version, in its
-- statement, by the trigger below rather than by the service, so that a
-- service of the previous release (a rolling deploy, or the upgrade test
-- that fills a database at an earlier version through the service) stores
-- versions that keep the foreign key. The rows for the versions already
-- stored are filled here: each policy's step is its first version's.
CREATE TABLE IF NOT EXISTS governance.policies (
    id         TEXT PRIMARY KEY,
    step       TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    CONSTRAINT policies_id_step UNIQUE (id, step),
    CONSTRAINT policies_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase'))
);

-- +goose StatementBegin
CREATE OR REPLACE FUNCTION governance.policy_of_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO governance.policies (id, step, created_at) VALUES (NEW.policy_id, NEW.step, NEW.created_at)
        ON CONFLICT (id) DO NOTHING;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
DROP TRIGGER IF EXISTS policy_versions_policy ON governance.policy_versions;
CREATE TRIGGER policy_versions_policy BEFORE INSERT ON governance.policy_versions
    FOR EACH ROW EXECUTE FUNCTION governance.policy_of_version();

INSERT INTO governance.policies (id, step, created_at)
    SELECT v.policy_id, v.step, v.created_at FROM governance.policy_versions v
    WHERE v.version = (SELECT MIN(w.version) FROM governance.policy_versions w WHERE w.policy_id = v.policy_id)
    ON CONFLICT (id) DO NOTHING;

-- Every constraint this file adds, children first. The procedure drops
-- those that exist: first thing in a run (what an earlier, failed run of
-- this file may have left; on a first run it finds none and locks no
-- table) and in Down.
-- +goose StatementBegin
CREATE OR REPLACE PROCEDURE ops.drop_constraints_00014() LANGUAGE plpgsql AS $$
DECLARE
    c text[];
BEGIN
    FOREACH c SLICE 1 IN ARRAY ARRAY[
        ['events.event_sms_signals', 'event_sms_signals_amount_non_negative'],
        ['events.event_sms_signals', 'event_sms_signals_kind_known'],
        ['events.event_journey', 'event_journey_type_known'],
        ['events.event_stream_acks', 'event_stream_acks_message_fk'],
        ['events.event_stream_acks', 'event_stream_acks_group_fk'],
        ['events.event_stream_groups', 'event_stream_groups_acked_non_negative'],
        ['events.event_stream', 'event_stream_seq_positive'],
        ['lending.borrowers', 'borrowers_max_dpd_non_negative'],
        ['lending.borrowers', 'borrowers_asset_class_known'],
        ['lending.ledger_lines', 'ledger_lines_one_side'],
        ['lending.ledger_lines', 'ledger_lines_account_known'],
        ['lending.ledger_lines', 'ledger_lines_line_positive'],
        ['lending.ledger_lines', 'ledger_lines_loan_fk'],
        ['lending.ledger_lines', 'ledger_lines_journal_fk'],
        ['lending.ledger_journals', 'ledger_journals_kind_known'],
        ['lending.ledger_journals', 'ledger_journals_loan_fk'],
        ['lending.loan_payments', 'loan_payments_bounce_time'],
        ['lending.loan_payments', 'loan_payments_amount_positive'],
        ['lending.loan_payments', 'loan_payments_status_known'],
        ['lending.loan_payments', 'loan_payments_kind_known'],
        ['lending.loan_payments', 'loan_payments_loan_fk'],
        ['lending.lending_events', 'lending_events_type_known'],
        ['lending.lending_events', 'lending_events_seq_positive'],
        ['lending.loans', 'loans_account_when_accepted'],
        ['lending.loans', 'loans_disbursed_when_live'],
        ['lending.loans', 'loans_dpd_non_negative'],
        ['lending.loans', 'loans_principal_within_outstanding'],
        ['lending.loans', 'loans_balances_non_negative'],
        ['lending.loans', 'loans_rate_in_range'],
        ['lending.loans', 'loans_tenure_positive'],
        ['lending.loans', 'loans_amount_positive'],
        ['lending.loans', 'loans_asset_class_known'],
        ['lending.loans', 'loans_status_known'],
        ['lending.loans', 'loans_draw_on_line'],
        ['lending.loans', 'loans_kind_known'],
        ['lending.loans', 'loans_credit_line_fk'],
        ['lending.credit_lines', 'credit_lines_account_when_active'],
        ['lending.credit_lines', 'credit_lines_rate_in_range'],
        ['lending.credit_lines', 'credit_lines_limit_positive'],
        ['lending.credit_lines', 'credit_lines_status_known'],
        ['governance.policy_deployments', 'policy_deployments_revision_positive'],
        ['governance.policy_deployments', 'policy_deployments_step_known'],
        ['governance.policy_versions', 'policy_versions_reason_when_rejected'],
        ['governance.policy_versions', 'policy_versions_review_complete'],
        ['governance.policy_versions', 'policy_versions_reviewed_when_decided'],
        ['governance.policy_versions', 'policy_versions_submitted_unless_draft'],
        ['governance.policy_versions', 'policy_versions_status_known'],
        ['governance.policy_versions', 'policy_versions_step_known'],
        ['governance.policy_versions', 'policy_versions_version_positive'],
        ['governance.policy_versions', 'policy_versions_policy_fk'],
        ['decisions.decision_claims', 'decision_claims_decision_present'],
        ['decisions.decision_claims', 'decision_claims_request_present'],
        ['decisions.step_ups', 'step_ups_step_known'],
        ['auth.api_keys', 'api_keys_role_known'],
        ['lending.ledger_journals', 'ledger_journals_id_loan']
    ] LOOP
        IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = c[1]::regclass AND conname = c[2]) THEN
            EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c[1], c[2]);
        END IF;
    END LOOP;
END
$$;
-- +goose StatementEnd
CALL ops.drop_constraints_00014();
DROP INDEX CONCURRENTLY IF EXISTS lending.ledger_journals_id_loan;
DROP INDEX CONCURRENTLY IF EXISTS events.event_stream_acks_seq;

-- The constraints of 00012 and 00008, named like the others (and back,
-- in Down).
-- +goose StatementBegin
CREATE OR REPLACE PROCEDURE ops.rename_constraints_00014(back boolean) LANGUAGE plpgsql AS $$
DECLARE
    r RECORD;
    f text;
    t text;
BEGIN
    FOR r IN SELECT * FROM (VALUES
        ('lists.lists', 'lists_revision_check', 'lists_revision_non_negative'),
        ('lists.lists', 'lists_entries_check', 'lists_entries_non_negative'),
        ('lists.list_entries', 'list_entries_list_name_fkey', 'list_entries_list_fk'),
        ('lists.list_entries', 'list_entries_check', 'list_entries_expiry_after_add'),
        ('lists.list_entries', 'list_entries_check1', 'list_entries_removal_after_add'),
        ('lists.list_entries', 'list_entries_check2', 'list_entries_removed_by_when_removed'),
        ('decisions.step_ups', 'step_ups_result_check', 'step_ups_result_known')
    ) AS t (tbl, old, new)
    LOOP
        f := CASE WHEN back THEN r.new ELSE r.old END;
        t := CASE WHEN back THEN r.old ELSE r.new END;
        IF EXISTS (SELECT 1 FROM pg_constraint WHERE conrelid = r.tbl::regclass AND conname = f) THEN
            EXECUTE format('ALTER TABLE %s RENAME CONSTRAINT %I TO %I', r.tbl, f, t);
        END IF;
    END LOOP;
END
$$;
-- +goose StatementEnd
CALL ops.rename_constraints_00014(false);

-- A ledger line's journal is of the line's loan: the lines reference
-- (journal id, loan id), which needs a unique key on the journals, built
-- without blocking writes. A concurrent build waits for the transactions
-- already running to end, which may take longer than lock_timeout while
-- taking no lock that blocks anyone: no timeout for it.
SET lock_timeout = 0;
CREATE UNIQUE INDEX CONCURRENTLY ledger_journals_id_loan ON lending.ledger_journals (id, loan_id);
-- Deleting acknowledged stream messages looks their acknowledgements up by seq.
CREATE INDEX CONCURRENTLY event_stream_acks_seq ON events.event_stream_acks (seq);
SET lock_timeout = '10s';
ALTER TABLE lending.ledger_journals ADD CONSTRAINT ledger_journals_id_loan UNIQUE USING INDEX ledger_journals_id_loan;

ALTER TABLE auth.api_keys
    ADD CONSTRAINT api_keys_role_known CHECK (role IN ('service', 'analyst', 'approver', 'ops', 'admin')) NOT VALID;

ALTER TABLE decisions.step_ups
    ADD CONSTRAINT step_ups_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase')) NOT VALID;

ALTER TABLE decisions.decision_claims
    ADD CONSTRAINT decision_claims_request_present CHECK (request_id <> '') NOT VALID,
    ADD CONSTRAINT decision_claims_decision_present CHECK (decision_id <> '') NOT VALID;

ALTER TABLE governance.policy_versions
    ADD CONSTRAINT policy_versions_policy_fk FOREIGN KEY (policy_id, step) REFERENCES governance.policies (id, step) NOT VALID,
    ADD CONSTRAINT policy_versions_version_positive CHECK (version > 0) NOT VALID,
    ADD CONSTRAINT policy_versions_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase')) NOT VALID,
    ADD CONSTRAINT policy_versions_status_known CHECK (status IN ('draft', 'submitted', 'approved', 'rejected')) NOT VALID,
    ADD CONSTRAINT policy_versions_submitted_unless_draft CHECK ((status = 'draft') = (submitted_at IS NULL)) NOT VALID,
    ADD CONSTRAINT policy_versions_reviewed_when_decided CHECK ((status IN ('approved', 'rejected')) = (reviewer_id IS NOT NULL)) NOT VALID,
    ADD CONSTRAINT policy_versions_review_complete CHECK ((reviewer_id IS NULL) = (reviewer_name IS NULL) AND (reviewer_id IS NULL) = (reviewed_at IS NULL)) NOT VALID,
    ADD CONSTRAINT policy_versions_reason_when_rejected CHECK ((status = 'rejected') = (reject_reason IS NOT NULL)) NOT VALID;

ALTER TABLE governance.policy_deployments
    ADD CONSTRAINT policy_deployments_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase')) NOT VALID,
    ADD CONSTRAINT policy_deployments_revision_positive CHECK (revision > 0) NOT VALID;

ALTER TABLE lending.credit_lines
    ADD CONSTRAINT credit_lines_status_known CHECK (status IN ('declined', 'offered', 'active')) NOT VALID,
    ADD CONSTRAINT credit_lines_limit_positive CHECK (credit_limit > 0) NOT VALID,
    ADD CONSTRAINT credit_lines_rate_in_range CHECK (annual_rate_bps BETWEEN 0 AND 10000) NOT VALID,
    ADD CONSTRAINT credit_lines_account_when_active CHECK (status <> 'active' OR account_hash <> '') NOT VALID;

ALTER TABLE lending.loans
    ADD CONSTRAINT loans_credit_line_fk FOREIGN KEY (credit_line_id) REFERENCES lending.credit_lines (id) NOT VALID,
    ADD CONSTRAINT loans_kind_known CHECK (kind IN ('term_loan', 'draw')) NOT VALID,
    ADD CONSTRAINT loans_draw_on_line CHECK ((kind = 'draw') = (credit_line_id IS NOT NULL)) NOT VALID,
    ADD CONSTRAINT loans_status_known CHECK (status IN ('declined', 'offered', 'accepted', 'active', 'closed', 'foreclosed', 'cancelled', 'written_off')) NOT VALID,
    ADD CONSTRAINT loans_asset_class_known CHECK (asset_class IN ('standard', 'sma_0', 'sma_1', 'sma_2', 'npa')) NOT VALID,
    ADD CONSTRAINT loans_amount_positive CHECK (amount > 0) NOT VALID,
    ADD CONSTRAINT loans_tenure_positive CHECK (tenure_months > 0) NOT VALID,
    ADD CONSTRAINT loans_rate_in_range CHECK (annual_rate_bps BETWEEN 0 AND 10000) NOT VALID,
    ADD CONSTRAINT loans_balances_non_negative CHECK (outstanding >= 0 AND principal_outstanding >= 0 AND advance >= 0) NOT VALID,
    ADD CONSTRAINT loans_principal_within_outstanding CHECK (principal_outstanding <= outstanding) NOT VALID,
    ADD CONSTRAINT loans_dpd_non_negative CHECK (dpd >= 0) NOT VALID,
    ADD CONSTRAINT loans_disbursed_when_live CHECK (status NOT IN ('active', 'closed', 'foreclosed', 'written_off') OR disbursed_on IS NOT NULL) NOT VALID,
    ADD CONSTRAINT loans_account_when_accepted CHECK (status NOT IN ('accepted', 'active', 'closed', 'foreclosed', 'written_off') OR account_hash <> '') NOT VALID;

ALTER TABLE lending.lending_events
    ADD CONSTRAINT lending_events_seq_positive CHECK (seq > 0) NOT VALID,
    ADD CONSTRAINT lending_events_type_known CHECK (type IN ('application', 'accepted', 'limit_increased', 'cancelled',
        'disbursed', 'payment', 'bounce', 'day_end', 'foreclose', 'waive', 'write_off')) NOT VALID;

ALTER TABLE lending.loan_payments
    ADD CONSTRAINT loan_payments_loan_fk FOREIGN KEY (loan_id) REFERENCES lending.loans (id) NOT VALID,
    ADD CONSTRAINT loan_payments_kind_known CHECK (kind IN ('payment', 'foreclosure', 'cooling_off')) NOT VALID,
    ADD CONSTRAINT loan_payments_status_known CHECK (status IN ('applied', 'bounced')) NOT VALID,
    ADD CONSTRAINT loan_payments_amount_positive CHECK (amount > 0) NOT VALID,
    ADD CONSTRAINT loan_payments_bounce_time CHECK ((status = 'bounced') = (bounced_at IS NOT NULL)) NOT VALID;

ALTER TABLE lending.ledger_journals
    ADD CONSTRAINT ledger_journals_loan_fk FOREIGN KEY (loan_id) REFERENCES lending.loans (id) NOT VALID,
    ADD CONSTRAINT ledger_journals_kind_known CHECK (kind IN ('disbursal', 'payment', 'foreclosure', 'cooling_off', 'bounce', 'day_end',
        'waiver', 'write_off')) NOT VALID;

ALTER TABLE lending.ledger_lines
    ADD CONSTRAINT ledger_lines_journal_fk FOREIGN KEY (journal_id, loan_id) REFERENCES lending.ledger_journals (id, loan_id) NOT VALID,
    ADD CONSTRAINT ledger_lines_loan_fk FOREIGN KEY (loan_id) REFERENCES lending.loans (id) NOT VALID,
    ADD CONSTRAINT ledger_lines_line_positive CHECK (line > 0) NOT VALID,
    ADD CONSTRAINT ledger_lines_account_known CHECK (account IN ('principal_receivable', 'interest_receivable', 'penal_receivable',
        'fees_receivable', 'bank', 'interest_income', 'penal_income', 'fee_income', 'gst_payable', 'borrower_advance',
        'waiver_expense', 'write_off_expense')) NOT VALID,
    ADD CONSTRAINT ledger_lines_one_side CHECK ((debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0)) NOT VALID;

ALTER TABLE lending.borrowers
    ADD CONSTRAINT borrowers_asset_class_known CHECK (asset_class IN ('standard', 'sma_0', 'sma_1', 'sma_2', 'npa')) NOT VALID,
    ADD CONSTRAINT borrowers_max_dpd_non_negative CHECK (max_dpd >= 0) NOT VALID;

ALTER TABLE events.event_stream
    ADD CONSTRAINT event_stream_seq_positive CHECK (seq > 0) NOT VALID;

ALTER TABLE events.event_stream_groups
    ADD CONSTRAINT event_stream_groups_acked_non_negative CHECK (acked_to >= 0) NOT VALID;

ALTER TABLE events.event_stream_acks
    ADD CONSTRAINT event_stream_acks_group_fk FOREIGN KEY (grp) REFERENCES events.event_stream_groups (grp) NOT VALID,
    ADD CONSTRAINT event_stream_acks_message_fk FOREIGN KEY (seq) REFERENCES events.event_stream (seq) NOT VALID;

ALTER TABLE events.event_journey
    ADD CONSTRAINT event_journey_type_known CHECK (event_type IN ('app_event', 'device_apps')) NOT VALID;

ALTER TABLE events.event_sms_signals
    ADD CONSTRAINT event_sms_signals_kind_known CHECK (kind IN ('salary', 'bounce', 'disbursal', 'balance')) NOT VALID,
    ADD CONSTRAINT event_sms_signals_amount_non_negative CHECK (amount >= 0 OR kind = 'balance') NOT VALID;

-- Existing rows are read now, without blocking writes.
ALTER TABLE auth.api_keys
    VALIDATE CONSTRAINT api_keys_role_known;
ALTER TABLE decisions.step_ups
    VALIDATE CONSTRAINT step_ups_step_known;
ALTER TABLE decisions.decision_claims
    VALIDATE CONSTRAINT decision_claims_request_present,
    VALIDATE CONSTRAINT decision_claims_decision_present;
ALTER TABLE governance.policy_versions
    VALIDATE CONSTRAINT policy_versions_policy_fk,
    VALIDATE CONSTRAINT policy_versions_version_positive,
    VALIDATE CONSTRAINT policy_versions_step_known,
    VALIDATE CONSTRAINT policy_versions_status_known,
    VALIDATE CONSTRAINT policy_versions_submitted_unless_draft,
    VALIDATE CONSTRAINT policy_versions_reviewed_when_decided,
    VALIDATE CONSTRAINT policy_versions_review_complete,
    VALIDATE CONSTRAINT policy_versions_reason_when_rejected;
ALTER TABLE governance.policy_deployments
    VALIDATE CONSTRAINT policy_deployments_step_known,
    VALIDATE CONSTRAINT policy_deployments_revision_positive;
ALTER TABLE lending.credit_lines
    VALIDATE CONSTRAINT credit_lines_status_known,
    VALIDATE CONSTRAINT credit_lines_limit_positive,
    VALIDATE CONSTRAINT credit_lines_rate_in_range,
    VALIDATE CONSTRAINT credit_lines_account_when_active;
ALTER TABLE lending.loans
    VALIDATE CONSTRAINT loans_credit_line_fk,
    VALIDATE CONSTRAINT loans_kind_known,
    VALIDATE CONSTRAINT loans_draw_on_line,
    VALIDATE CONSTRAINT loans_status_known,
    VALIDATE CONSTRAINT loans_asset_class_known,
    VALIDATE CONSTRAINT loans_amount_positive,
    VALIDATE CONSTRAINT loans_tenure_positive,
    VALIDATE CONSTRAINT loans_rate_in_range,
    VALIDATE CONSTRAINT loans_balances_non_negative,
    VALIDATE CONSTRAINT loans_principal_within_outstanding,
    VALIDATE CONSTRAINT loans_dpd_non_negative,
    VALIDATE CONSTRAINT loans_disbursed_when_live,
    VALIDATE CONSTRAINT loans_account_when_accepted;
ALTER TABLE lending.lending_events
    VALIDATE CONSTRAINT lending_events_seq_positive,
    VALIDATE CONSTRAINT lending_events_type_known;
ALTER TABLE lending.loan_payments
    VALIDATE CONSTRAINT loan_payments_loan_fk,
    VALIDATE CONSTRAINT loan_payments_kind_known,
    VALIDATE CONSTRAINT loan_payments_status_known,
    VALIDATE CONSTRAINT loan_payments_amount_positive,
    VALIDATE CONSTRAINT loan_payments_bounce_time;
ALTER TABLE lending.ledger_journals
    VALIDATE CONSTRAINT ledger_journals_loan_fk,
    VALIDATE CONSTRAINT ledger_journals_kind_known;
ALTER TABLE lending.ledger_lines
    VALIDATE CONSTRAINT ledger_lines_journal_fk,
    VALIDATE CONSTRAINT ledger_lines_loan_fk,
    VALIDATE CONSTRAINT ledger_lines_line_positive,
    VALIDATE CONSTRAINT ledger_lines_account_known,
    VALIDATE CONSTRAINT ledger_lines_one_side;
ALTER TABLE lending.borrowers
    VALIDATE CONSTRAINT borrowers_asset_class_known,
    VALIDATE CONSTRAINT borrowers_max_dpd_non_negative;
ALTER TABLE events.event_stream
    VALIDATE CONSTRAINT event_stream_seq_positive;
ALTER TABLE events.event_stream_groups
    VALIDATE CONSTRAINT event_stream_groups_acked_non_negative;
ALTER TABLE events.event_stream_acks
    VALIDATE CONSTRAINT event_stream_acks_group_fk,
    VALIDATE CONSTRAINT event_stream_acks_message_fk;
ALTER TABLE events.event_journey
    VALIDATE CONSTRAINT event_journey_type_known;
ALTER TABLE events.event_sms_signals
    VALIDATE CONSTRAINT event_sms_signals_kind_known,
    VALIDATE CONSTRAINT event_sms_signals_amount_non_negative;

RESET lock_timeout;

-- +goose Down
CALL ops.drop_constraints_00014();
DROP PROCEDURE ops.drop_constraints_00014();
DROP INDEX IF EXISTS events.event_stream_acks_seq;
DROP TRIGGER IF EXISTS policy_versions_policy ON governance.policy_versions;
DROP FUNCTION IF EXISTS governance.policy_of_version();
DROP TABLE IF EXISTS governance.policies;
CALL ops.rename_constraints_00014(true);
DROP PROCEDURE ops.rename_constraints_00014(boolean);
