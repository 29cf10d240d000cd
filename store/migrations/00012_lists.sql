-- +goose Up
-- Managed block/allow lists that rules read with in_list(name, value)
-- (DESIGN §14). revision counts the changes to a list's entries: every
-- transaction that adds, removes or expires entries bumps it once and stamps
-- the rows it touched with the new value, so an instance that has applied
-- revision r reads only the rows with revision > r to catch up. entries is
-- the number of open rows (on the list unless expired since the last change).
CREATE TABLE lists (
    name        TEXT PRIMARY KEY,
    description TEXT NOT NULL,
    revision    BIGINT NOT NULL,
    entries     BIGINT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  TEXT NOT NULL,
    CHECK (revision >= 0),
    CHECK (entries >= 0)
);

-- Every time a value was on a list, one row each: on the list from added_at
-- until removed_at or expires_at, whichever comes first (NULL: not yet).
-- Rows are never deleted, so membership can be answered as of any time. A
-- row whose expiry has passed is closed (removed_at = expires_at,
-- removed_by 'expired') by the next change to its list. At most one open
-- row per value.
CREATE TABLE list_entries (
    id         TEXT PRIMARY KEY,
    list_name  TEXT NOT NULL REFERENCES lists (name),
    value      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    expires_at BIGINT,
    added_at   BIGINT NOT NULL,
    added_by   TEXT NOT NULL,
    removed_at BIGINT,
    removed_by TEXT,
    revision   BIGINT NOT NULL,
    CHECK (expires_at IS NULL OR expires_at > added_at),
    CHECK (removed_at IS NULL OR removed_at >= added_at),
    CHECK ((removed_at IS NULL) = (removed_by IS NULL))
);
CREATE UNIQUE INDEX list_entries_open ON list_entries (list_name, value) WHERE removed_at IS NULL;
CREATE INDEX list_entries_revision ON list_entries (list_name, revision);
CREATE INDEX list_entries_expiring ON list_entries (list_name, expires_at) WHERE removed_at IS NULL AND expires_at IS NOT NULL;
CREATE INDEX list_entries_history ON list_entries (list_name, value, added_at);

-- +goose Down
DROP TABLE list_entries;
DROP TABLE lists;
