-- +goose Up
-- Campaigns (issue 20); see the PostgreSQL file. Instants are unix
-- microseconds.
CREATE TABLE campaigns (
    id          TEXT PRIMARY KEY,
    template    TEXT NOT NULL,
    recipients  INTEGER NOT NULL,
    send_at     BIGINT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    CONSTRAINT campaigns_recipients_non_negative CHECK (recipients >= 0)
);
CREATE INDEX messages_by_campaign ON messages (campaign_id, status) WHERE campaign_id IS NOT NULL;

-- +goose Down
DROP INDEX messages_by_campaign;
DROP TABLE campaigns;
