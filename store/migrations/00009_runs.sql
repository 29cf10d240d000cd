-- +goose Up
-- Work that one instance does for all (the lending day end of a date): a
-- row per run, finished_at set when it completed, so other instances and
-- later starts skip it (store.DB.Once). Times are unix microseconds.
CREATE TABLE once_runs (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    started_at  BIGINT NOT NULL,
    finished_at BIGINT
);

-- +goose Down
DROP TABLE once_runs;
