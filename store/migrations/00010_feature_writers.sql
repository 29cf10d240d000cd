-- +goose Up
-- Who wrote each value of the feature history: "key:<api key id>" for the
-- API, "events" for the event consumers, "step-up" for step-up reports,
-- "demo" for the demo seed, "nirnay" otherwise.
ALTER TABLE feature_history ADD COLUMN written_by TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE feature_history DROP COLUMN written_by;
