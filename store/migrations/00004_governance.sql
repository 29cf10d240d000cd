-- +goose Up
-- Policy governance (DESIGN §4, §12). Every policy version ever uploaded, with
-- its YAML source and where it stands in the maker-checker lifecycle:
-- draft → submitted → approved, or submitted → rejected (→ draft again when
-- the author replaces it). An approved version is immutable.
CREATE TABLE policy_versions (
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
CREATE INDEX policy_versions_status ON policy_versions (status);

-- The active deployment of each journey step. challengers and shadows are
-- JSON; revision guards against lost updates (optimistic concurrency).
CREATE TABLE policy_deployments (
    step            TEXT PRIMARY KEY,
    champion        TEXT NOT NULL,
    challengers     TEXT NOT NULL,
    shadows         TEXT NOT NULL,
    revision        BIGINT NOT NULL,
    updated_by_id   TEXT NOT NULL,
    updated_by_name TEXT NOT NULL,
    updated_at      BIGINT NOT NULL
);

-- Append-only audit log of every governance change. id is a ULID, so id
-- order is time order; before_json and after_json are JSON (NULL when absent).
CREATE TABLE audit_log (
    id         TEXT PRIMARY KEY,
    at         BIGINT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action     TEXT NOT NULL,
    subject    TEXT NOT NULL,
    before_json TEXT,
    after_json  TEXT
);
CREATE INDEX audit_log_subject ON audit_log (subject, id);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE policy_deployments;
DROP TABLE policy_versions;
