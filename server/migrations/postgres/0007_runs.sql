-- Recipients' runs through flows, walked on the server. A run is created, in the same transaction
-- that counts its link's start, on the recipient's first action; each later move is one read by
-- token and one conditional write (on `moves`, so a replayed or racing post changes nothing).
CREATE TABLE runs (
    id          BIGSERIAL PRIMARY KEY,
    token_hash  TEXT    NOT NULL UNIQUE,         -- SHA-256 of the bearer token, base64url; the token itself is never stored
    link_id     TEXT    NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    flow_id     BIGINT NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
    started_at  BIGINT  NOT NULL,                -- Unix milliseconds
    updated_at  BIGINT  NOT NULL,                -- the last move; 24 hours later the run is over
    finished_at BIGINT,                          -- when it first reached an end step; NULL: never
    moves       BIGINT  NOT NULL,
    state       TEXT    NOT NULL,                -- JSON: the path from the start and the answers on it
    params      TEXT    NOT NULL                 -- JSON: the link's parameters, the run's first variables
);
CREATE INDEX runs_flow ON runs (flow_id, id);
CREATE INDEX runs_link ON runs (link_id, id);
CREATE INDEX runs_started ON runs (started_at);

-- Days to keep an application's runs (recipients' answers) after their last move; NULL keeps them.
ALTER TABLE applications ADD COLUMN run_retention_days BIGINT;
