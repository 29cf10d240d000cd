-- +goose Up
-- Column types (issue 17): PostgreSQL turns instants into timestamptz,
-- business dates into date and JSON documents into jsonb (see
-- 00015_column_types.postgres.sql). SQLite keeps its types: instants BIGINT
-- unix microseconds (whole seconds where the table says so), dates TEXT
-- YYYY-MM-DD, JSON TEXT; store/types.go binds and scans both.
SELECT 1;

-- +goose Down
SELECT 1;
