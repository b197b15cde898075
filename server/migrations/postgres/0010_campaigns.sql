-- Campaigns: saved share presets (flow, application, fixed URL parameters, Protect URL, Shorten URL)
-- that systems and bulk uploads make links from. Each link made for a campaign is a new link of its
-- own; links remember the campaign they were made for, and keep working if it is deleted.
CREATE TABLE campaigns (
    id             BIGSERIAL PRIMARY KEY,
    slug           TEXT    NOT NULL UNIQUE,
    name           TEXT    NOT NULL,
    flow_id        BIGINT  NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
    application_id BIGINT  NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    params         TEXT    NOT NULL,                -- name=value&… with values percent-encoded once
    protect        BOOLEAN NOT NULL,
    shorten        BOOLEAN NOT NULL,
    created_by     TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL                 -- Unix milliseconds
);
CREATE INDEX campaigns_flow ON campaigns (flow_id, slug);

ALTER TABLE links ADD COLUMN campaign_id BIGINT REFERENCES campaigns (id) ON DELETE SET NULL;
CREATE INDEX links_campaign ON links (campaign_id, created_at);
-- Listing links through the API walks them newest first.
CREATE INDEX links_created ON links (created_at, id);
