-- +goose Up
-- Re-KYC (issue 19): each customer whose KYC completed, with the risk
-- category that sets when it is due again (high 2 years, medium 8, low
-- 10 by default), and the re-KYC tasks the day-end event raises for
-- those due, once per customer and due time.
CREATE TABLE kyc.kyc_customers (
    customer_id   TEXT PRIMARY KEY,
    risk_category TEXT NOT NULL,
    completed_at  timestamptz,
    rekyc_due_at  timestamptz,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT kyc_customers_risk_known CHECK (risk_category IN ('low', 'medium', 'high')),
    CONSTRAINT kyc_customers_due_after_completion CHECK ((completed_at IS NULL) = (rekyc_due_at IS NULL) AND (rekyc_due_at IS NULL OR rekyc_due_at > completed_at))
);
CREATE INDEX kyc_customers_due ON kyc.kyc_customers (rekyc_due_at) WHERE rekyc_due_at IS NOT NULL;

CREATE TABLE kyc.kyc_tasks (
    id          TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT NOT NULL,
    due_at      timestamptz NOT NULL,
    raised_on   date NOT NULL,
    done_at     timestamptz,
    CONSTRAINT kyc_tasks_customer_fk FOREIGN KEY (customer_id) REFERENCES kyc.kyc_customers (customer_id),
    CONSTRAINT kyc_tasks_kind_known CHECK (kind IN ('rekyc')),
    CONSTRAINT kyc_tasks_status_known CHECK (status IN ('open', 'done')),
    CONSTRAINT kyc_tasks_done_dated CHECK ((status = 'done') = (done_at IS NOT NULL)),
    CONSTRAINT kyc_tasks_once UNIQUE (customer_id, kind, due_at)
);
CREATE INDEX kyc_tasks_open ON kyc.kyc_tasks (status, due_at, id);

-- +goose Down
DROP TABLE kyc.kyc_tasks;
DROP TABLE kyc.kyc_customers;
