-- +goose Up
-- SQLite does not compress rows: nothing changes.
SELECT 1;

-- +goose Down
SELECT 1;
