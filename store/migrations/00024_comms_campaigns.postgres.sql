-- +goose Up
-- Campaigns (issue 20, DESIGN §17): one template to an audience, whose
-- recipients are snapshotted into comms.messages when it is created (one
-- message per campaign, customer and channel: messages_campaign_once).
CREATE TABLE comms.campaigns (
    id          TEXT PRIMARY KEY,
    template    TEXT NOT NULL,
    recipients  INTEGER NOT NULL,
    send_at     timestamptz NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  timestamptz NOT NULL,
    CONSTRAINT campaigns_recipients_non_negative CHECK (recipients >= 0)
);
CREATE INDEX messages_by_campaign ON comms.messages (campaign_id, status) WHERE campaign_id IS NOT NULL;

-- +goose Down
DROP INDEX comms.messages_by_campaign;
DROP TABLE comms.campaigns;
