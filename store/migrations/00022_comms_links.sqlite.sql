-- +goose Up
-- Tracked links (issue 20); see the PostgreSQL file. Instants are unix
-- microseconds.
CREATE TABLE links (
    token         TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    message_id    TEXT,
    campaign_id   TEXT,
    target        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    CONSTRAINT links_token_shape CHECK (length(token) BETWEEN 8 AND 32),
    CONSTRAINT links_target_https CHECK (target LIKE 'https://%'),
    CONSTRAINT links_expiry_after CHECK (expires_at > created_at)
);
CREATE INDEX links_by_customer ON links (customer_id, created_at);

CREATE TABLE link_clicks (
    id          TEXT PRIMARY KEY,
    token       TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    at          BIGINT NOT NULL,
    CONSTRAINT link_clicks_link_fk FOREIGN KEY (token) REFERENCES links (token)
);
CREATE INDEX link_clicks_by_customer ON link_clicks (customer_id, at);
CREATE INDEX link_clicks_by_token ON link_clicks (token);

-- +goose Down
DROP TABLE link_clicks;
DROP TABLE links;
