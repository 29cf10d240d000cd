-- +goose Up
-- Messages to customers (issue 20); see the PostgreSQL file. Instants are
-- unix microseconds.
CREATE TABLE messages (
    id            TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    request_id    TEXT,
    campaign_id   TEXT,
    template      TEXT NOT NULL,
    channel       TEXT NOT NULL,
    category      TEXT NOT NULL,
    language      TEXT NOT NULL,
    text          TEXT NOT NULL,
    segments      INTEGER NOT NULL,
    status        TEXT NOT NULL,
    reason        TEXT,
    attempts      INTEGER NOT NULL,
    send_at       BIGINT NOT NULL,
    claimed_until BIGINT,
    sent_at       BIGINT,
    provider      TEXT,
    provider_ref  TEXT,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    CONSTRAINT messages_channel_known CHECK (channel IN ('sms', 'email', 'push', 'whatsapp')),
    CONSTRAINT messages_category_known CHECK (category IN ('transactional', 'service', 'promotional', 'collections')),
    CONSTRAINT messages_status_known CHECK (status IN ('queued', 'deferred', 'sending', 'sent', 'failed', 'suppressed')),
    CONSTRAINT messages_reason_when_not_sent CHECK (status NOT IN ('failed', 'suppressed') OR reason IS NOT NULL),
    CONSTRAINT messages_sent_dated CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    CONSTRAINT messages_claimed_when_sending CHECK ((status = 'sending') = (claimed_until IS NOT NULL)),
    CONSTRAINT messages_counts_non_negative CHECK (segments >= 0 AND attempts >= 0),
    CONSTRAINT messages_request_once UNIQUE (customer_id, request_id),
    CONSTRAINT messages_campaign_once UNIQUE (campaign_id, customer_id, channel)
);
CREATE INDEX messages_due ON messages (send_at) WHERE status IN ('queued', 'deferred', 'sending');
CREATE INDEX messages_by_customer ON messages (customer_id, created_at);

-- +goose Down
DROP TABLE messages;
