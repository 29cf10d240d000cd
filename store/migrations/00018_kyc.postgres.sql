-- +goose Up
-- KYC evidence (DESIGN §16, issue 19): one immutable record per check of a
-- customer (PAN, Aadhaar offline e-KYC, CKYC, bank account, video KYC,
-- screening), with what the provider answered, masked. A check that needs
-- a second call (CKYC's OTP consent) is a pending record completed by a
-- later one (completes). No full Aadhaar number is ever stored: the
-- offline e-KYC keeps the reference id and last four digits only.
CREATE TABLE kyc.kyc_evidence (
    id             TEXT PRIMARY KEY,
    customer_id    TEXT NOT NULL,
    check_type     TEXT NOT NULL,
    provider       TEXT NOT NULL,
    provider_ref   TEXT,
    status         TEXT NOT NULL,
    reason         TEXT,
    subject_hash   TEXT,
    result         jsonb NOT NULL,
    scores         jsonb NOT NULL,
    payload_sha256 TEXT,
    consent_ref    TEXT,
    completes      TEXT,
    created_at     timestamptz NOT NULL,
    verified_at    timestamptz,
    expires_at     timestamptz,
    CONSTRAINT kyc_evidence_check_known CHECK (check_type IN ('pan', 'aadhaar-offline', 'ckyc', 'bank-account', 'video', 'screening')),
    CONSTRAINT kyc_evidence_status_known CHECK (status IN ('verified', 'failed', 'pending', 'error')),
    CONSTRAINT kyc_evidence_verified_dated CHECK ((status = 'verified') = (verified_at IS NOT NULL)),
    CONSTRAINT kyc_evidence_reason_when_failed CHECK (status NOT IN ('failed', 'error') OR reason IS NOT NULL),
    CONSTRAINT kyc_evidence_expiry_after CHECK (expires_at IS NULL OR expires_at > created_at),
    CONSTRAINT kyc_evidence_result_object CHECK (jsonb_typeof(result) = 'object'),
    CONSTRAINT kyc_evidence_scores_object CHECK (jsonb_typeof(scores) = 'object'),
    CONSTRAINT kyc_evidence_completes_fk FOREIGN KEY (completes) REFERENCES kyc.kyc_evidence (id),
    CONSTRAINT kyc_evidence_completed_once UNIQUE (completes)
);
CREATE INDEX kyc_evidence_by_customer ON kyc.kyc_evidence (customer_id, created_at, id);
CREATE INDEX kyc_evidence_by_subject ON kyc.kyc_evidence (check_type, subject_hash) WHERE subject_hash IS NOT NULL;

-- Evidence is immutable: a correction is a new record.
-- +goose StatementBegin
CREATE FUNCTION kyc.kyc_evidence_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'kyc evidence is immutable' USING ERRCODE = 'check_violation', CONSTRAINT = 'kyc_evidence_immutable';
END $$;
-- +goose StatementEnd
CREATE TRIGGER kyc_evidence_immutable BEFORE UPDATE ON kyc.kyc_evidence
    FOR EACH ROW EXECUTE FUNCTION kyc.kyc_evidence_immutable();

-- +goose Down
DROP TABLE kyc.kyc_evidence;
DROP FUNCTION kyc.kyc_evidence_immutable();
