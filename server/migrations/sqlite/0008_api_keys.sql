-- API keys: how systems make links without a console login. The secret is shown once, when the
-- key is made; only its SHA-256 is kept. A key is found by the prefix its secret starts with.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY,
    name         TEXT   NOT NULL,
    prefix       TEXT   NOT NULL UNIQUE,         -- the 8 characters after "fsk_": listed, looked up
    secret_hash  TEXT   NOT NULL,                -- SHA-256 of the whole secret, base64url
    scopes       TEXT   NOT NULL,                -- scope names, space-separated (links:create …)
    applications TEXT   NOT NULL,                -- application slugs it is limited to, space-separated; empty: all
    created_at   BIGINT NOT NULL,                -- Unix milliseconds
    created_by   TEXT   NOT NULL,
    expires_at   BIGINT,                         -- Unix milliseconds; NULL: never
    last_used_at BIGINT,
    revoked_at   BIGINT
);
