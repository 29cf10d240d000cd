-- +goose Up
-- KYC evidence (DESIGN §16, issue 19); see the PostgreSQL file. Instants
-- are unix microseconds (BIGINT) and documents JSON text, as in every
-- SQLite table.
CREATE TABLE kyc_evidence (
    id             TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL,
    check_type     TEXT NOT NULL,
    provider       TEXT NOT NULL,
    provider_ref   TEXT,
    status         TEXT NOT NULL,
    reason         TEXT,
    subject_hash   TEXT,
    result         TEXT NOT NULL,
    scores         TEXT NOT NULL,
    payload_sha256 TEXT,
    consent_ref    TEXT,
    completes      TEXT,
    created_at     BIGINT NOT NULL,
    verified_at    BIGINT,
    expires_at     BIGINT,
    CONSTRAINT kyc_evidence_check_known CHECK (check_type IN ('pan', 'aadhaar-offline', 'ckyc', 'bank-account', 'video', 'screening')),
    CONSTRAINT kyc_evidence_status_known CHECK (status IN ('verified', 'failed', 'pending', 'error')),
    CONSTRAINT kyc_evidence_verified_dated CHECK ((status = 'verified') = (verified_at IS NOT NULL)),
    CONSTRAINT kyc_evidence_reason_when_failed CHECK (status NOT IN ('failed', 'error') OR reason IS NOT NULL),
    CONSTRAINT kyc_evidence_expiry_after CHECK (expires_at IS NULL OR expires_at > created_at),
    CONSTRAINT kyc_evidence_result_object CHECK (json_type(result) = 'object'),
    CONSTRAINT kyc_evidence_scores_object CHECK (json_type(scores) = 'object'),
    CONSTRAINT kyc_evidence_completes_fk FOREIGN KEY (completes) REFERENCES kyc_evidence (id),
    CONSTRAINT kyc_evidence_completed_once UNIQUE (completes)
);
CREATE INDEX kyc_evidence_by_customer ON kyc_evidence (customer_id, created_at, id);
CREATE INDEX kyc_evidence_by_subject ON kyc_evidence (check_type, subject_hash) WHERE subject_hash IS NOT NULL;
-- +goose StatementBegin
CREATE TRIGGER kyc_evidence_immutable BEFORE UPDATE ON kyc_evidence
BEGIN
    SELECT RAISE(ABORT, 'kyc evidence is immutable (kyc_evidence_immutable)');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE kyc_evidence;
