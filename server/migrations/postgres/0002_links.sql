-- Every generated link, so each can be listed, counted, revoked and killed by key regeneration.
CREATE TABLE links (
    id                  TEXT    PRIMARY KEY,             -- 128 random bits, base64url; part of the URL
    flow_id             BIGINT  NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
    application_id      BIGINT  NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    created_by          TEXT    NOT NULL,
    created_at          BIGINT  NOT NULL,
    params              TEXT    NOT NULL,                -- name=value&… with values percent-encoded once
    protected           BOOLEAN NOT NULL,
    validate_params     BOOLEAN NOT NULL,
    short_code          TEXT    UNIQUE,
    key_version         BIGINT  NOT NULL,
    expires_at          BIGINT,                          -- Unix seconds; NULL: never
    allowed_invocations BIGINT,                          -- NULL: unlimited
    invocations         BIGINT  NOT NULL DEFAULT 0,
    revoked_at          BIGINT,
    url                 TEXT    NOT NULL
);
CREATE INDEX links_flow ON links (flow_id, created_at);
