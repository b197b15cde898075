-- Each counted start of a link's flow (the recipient acting on its first step), for limits and the chart.
ALTER TABLE links ADD COLUMN last_used_at BIGINT;
ALTER TABLE links ADD COLUMN revoked_by TEXT;
CREATE TABLE link_uses (
    link_id TEXT   NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    at      BIGINT NOT NULL
);
CREATE INDEX link_uses_link ON link_uses (link_id, at);
