-- +goose Up
-- Sanctions screening (DESIGN §16); see the PostgreSQL file. Instants are
-- unix microseconds (BIGINT) and aliases JSON text, as in every SQLite
-- table.
CREATE TABLE screening_lists (
    name                TEXT PRIMARY KEY,
    revision            BIGINT NOT NULL,
    entries             BIGINT NOT NULL,
    rescreened_revision BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    CONSTRAINT screening_lists_name_format CHECK (length(name) BETWEEN 1 AND 32 AND name GLOB '[a-z]*' AND name NOT GLOB '*[^a-z0-9_]*'),
    CONSTRAINT screening_lists_revision_non_negative CHECK (revision >= 0),
    CONSTRAINT screening_lists_entries_non_negative CHECK (entries >= 0),
    CONSTRAINT screening_lists_rescreened_within CHECK (rescreened_revision >= 0 AND rescreened_revision <= revision)
);

CREATE TABLE screening_entries (
    list_name        TEXT NOT NULL,
    ref              TEXT NOT NULL,
    added_revision   BIGINT NOT NULL,
    removed_revision BIGINT,
    kind             TEXT NOT NULL,
    name             TEXT NOT NULL,
    aliases          TEXT NOT NULL,
    dob              TEXT,
    note             TEXT NOT NULL,
    PRIMARY KEY (list_name, ref, added_revision),
    CONSTRAINT screening_entries_list_fk FOREIGN KEY (list_name) REFERENCES screening_lists (name),
    CONSTRAINT screening_entries_ref_present CHECK (ref <> ''),
    CONSTRAINT screening_entries_name_present CHECK (name <> ''),
    CONSTRAINT screening_entries_kind_known CHECK (kind IN ('individual', 'entity')),
    CONSTRAINT screening_entries_added_positive CHECK (added_revision >= 1),
    CONSTRAINT screening_entries_removal_after_add CHECK (removed_revision IS NULL OR removed_revision > added_revision),
    CONSTRAINT screening_entries_aliases_array CHECK (json_type(aliases) = 'array')
);
CREATE UNIQUE INDEX screening_entries_open ON screening_entries (list_name, ref) WHERE removed_revision IS NULL;
CREATE INDEX screening_entries_added ON screening_entries (list_name, added_revision) WHERE removed_revision IS NULL;

CREATE TABLE screening_hits (
    id           TEXT PRIMARY KEY,
    customer_id  TEXT NOT NULL,
    list_name    TEXT NOT NULL,
    ref          TEXT NOT NULL,
    matched_name TEXT NOT NULL,
    score        REAL NOT NULL,
    revision     BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    CONSTRAINT screening_hits_once UNIQUE (customer_id, list_name, ref),
    CONSTRAINT screening_hits_list_fk FOREIGN KEY (list_name) REFERENCES screening_lists (name),
    CONSTRAINT screening_hits_customer_present CHECK (customer_id <> ''),
    CONSTRAINT screening_hits_score_range CHECK (score >= 0 AND score <= 1),
    CONSTRAINT screening_hits_revision_positive CHECK (revision >= 1)
);
CREATE INDEX screening_hits_by_list ON screening_hits (list_name, ref);

-- +goose Down
DROP TABLE screening_hits;
DROP TABLE screening_entries;
DROP TABLE screening_lists;
