-- +goose Up
-- Constraints that keep the data consistent (issue 17): the same
-- constraints as 00014_constraints.postgres.sql, with the same names; see
-- there for what each one says. The ALTER TABLE statements SQLite lacks are
-- applied by rebuilding each table (store/migrations/rebuild.go), parents
-- before children, in one transaction whose foreign keys are checked
-- before the commit.

-- Every policy id ever stored, with the journey step it keeps; the rows
-- for the versions already stored are filled here, and a policy's first
-- version records the policy from now on (see the PostgreSQL file).
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
CREATE TRIGGER policy_versions_policy BEFORE INSERT ON policy_versions
BEGIN
    INSERT INTO policies (id, step, created_at)
        SELECT NEW.policy_id, NEW.step, NEW.created_at WHERE NOT EXISTS (SELECT 1 FROM policies WHERE id = NEW.policy_id);
END;
-- Deleting acknowledged messages looks their acknowledgements up by seq.
CREATE INDEX event_stream_acks_seq ON event_stream_acks (seq);

-- auth --------------------------------------------------------------------
ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_known CHECK (role IN ('service', 'analyst', 'approver', 'ops', 'admin'));

-- decisions (decisions and decision_rules: 00016) -------------------------
ALTER TABLE step_ups ALTER COLUMN result TEXT NOT NULL;
ALTER TABLE step_ups ADD CONSTRAINT step_ups_result_known CHECK (result IN ('passed', 'failed'));
ALTER TABLE step_ups ADD CONSTRAINT step_ups_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase'));

ALTER TABLE decision_claims ADD CONSTRAINT decision_claims_request_present CHECK (request_id <> '');
ALTER TABLE decision_claims ADD CONSTRAINT decision_claims_decision_present CHECK (decision_id <> '');

-- governance --------------------------------------------------------------
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_policy_fk FOREIGN KEY (policy_id, step) REFERENCES policies (id, step);
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_version_positive CHECK (version > 0);
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase'));
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_status_known CHECK (status IN ('draft', 'submitted', 'approved', 'rejected'));
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_submitted_unless_draft CHECK ((status = 'draft') = (submitted_at IS NULL));
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_reviewed_when_decided CHECK ((status IN ('approved', 'rejected')) = (reviewer_id IS NOT NULL));
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_review_complete CHECK ((reviewer_id IS NULL) = (reviewer_name IS NULL) AND (reviewer_id IS NULL) = (reviewed_at IS NULL));
ALTER TABLE policy_versions ADD CONSTRAINT policy_versions_reason_when_rejected CHECK ((status = 'rejected') = (reject_reason IS NOT NULL));

ALTER TABLE policy_deployments ADD CONSTRAINT policy_deployments_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase'));
ALTER TABLE policy_deployments ADD CONSTRAINT policy_deployments_revision_positive CHECK (revision > 0);

-- lending -----------------------------------------------------------------
ALTER TABLE credit_lines ADD CONSTRAINT credit_lines_status_known CHECK (status IN ('declined', 'offered', 'active'));
ALTER TABLE credit_lines ADD CONSTRAINT credit_lines_limit_positive CHECK (credit_limit > 0);
ALTER TABLE credit_lines ADD CONSTRAINT credit_lines_rate_in_range CHECK (annual_rate_bps BETWEEN 0 AND 10000);
ALTER TABLE credit_lines ADD CONSTRAINT credit_lines_account_when_active CHECK (status <> 'active' OR account_hash <> '');

ALTER TABLE loans ADD CONSTRAINT loans_credit_line_fk FOREIGN KEY (credit_line_id) REFERENCES credit_lines (id);
ALTER TABLE loans ADD CONSTRAINT loans_kind_known CHECK (kind IN ('term_loan', 'draw'));
ALTER TABLE loans ADD CONSTRAINT loans_draw_on_line CHECK ((kind = 'draw') = (credit_line_id IS NOT NULL));
ALTER TABLE loans ADD CONSTRAINT loans_status_known CHECK (status IN ('declined', 'offered', 'accepted', 'active', 'closed', 'foreclosed', 'cancelled', 'written_off'));
ALTER TABLE loans ADD CONSTRAINT loans_asset_class_known CHECK (asset_class IN ('standard', 'sma_0', 'sma_1', 'sma_2', 'npa'));
ALTER TABLE loans ADD CONSTRAINT loans_amount_positive CHECK (amount > 0);
ALTER TABLE loans ADD CONSTRAINT loans_tenure_positive CHECK (tenure_months > 0);
ALTER TABLE loans ADD CONSTRAINT loans_rate_in_range CHECK (annual_rate_bps BETWEEN 0 AND 10000);
ALTER TABLE loans ADD CONSTRAINT loans_balances_non_negative CHECK (outstanding >= 0 AND principal_outstanding >= 0 AND advance >= 0);
ALTER TABLE loans ADD CONSTRAINT loans_principal_within_outstanding CHECK (principal_outstanding <= outstanding);
ALTER TABLE loans ADD CONSTRAINT loans_dpd_non_negative CHECK (dpd >= 0);
ALTER TABLE loans ADD CONSTRAINT loans_disbursed_when_live CHECK (status NOT IN ('active', 'closed', 'foreclosed', 'written_off') OR disbursed_on IS NOT NULL);
ALTER TABLE loans ADD CONSTRAINT loans_account_when_accepted CHECK (status NOT IN ('accepted', 'active', 'closed', 'foreclosed', 'written_off') OR account_hash <> '');

ALTER TABLE lending_events ADD CONSTRAINT lending_events_seq_positive CHECK (seq > 0);
ALTER TABLE lending_events ADD CONSTRAINT lending_events_type_known CHECK (type IN ('application', 'accepted', 'limit_increased', 'cancelled', 'disbursed', 'payment', 'bounce', 'day_end', 'foreclose', 'waive', 'write_off'));

