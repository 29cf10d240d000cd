-- +goose Up
-- The hot tier of the decision log. Rows arrive from the local segment files
-- through the shipper, idempotently by id. body is the full decision JSON.
CREATE TABLE decisions (
    id             TEXT PRIMARY KEY,
    parent_id      TEXT,
    request_id     TEXT NOT NULL,
    customer_id    TEXT NOT NULL,
    step           TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    policy_id      TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    role           TEXT NOT NULL,
    score          BIGINT NOT NULL,
    decided_at     BIGINT NOT NULL,
    body           TEXT NOT NULL
);
CREATE INDEX decisions_customer ON decisions (customer_id, decided_at);
CREATE INDEX decisions_step ON decisions (step, decided_at);
CREATE INDEX decisions_time ON decisions (decided_at);
CREATE INDEX decisions_request ON decisions (request_id);

-- Fired and errored rules of each decision, for "which decisions hit rule X".
CREATE TABLE decision_rules (
    decision_id TEXT NOT NULL,
    rule_id     TEXT NOT NULL,
    decided_at  BIGINT NOT NULL,
    PRIMARY KEY (decision_id, rule_id)
);
CREATE INDEX decision_rules_rule ON decision_rules (rule_id, decided_at);

-- +goose Down
DROP TABLE decision_rules;
DROP TABLE decisions;
