-- +goose Up
-- The decisions tables on the embedded SQLite, with the CHECK constraints
-- PostgreSQL has (same names). The tables are not partitioned (SQLite has
-- no partitioning; one process writes the file, and the cold tier deletes
-- archived rows), instants stay unix microseconds and bodies TEXT. Each
-- table is rebuilt to take its constraints (rebuild.go): the hot tier of an
-- embedded install (at most the hot age of one process's decisions) copies
-- in seconds (200,000 decisions with 400,000 rule rows: 9 s). A body is
-- only checked to start as an object does: checking it whole (json_type)
-- would triple the cost of shipping a decision to SQLite. Claims (empty on
-- the embedded default, which decides in one process without claims) and
-- step-up results take the constraints PostgreSQL adds here.

ALTER TABLE decisions ADD CONSTRAINT decisions_id_present CHECK (id <> '');
ALTER TABLE decisions ADD CONSTRAINT decisions_customer_present CHECK (customer_id <> '');
ALTER TABLE decisions ADD CONSTRAINT decisions_step_known CHECK (step IN ('signup', 'login', 'kyc', 'application', 'offer_accept', 'disbursal', 'repayment', 'collections', 'limit_increase'));
ALTER TABLE decisions ADD CONSTRAINT decisions_outcome_known CHECK (outcome IN ('approve', 'review', 'step_up', 'decline'));
ALTER TABLE decisions ADD CONSTRAINT decisions_role_known CHECK (role IN ('champion', 'challenger', 'shadow'));
ALTER TABLE decisions ADD CONSTRAINT decisions_parent_when_shadow CHECK ((role = 'shadow') = (parent_id IS NOT NULL));
ALTER TABLE decisions ADD CONSTRAINT decisions_policy_version_positive CHECK (policy_version > 0);
ALTER TABLE decisions ADD CONSTRAINT decisions_body_object CHECK (substr(body, 1, 1) = '{');

ALTER TABLE decision_rules ADD CONSTRAINT decision_rules_rule_present CHECK (rule_id <> '');
ALTER TABLE decision_rules ADD CONSTRAINT decision_rules_decision_present CHECK (decision_id <> '');

ALTER TABLE decision_claims ADD CONSTRAINT decision_claims_decision_unique UNIQUE (decision_id);
ALTER TABLE decision_claims ADD CONSTRAINT decision_claims_customer_present CHECK (customer_id <> '');
ALTER TABLE decision_claims ADD CONSTRAINT decision_claims_hash_present CHECK (request_hash <> '');

ALTER TABLE step_ups ADD CONSTRAINT step_ups_action_length CHECK (action <> '' AND length(CAST(action AS BLOB)) <= 64);
ALTER TABLE step_ups ADD CONSTRAINT step_ups_customer_present CHECK (customer_id <> '');

-- +goose Down
ALTER TABLE decisions DROP CONSTRAINT decisions_id_present;
ALTER TABLE decisions DROP CONSTRAINT decisions_customer_present;
ALTER TABLE decisions DROP CONSTRAINT decisions_step_known;
ALTER TABLE decisions DROP CONSTRAINT decisions_outcome_known;
ALTER TABLE decisions DROP CONSTRAINT decisions_role_known;
ALTER TABLE decisions DROP CONSTRAINT decisions_parent_when_shadow;
ALTER TABLE decisions DROP CONSTRAINT decisions_policy_version_positive;
ALTER TABLE decisions DROP CONSTRAINT decisions_body_object;
ALTER TABLE decision_rules DROP CONSTRAINT decision_rules_rule_present;
ALTER TABLE decision_rules DROP CONSTRAINT decision_rules_decision_present;
ALTER TABLE decision_claims DROP CONSTRAINT decision_claims_decision_unique;
ALTER TABLE decision_claims DROP CONSTRAINT decision_claims_customer_present;
ALTER TABLE decision_claims DROP CONSTRAINT decision_claims_hash_present;
ALTER TABLE step_ups DROP CONSTRAINT step_ups_action_length;
ALTER TABLE step_ups DROP CONSTRAINT step_ups_customer_present;
