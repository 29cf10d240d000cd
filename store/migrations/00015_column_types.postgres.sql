-- +goose Up
-- Column types outside the decisions schema (issue 17, DESIGN §20; the
-- decisions schema is 00016's). Instants become timestamptz, business
-- dates date, JSON documents jsonb; money stays BIGINT paise. SQLite keeps
-- BIGINT unix microseconds, TEXT dates and TEXT JSON (store/types.go binds
-- and scans both). Conversions are exact: microseconds through
-- 'epoch' + n * interval '1 microsecond' (three columns hold whole unix
-- seconds: feature_aggregates.expires_at, feature_events_seen.expires_at,
-- event_sms_signals.at), dates from their YYYY-MM-DD text. Each table is
-- one ALTER TABLE, so its indexes are rebuilt and its CHECK constraints
-- checked once, on the new types.
--
-- Kept TEXT on purpose, where the exact bytes or non-JSON content matter
-- (jsonb keeps a document's meaning, not its bytes: it reorders keys, drops
-- whitespace and refuses the escape \u0000):
--   lending.loans.kfs              kfs_digest is the SHA-256 of these bytes
--   lending.loans.consent,
--   lending.credit_lines.consent   the borrower's consent as recorded, byte
--                                  for byte ('' until given: not JSON)
--   governance.policy_versions.source  the policy YAML; sha256 is over it
--   features.*.value               not JSON: the typed text encoding that
--                                  Redis holds too (and decimal text)
--   events.event_stream.body       a transport's opaque message bytes,
--                                  delivered exactly as appended
--   events.event_dead_letters.payload  refused input as recorded; it may
--                                  carry \u0000
--   events.event_journey.summary   built from client-sent app_event text,
--                                  which may carry \u0000

ALTER TABLE auth.api_keys
    ALTER COLUMN created_at TYPE timestamptz USING timestamptz 'epoch' + created_at * interval '1 microsecond',
    ALTER COLUMN revoked_at TYPE timestamptz USING timestamptz 'epoch' + revoked_at * interval '1 microsecond';

ALTER TABLE features.feature_values
    ALTER COLUMN as_of TYPE timestamptz USING timestamptz 'epoch' + as_of * interval '1 microsecond';
ALTER TABLE features.feature_history
    ALTER COLUMN as_of TYPE timestamptz USING timestamptz 'epoch' + as_of * interval '1 microsecond';
ALTER TABLE features.feature_aggregates
    ALTER COLUMN expires_at TYPE timestamptz USING timestamptz 'epoch' + expires_at * interval '1 second';
ALTER TABLE features.feature_events_seen
    ALTER COLUMN expires_at TYPE timestamptz USING timestamptz 'epoch' + expires_at * interval '1 second';

ALTER TABLE governance.policies
    ALTER COLUMN created_at TYPE timestamptz USING timestamptz 'epoch' + created_at * interval '1 microsecond';
ALTER TABLE governance.policy_versions
    ALTER COLUMN created_at TYPE timestamptz USING timestamptz 'epoch' + created_at * interval '1 microsecond',
    ALTER COLUMN updated_at TYPE timestamptz USING timestamptz 'epoch' + updated_at * interval '1 microsecond',
    ALTER COLUMN submitted_at TYPE timestamptz USING timestamptz 'epoch' + submitted_at * interval '1 microsecond',
    ALTER COLUMN reviewed_at TYPE timestamptz USING timestamptz 'epoch' + reviewed_at * interval '1 microsecond';
ALTER TABLE governance.policy_deployments
    ALTER COLUMN challengers TYPE jsonb USING challengers::jsonb,
    ALTER COLUMN shadows TYPE jsonb USING shadows::jsonb,
    ALTER COLUMN updated_at TYPE timestamptz USING timestamptz 'epoch' + updated_at * interval '1 microsecond';
ALTER TABLE governance.audit_log
    ALTER COLUMN at TYPE timestamptz USING timestamptz 'epoch' + at * interval '1 microsecond',
    ALTER COLUMN before_json TYPE jsonb USING before_json::jsonb,
    ALTER COLUMN after_json TYPE jsonb USING after_json::jsonb;

ALTER TABLE lending.loans
    ALTER COLUMN reasons DROP DEFAULT,
    ALTER COLUMN reasons TYPE jsonb USING reasons::jsonb,
    ALTER COLUMN reasons SET DEFAULT '[]',
    ALTER COLUMN offer DROP DEFAULT,
    ALTER COLUMN offer TYPE jsonb USING offer::jsonb,
    ALTER COLUMN offer SET DEFAULT '{}',
    ALTER COLUMN disbursed_on TYPE date USING NULLIF(disbursed_on, '')::date,
    ALTER COLUMN last_event_on TYPE date USING NULLIF(last_event_on, '')::date,
    ALTER COLUMN last_day_end TYPE date USING NULLIF(last_day_end, '')::date,
    ALTER COLUMN created_at TYPE timestamptz USING timestamptz 'epoch' + created_at * interval '1 microsecond',
    ALTER COLUMN updated_at TYPE timestamptz USING timestamptz 'epoch' + updated_at * interval '1 microsecond';
ALTER TABLE lending.credit_lines
    ALTER COLUMN reasons DROP DEFAULT,
    ALTER COLUMN reasons TYPE jsonb USING reasons::jsonb,
    ALTER COLUMN reasons SET DEFAULT '[]',
    ALTER COLUMN offer DROP DEFAULT,
    ALTER COLUMN offer TYPE jsonb USING offer::jsonb,
    ALTER COLUMN offer SET DEFAULT '{}',
    ALTER COLUMN created_at TYPE timestamptz USING timestamptz 'epoch' + created_at * interval '1 microsecond',
    ALTER COLUMN updated_at TYPE timestamptz USING timestamptz 'epoch' + updated_at * interval '1 microsecond';
ALTER TABLE lending.lending_events
    ALTER COLUMN on_date TYPE date USING on_date::date,
    ALTER COLUMN at TYPE timestamptz USING timestamptz 'epoch' + at * interval '1 microsecond',
    ALTER COLUMN body TYPE jsonb USING body::jsonb;
ALTER TABLE lending.loan_payments
    ALTER COLUMN paid_on TYPE date USING paid_on::date,
    ALTER COLUMN created_at TYPE timestamptz USING timestamptz 'epoch' + created_at * interval '1 microsecond',
    ALTER COLUMN bounced_at TYPE timestamptz USING timestamptz 'epoch' + bounced_at * interval '1 microsecond';
ALTER TABLE lending.ledger_journals
    ALTER COLUMN on_date TYPE date USING on_date::date,
    ALTER COLUMN created_at TYPE timestamptz USING timestamptz 'epoch' + created_at * interval '1 microsecond';
ALTER TABLE lending.borrowers
    ALTER COLUMN as_of TYPE date USING as_of::date,
    ALTER COLUMN updated_at TYPE timestamptz USING timestamptz 'epoch' + updated_at * interval '1 microsecond';

ALTER TABLE events.outbox
    ALTER COLUMN payload TYPE jsonb USING payload::jsonb,
    ALTER COLUMN created_at TYPE timestamptz USING timestamptz 'epoch' + created_at * interval '1 microsecond',
    ALTER COLUMN published_at TYPE timestamptz USING timestamptz 'epoch' + published_at * interval '1 microsecond';
ALTER TABLE events.event_stream
    ALTER COLUMN created_at TYPE timestamptz USING timestamptz 'epoch' + created_at * interval '1 microsecond';
ALTER TABLE events.event_dead_letters
    ALTER COLUMN created_at TYPE timestamptz USING timestamptz 'epoch' + created_at * interval '1 microsecond';
ALTER TABLE events.event_journey
    ALTER COLUMN at TYPE timestamptz USING timestamptz 'epoch' + at * interval '1 microsecond';
ALTER TABLE events.event_sms_signals
    ALTER COLUMN at TYPE timestamptz USING timestamptz 'epoch' + at * interval '1 second';

ALTER TABLE lists.lists
    ALTER COLUMN created_at TYPE timestamptz USING timestamptz 'epoch' + created_at * interval '1 microsecond',
    ALTER COLUMN updated_at TYPE timestamptz USING timestamptz 'epoch' + updated_at * interval '1 microsecond';
ALTER TABLE lists.list_entries
    ALTER COLUMN expires_at TYPE timestamptz USING timestamptz 'epoch' + expires_at * interval '1 microsecond',
    ALTER COLUMN added_at TYPE timestamptz USING timestamptz 'epoch' + added_at * interval '1 microsecond',
    ALTER COLUMN removed_at TYPE timestamptz USING timestamptz 'epoch' + removed_at * interval '1 microsecond';

ALTER TABLE ops.once_runs
    ALTER COLUMN started_at TYPE timestamptz USING timestamptz 'epoch' + started_at * interval '1 microsecond',
    ALTER COLUMN finished_at TYPE timestamptz USING timestamptz 'epoch' + finished_at * interval '1 microsecond';

-- +goose Down
-- Back to the integer, text and JSON-text forms (jsonb gives back its
-- normalised text, not the bytes first stored).
ALTER TABLE ops.once_runs
    ALTER COLUMN started_at TYPE bigint USING (extract(epoch FROM started_at) * 1000000)::bigint,
    ALTER COLUMN finished_at TYPE bigint USING (extract(epoch FROM finished_at) * 1000000)::bigint;

ALTER TABLE lists.list_entries
    ALTER COLUMN expires_at TYPE bigint USING (extract(epoch FROM expires_at) * 1000000)::bigint,
    ALTER COLUMN added_at TYPE bigint USING (extract(epoch FROM added_at) * 1000000)::bigint,
    ALTER COLUMN removed_at TYPE bigint USING (extract(epoch FROM removed_at) * 1000000)::bigint;
ALTER TABLE lists.lists
    ALTER COLUMN created_at TYPE bigint USING (extract(epoch FROM created_at) * 1000000)::bigint,
    ALTER COLUMN updated_at TYPE bigint USING (extract(epoch FROM updated_at) * 1000000)::bigint;

ALTER TABLE events.event_sms_signals
    ALTER COLUMN at TYPE bigint USING extract(epoch FROM at)::bigint;
ALTER TABLE events.event_journey
    ALTER COLUMN at TYPE bigint USING (extract(epoch FROM at) * 1000000)::bigint;
ALTER TABLE events.event_dead_letters
    ALTER COLUMN created_at TYPE bigint USING (extract(epoch FROM created_at) * 1000000)::bigint;
ALTER TABLE events.event_stream
    ALTER COLUMN created_at TYPE bigint USING (extract(epoch FROM created_at) * 1000000)::bigint;
ALTER TABLE events.outbox
    ALTER COLUMN payload TYPE text USING payload::text,
    ALTER COLUMN created_at TYPE bigint USING (extract(epoch FROM created_at) * 1000000)::bigint,
    ALTER COLUMN published_at TYPE bigint USING (extract(epoch FROM published_at) * 1000000)::bigint;

ALTER TABLE lending.borrowers
    ALTER COLUMN as_of TYPE text USING to_char(as_of, 'YYYY-MM-DD'),
    ALTER COLUMN updated_at TYPE bigint USING (extract(epoch FROM updated_at) * 1000000)::bigint;
ALTER TABLE lending.ledger_journals
    ALTER COLUMN on_date TYPE text USING to_char(on_date, 'YYYY-MM-DD'),
    ALTER COLUMN created_at TYPE bigint USING (extract(epoch FROM created_at) * 1000000)::bigint;
ALTER TABLE lending.loan_payments
    ALTER COLUMN paid_on TYPE text USING to_char(paid_on, 'YYYY-MM-DD'),
    ALTER COLUMN created_at TYPE bigint USING (extract(epoch FROM created_at) * 1000000)::bigint,
    ALTER COLUMN bounced_at TYPE bigint USING (extract(epoch FROM bounced_at) * 1000000)::bigint;
ALTER TABLE lending.lending_events
    ALTER COLUMN on_date TYPE text USING to_char(on_date, 'YYYY-MM-DD'),
    ALTER COLUMN at TYPE bigint USING (extract(epoch FROM at) * 1000000)::bigint,
    ALTER COLUMN body TYPE text USING body::text;
ALTER TABLE lending.credit_lines
    ALTER COLUMN reasons DROP DEFAULT,
    ALTER COLUMN reasons TYPE text USING reasons::text,
    ALTER COLUMN reasons SET DEFAULT '[]',
    ALTER COLUMN offer DROP DEFAULT,
    ALTER COLUMN offer TYPE text USING offer::text,
    ALTER COLUMN offer SET DEFAULT '{}',
    ALTER COLUMN created_at TYPE bigint USING (extract(epoch FROM created_at) * 1000000)::bigint,
    ALTER COLUMN updated_at TYPE bigint USING (extract(epoch FROM updated_at) * 1000000)::bigint;
ALTER TABLE lending.loans
    ALTER COLUMN reasons DROP DEFAULT,
    ALTER COLUMN reasons TYPE text USING reasons::text,
    ALTER COLUMN reasons SET DEFAULT '[]',
    ALTER COLUMN offer DROP DEFAULT,
    ALTER COLUMN offer TYPE text USING offer::text,
    ALTER COLUMN offer SET DEFAULT '{}',
    ALTER COLUMN disbursed_on TYPE text USING to_char(disbursed_on, 'YYYY-MM-DD'),
    ALTER COLUMN last_event_on TYPE text USING to_char(last_event_on, 'YYYY-MM-DD'),
    ALTER COLUMN last_day_end TYPE text USING to_char(last_day_end, 'YYYY-MM-DD'),
    ALTER COLUMN created_at TYPE bigint USING (extract(epoch FROM created_at) * 1000000)::bigint,
    ALTER COLUMN updated_at TYPE bigint USING (extract(epoch FROM updated_at) * 1000000)::bigint;

ALTER TABLE governance.audit_log
    ALTER COLUMN at TYPE bigint USING (extract(epoch FROM at) * 1000000)::bigint,
    ALTER COLUMN before_json TYPE text USING before_json::text,
    ALTER COLUMN after_json TYPE text USING after_json::text;
ALTER TABLE governance.policy_deployments
    ALTER COLUMN challengers TYPE text USING challengers::text,
    ALTER COLUMN shadows TYPE text USING shadows::text,
    ALTER COLUMN updated_at TYPE bigint USING (extract(epoch FROM updated_at) * 1000000)::bigint;
ALTER TABLE governance.policy_versions
    ALTER COLUMN created_at TYPE bigint USING (extract(epoch FROM created_at) * 1000000)::bigint,
    ALTER COLUMN updated_at TYPE bigint USING (extract(epoch FROM updated_at) * 1000000)::bigint,
    ALTER COLUMN submitted_at TYPE bigint USING (extract(epoch FROM submitted_at) * 1000000)::bigint,
    ALTER COLUMN reviewed_at TYPE bigint USING (extract(epoch FROM reviewed_at) * 1000000)::bigint;
ALTER TABLE governance.policies
    ALTER COLUMN created_at TYPE bigint USING (extract(epoch FROM created_at) * 1000000)::bigint;

ALTER TABLE features.feature_events_seen
    ALTER COLUMN expires_at TYPE bigint USING extract(epoch FROM expires_at)::bigint;
ALTER TABLE features.feature_aggregates
    ALTER COLUMN expires_at TYPE bigint USING extract(epoch FROM expires_at)::bigint;
ALTER TABLE features.feature_history
    ALTER COLUMN as_of TYPE bigint USING (extract(epoch FROM as_of) * 1000000)::bigint;
ALTER TABLE features.feature_values
    ALTER COLUMN as_of TYPE bigint USING (extract(epoch FROM as_of) * 1000000)::bigint;

ALTER TABLE auth.api_keys
    ALTER COLUMN created_at TYPE bigint USING (extract(epoch FROM created_at) * 1000000)::bigint,
    ALTER COLUMN revoked_at TYPE bigint USING (extract(epoch FROM revoked_at) * 1000000)::bigint;
