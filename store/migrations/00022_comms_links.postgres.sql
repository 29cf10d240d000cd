-- +goose Up
-- Tracked links (issue 20, DESIGN §17): a personal link /l/{token} in a
-- message, to one https target, for one customer, until it expires; and
-- every click on it, which the customer's journey shows.
CREATE TABLE comms.links (
    token         TEXT PRIMARY KEY,
    customer_id   TEXT NOT NULL,
    message_id    TEXT,
    campaign_id   TEXT,
    target        TEXT NOT NULL,
    created_at    timestamptz NOT NULL,
    expires_at    timestamptz NOT NULL,
    CONSTRAINT links_token_shape CHECK (length(token) BETWEEN 8 AND 32),
    CONSTRAINT links_target_https CHECK (target LIKE 'https://%'),
    CONSTRAINT links_expiry_after CHECK (expires_at > created_at)
);
CREATE INDEX links_by_customer ON comms.links (customer_id, created_at);

CREATE TABLE comms.link_clicks (
    id          TEXT PRIMARY KEY,
    token       TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    at          timestamptz NOT NULL,
    CONSTRAINT link_clicks_link_fk FOREIGN KEY (token) REFERENCES comms.links (token)
);
CREATE INDEX link_clicks_by_customer ON comms.link_clicks (customer_id, at);
CREATE INDEX link_clicks_by_token ON comms.link_clicks (token);

-- +goose Down
DROP TABLE comms.link_clicks;
DROP TABLE comms.links;
