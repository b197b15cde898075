-- Failed sign-ins per client, shared by every instance on this database: an address's at one user
-- name (`address ADDRESS NAME`, an IPv6 address by its /64), or a known browser's (`device NONCE`,
-- from its device cookie). `sign_in_failures` keeps counting each name's failures, now only those
-- of clients without a device cookie for it.
CREATE TABLE sign_in_client_failures (
    client          TEXT   PRIMARY KEY,
    failures        BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL      -- Unix milliseconds
);
CREATE INDEX sign_in_client_failures_last ON sign_in_client_failures (last_failure_at);
