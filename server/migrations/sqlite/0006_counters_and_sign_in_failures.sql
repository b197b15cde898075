-- Starts per link and per day, one row each, bumped by upsert: a flood of starts adds no rows, and
-- the Shared links chart reads at most 14 rows per link. Existing starts are folded into days.
CREATE TABLE link_daily_uses (
    link_id TEXT   NOT NULL REFERENCES links (id) ON DELETE CASCADE,
    day     BIGINT NOT NULL,                 -- days since the Unix epoch (UTC)
    uses    BIGINT NOT NULL,
    PRIMARY KEY (link_id, day)
);
INSERT INTO link_daily_uses (link_id, day, uses)
    SELECT link_id, at / 86400000, COUNT(*) FROM link_uses GROUP BY link_id, at / 86400000;
DROP TABLE link_uses;

-- Failed sign-ins per user name (as typed, lower-cased), shared by every instance on this database.
CREATE TABLE sign_in_failures (
    name            TEXT   PRIMARY KEY,
    failures        BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL      -- Unix milliseconds
);
CREATE INDEX sign_in_failures_last ON sign_in_failures (last_failure_at);
