-- +goose Up
-- SQLite keeps every module's tables in its one file: nothing moves.
SELECT 1;

-- +goose Down
SELECT 1;
