-- +goose Up
-- One schema per module, owned by the package that uses its tables
-- (docs/data-model.md). Tables move with their indexes, constraints and
-- rows (ALTER TABLE … SET SCHEMA rewrites nothing); the connections'
-- search_path lists every module schema, so the code keeps plain names.
-- From here on every PostgreSQL migration names its tables with their
-- schema. The tables are found where they are now by that same search_path
-- (public in production; a test's own schema in older test set-ups).
CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS decisions;
CREATE SCHEMA IF NOT EXISTS features;
CREATE SCHEMA IF NOT EXISTS governance;
CREATE SCHEMA IF NOT EXISTS lending;
CREATE SCHEMA IF NOT EXISTS events;
CREATE SCHEMA IF NOT EXISTS lists;
CREATE SCHEMA IF NOT EXISTS kyc;
CREATE SCHEMA IF NOT EXISTS comms;
CREATE SCHEMA IF NOT EXISTS cases;
CREATE SCHEMA IF NOT EXISTS ops;

ALTER TABLE api_keys SET SCHEMA auth;

ALTER TABLE decisions SET SCHEMA decisions;
ALTER TABLE decision_rules SET SCHEMA decisions;
ALTER TABLE decision_claims SET SCHEMA decisions;
ALTER TABLE step_ups SET SCHEMA decisions;

ALTER TABLE feature_values SET SCHEMA features;
ALTER TABLE feature_history SET SCHEMA features;
ALTER TABLE feature_aggregates SET SCHEMA features;
ALTER TABLE feature_events_seen SET SCHEMA features;

ALTER TABLE policy_versions SET SCHEMA governance;
ALTER TABLE policy_deployments SET SCHEMA governance;
ALTER TABLE audit_log SET SCHEMA governance;

ALTER TABLE loans SET SCHEMA lending;
ALTER TABLE credit_lines SET SCHEMA lending;
ALTER TABLE lending_events SET SCHEMA lending;
ALTER TABLE loan_payments SET SCHEMA lending;
ALTER TABLE ledger_journals SET SCHEMA lending;
ALTER TABLE ledger_lines SET SCHEMA lending;
ALTER TABLE borrowers SET SCHEMA lending;

ALTER TABLE outbox SET SCHEMA events;
ALTER TABLE event_stream SET SCHEMA events;
ALTER TABLE event_stream_groups SET SCHEMA events;
ALTER TABLE event_stream_acks SET SCHEMA events;
ALTER TABLE event_dead_letters SET SCHEMA events;
ALTER TABLE event_journey SET SCHEMA events;
ALTER TABLE event_sms_signals SET SCHEMA events;

ALTER TABLE lists SET SCHEMA lists;
ALTER TABLE list_entries SET SCHEMA lists;

ALTER TABLE once_runs SET SCHEMA ops;

-- +goose Down
ALTER TABLE ops.once_runs SET SCHEMA public;
ALTER TABLE lists.list_entries SET SCHEMA public;
ALTER TABLE lists.lists SET SCHEMA public;
ALTER TABLE events.event_sms_signals SET SCHEMA public;
ALTER TABLE events.event_journey SET SCHEMA public;
ALTER TABLE events.event_dead_letters SET SCHEMA public;
ALTER TABLE events.event_stream_acks SET SCHEMA public;
ALTER TABLE events.event_stream_groups SET SCHEMA public;
ALTER TABLE events.event_stream SET SCHEMA public;
ALTER TABLE events.outbox SET SCHEMA public;
ALTER TABLE lending.borrowers SET SCHEMA public;
ALTER TABLE lending.ledger_lines SET SCHEMA public;
ALTER TABLE lending.ledger_journals SET SCHEMA public;
ALTER TABLE lending.loan_payments SET SCHEMA public;
ALTER TABLE lending.lending_events SET SCHEMA public;
ALTER TABLE lending.credit_lines SET SCHEMA public;
ALTER TABLE lending.loans SET SCHEMA public;
ALTER TABLE governance.audit_log SET SCHEMA public;
ALTER TABLE governance.policy_deployments SET SCHEMA public;
ALTER TABLE governance.policy_versions SET SCHEMA public;
ALTER TABLE features.feature_events_seen SET SCHEMA public;
ALTER TABLE features.feature_aggregates SET SCHEMA public;
ALTER TABLE features.feature_history SET SCHEMA public;
ALTER TABLE features.feature_values SET SCHEMA public;
ALTER TABLE decisions.step_ups SET SCHEMA public;
ALTER TABLE decisions.decision_claims SET SCHEMA public;
ALTER TABLE decisions.decision_rules SET SCHEMA public;
ALTER TABLE decisions.decisions SET SCHEMA public;
ALTER TABLE auth.api_keys SET SCHEMA public;
DROP SCHEMA ops, cases, comms, kyc, lists, events, lending, governance, features, decisions, auth;
