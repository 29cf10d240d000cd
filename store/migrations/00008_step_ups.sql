-- +goose Up
-- Step-up challenge results (DESIGN §15): what the app reported for each
-- challenge (otp, selfie, …) that a step_up decision asked for. One row per
-- decision and challenge; the first report stands. Times are unix
-- microseconds.
CREATE TABLE step_ups (
    decision_id TEXT NOT NULL,
    action      TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    step        TEXT NOT NULL,
    result      TEXT NOT NULL CHECK (result IN ('passed', 'failed')),
    reported_at BIGINT NOT NULL,
    reported_by TEXT NOT NULL,
    PRIMARY KEY (decision_id, action)
);
CREATE INDEX step_ups_customer ON step_ups (customer_id, reported_at);

-- +goose Down
DROP TABLE step_ups;