ALTER TABLE loan_payments ADD CONSTRAINT loan_payments_loan_fk FOREIGN KEY (loan_id) REFERENCES loans (id);
ALTER TABLE loan_payments ADD CONSTRAINT loan_payments_kind_known CHECK (kind IN ('payment', 'foreclosure', 'cooling_off'));
ALTER TABLE loan_payments ADD CONSTRAINT loan_payments_status_known CHECK (status IN ('applied', 'bounced'));
ALTER TABLE loan_payments ADD CONSTRAINT loan_payments_amount_positive CHECK (amount > 0);
ALTER TABLE loan_payments ADD CONSTRAINT loan_payments_bounce_time CHECK ((status = 'bounced') = (bounced_at IS NOT NULL));

ALTER TABLE ledger_journals ADD CONSTRAINT ledger_journals_id_loan UNIQUE (id, loan_id);
ALTER TABLE ledger_journals ADD CONSTRAINT ledger_journals_loan_fk FOREIGN KEY (loan_id) REFERENCES loans (id);
ALTER TABLE ledger_journals ADD CONSTRAINT ledger_journals_kind_known CHECK (kind IN ('disbursal', 'payment', 'foreclosure', 'cooling_off', 'bounce', 'day_end', 'waiver', 'write_off'));

ALTER TABLE ledger_lines ADD CONSTRAINT ledger_lines_journal_fk FOREIGN KEY (journal_id, loan_id) REFERENCES ledger_journals (id, loan_id);
ALTER TABLE ledger_lines ADD CONSTRAINT ledger_lines_loan_fk FOREIGN KEY (loan_id) REFERENCES loans (id);
ALTER TABLE ledger_lines ADD CONSTRAINT ledger_lines_line_positive CHECK (line > 0);
ALTER TABLE ledger_lines ADD CONSTRAINT ledger_lines_account_known CHECK (account IN ('principal_receivable', 'interest_receivable', 'penal_receivable', 'fees_receivable', 'bank', 'interest_income', 'penal_income', 'fee_income', 'gst_payable', 'borrower_advance', 'waiver_expense', 'write_off_expense'));
ALTER TABLE ledger_lines ADD CONSTRAINT ledger_lines_one_side CHECK ((debit > 0 AND credit = 0) OR (debit = 0 AND credit > 0));

ALTER TABLE borrowers ADD CONSTRAINT borrowers_asset_class_known CHECK (asset_class IN ('standard', 'sma_0', 'sma_1', 'sma_2', 'npa'));
ALTER TABLE borrowers ADD CONSTRAINT borrowers_max_dpd_non_negative CHECK (max_dpd >= 0);

-- events ------------------------------------------------------------------
ALTER TABLE event_stream ADD CONSTRAINT event_stream_seq_positive CHECK (seq > 0);

ALTER TABLE event_stream_groups ADD CONSTRAINT event_stream_groups_acked_non_negative CHECK (acked_to >= 0);

ALTER TABLE event_stream_acks ADD CONSTRAINT event_stream_acks_group_fk FOREIGN KEY (grp) REFERENCES event_stream_groups (grp);
ALTER TABLE event_stream_acks ADD CONSTRAINT event_stream_acks_message_fk FOREIGN KEY (seq) REFERENCES event_stream (seq);

ALTER TABLE event_journey ADD CONSTRAINT event_journey_type_known CHECK (event_type IN ('app_event', 'device_apps'));

ALTER TABLE event_sms_signals ADD CONSTRAINT event_sms_signals_kind_known CHECK (kind IN ('salary', 'bounce', 'disbursal', 'balance'));
ALTER TABLE event_sms_signals ADD CONSTRAINT event_sms_signals_amount_non_negative CHECK (amount >= 0 OR kind = 'balance');

-- lists: the constraints of 00012, named ----------------------------------
ALTER TABLE lists DROP IF EXISTS CHECK (revision >= 0);
ALTER TABLE lists DROP IF EXISTS CHECK (entries >= 0);
ALTER TABLE lists ADD CONSTRAINT lists_revision_non_negative CHECK (revision >= 0);
ALTER TABLE lists ADD CONSTRAINT lists_entries_non_negative CHECK (entries >= 0);

ALTER TABLE list_entries DROP IF EXISTS CHECK (expires_at IS NULL OR expires_at > added_at);
ALTER TABLE list_entries DROP IF EXISTS CHECK (removed_at IS NULL OR removed_at >= added_at);
ALTER TABLE list_entries DROP IF EXISTS CHECK ((removed_at IS NULL) = (removed_by IS NULL));
ALTER TABLE list_entries ALTER COLUMN list_name TEXT NOT NULL;
ALTER TABLE list_entries ADD CONSTRAINT list_entries_list_fk FOREIGN KEY (list_name) REFERENCES lists (name);
ALTER TABLE list_entries ADD CONSTRAINT list_entries_expiry_after_add CHECK (expires_at IS NULL OR expires_at > added_at);
ALTER TABLE list_entries ADD CONSTRAINT list_entries_removal_after_add CHECK (removed_at IS NULL OR removed_at >= added_at);
ALTER TABLE list_entries ADD CONSTRAINT list_entries_removed_by_when_removed CHECK ((removed_at IS NULL) = (removed_by IS NULL));

-- +goose Down
-- The constraints stay on SQLite (a later run of 00014 replaces them);
-- what 00014 added besides is removed: the policies table, the reference
-- to it and the acknowledgements' index.
DROP INDEX event_stream_acks_seq;
DROP TRIGGER policy_versions_policy;
DROP TABLE policies;
ALTER TABLE policy_versions DROP CONSTRAINT policy_versions_policy_fk;
