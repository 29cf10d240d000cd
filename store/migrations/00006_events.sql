-- +goose Up
-- The embedded event stream (events/stream.SQL): one row per message until
-- every consumer group has acknowledged it. seq is assigned by the one
-- process that owns the stream.
CREATE TABLE event_stream (
    seq        BIGINT PRIMARY KEY,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

-- Per consumer group: every seq ≤ acked_to is acknowledged.
CREATE TABLE event_stream_groups (
    grp      TEXT PRIMARY KEY,
    acked_to BIGINT NOT NULL
);

-- Acknowledgements above a group's watermark (out of order).
CREATE TABLE event_stream_acks (
    grp TEXT NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (grp, seq)
);

-- Events refused at ingest or by a consumer, with the reason. One row per
-- (consumer, event): a redelivered bad event is recorded once.
CREATE TABLE event_dead_letters (
    id          TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL,
    consumer    TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    reason      TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  BIGINT NOT NULL
);
CREATE INDEX event_dead_letters_time ON event_dead_letters (created_at, id);

-- The customer-journey index of ingested events (app_event screens and
-- clicks, device_apps snapshots, lending domain events). Idempotent by
-- event id.
CREATE TABLE event_journey (
    event_id    TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    event_type  TEXT NOT NULL,
    at          BIGINT NOT NULL,
    summary     TEXT NOT NULL
);
CREATE INDEX event_journey_customer ON event_journey (customer_id, at);

-- Parsed SMS signals kept for the online SMS features (salary median,
-- bounces, disbursals, average balance) in the embedded mode; in production
-- they live in Redis. Idempotent by (customer, event, kind).
CREATE TABLE event_sms_signals (
    customer_id TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    kind        TEXT NOT NULL,
    at          BIGINT NOT NULL,
    amount      BIGINT NOT NULL,
    PRIMARY KEY (customer_id, event_id, kind)
);
CREATE INDEX event_sms_signals_at ON event_sms_signals (at);

-- +goose Down
DROP TABLE event_sms_signals;
DROP TABLE event_journey;
DROP TABLE event_dead_letters;
DROP TABLE event_stream_acks;
DROP TABLE event_stream_groups;
DROP TABLE event_stream;
