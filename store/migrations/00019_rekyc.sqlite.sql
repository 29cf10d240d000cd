-- +goose Up
-- Re-KYC (issue 19); see the PostgreSQL file. Instants are unix
-- microseconds, dates TEXT YYYY-MM-DD.
CREATE TABLE kyc_customers (
    customer_id   TEXT PRIMARY KEY,
    risk_category TEXT NOT NULL,
    completed_at  BIGINT,
    rekyc_due_at  BIGINT,
    updated_at    BIGINT NOT NULL,
    CONSTRAINT kyc_customers_risk_known CHECK (risk_category IN ('low', 'medium', 'high')),
    CONSTRAINT kyc_customers_due_after_completion CHECK ((completed_at IS NULL) = (rekyc_due_at IS NULL) AND (rekyc_due_at IS NULL OR rekyc_due_at > completed_at))
);
CREATE INDEX kyc_customers_due ON kyc_customers (rekyc_due_at) WHERE rekyc_due_at IS NOT NULL;

CREATE TABLE kyc_tasks (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    due_at      BIGINT NOT NULL,
    raised_on   TEXT NOT NULL,
    done_at     BIGINT,
    CONSTRAINT kyc_tasks_customer_fk FOREIGN KEY (customer_id) REFERENCES kyc_customers (customer_id),
    CONSTRAINT kyc_tasks_kind_known CHECK (kind IN ('rekyc')),
    CONSTRAINT kyc_tasks_status_known CHECK (status IN ('open', 'done')),
    CONSTRAINT kyc_tasks_done_dated CHECK ((status = 'done') = (done_at IS NOT NULL)),
    CONSTRAINT kyc_tasks_once UNIQUE (customer_id, kind, due_at)
);
CREATE INDEX kyc_tasks_open ON kyc_tasks (status, due_at, id);

-- +goose Down
DROP TABLE kyc_tasks;
DROP TABLE kyc_customers;
