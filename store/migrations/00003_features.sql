-- +goose Up
-- The in-process feature store of the embedded default (DESIGN §8): the
-- latest value of every stored feature per entity, in the compact typed
-- encoding of package features (it carries its as-of time), as_of in unix
-- microseconds. Redis holds the same in production.
CREATE TABLE feature_values (
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,
    as_of     BIGINT NOT NULL,
    PRIMARY KEY (entity, entity_id, name)
);

-- Every value ever written, for point-in-time (as-of) reads by the
-- simulator and decision-log replay.
CREATE TABLE feature_history (
    entity    TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,
    as_of     BIGINT NOT NULL,
    PRIMARY KEY (entity, entity_id, name, as_of)
);

-- Windowed aggregate state: one row per bucket ("b<index>") or distinct
-- member ("m<member>") of a feature's series for one entity id. value is a
-- decimal number; expires_at (unix seconds) is when the row leaves every
-- window. Expired rows are pruned by a scan now and then (no index, so
-- that each update costs one B-tree insert).
CREATE TABLE feature_aggregates (
    feature    TEXT NOT NULL,
    entity_id  TEXT NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (feature, entity_id, field)
);

-- Event ids already applied to aggregates, so a replayed event is applied
-- at most once while it can still count in a window.
CREATE TABLE feature_events_seen (
    id         TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE feature_events_seen;
DROP TABLE feature_aggregates;
DROP TABLE feature_history;
DROP TABLE feature_values;
