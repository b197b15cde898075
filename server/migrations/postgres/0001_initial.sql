-- Flowshare's schema for PostgreSQL. Times are milliseconds since the Unix epoch (UTC).
-- Keep in step with ../sqlite/0001_initial.sql: the store runs the same queries on both.

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'publisher', 'viewer')),
    password_hash TEXT    NOT NULL,
    created_at    BIGINT  NOT NULL
);

-- Only a keyed hash of each session token is stored: a copied database opens no sessions.
CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE flows (
    id          BIGSERIAL PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    -- Lower-cased name, for case-insensitive substring search that behaves the same on both engines.
    name_folded TEXT    NOT NULL,
    flow_type   TEXT    NOT NULL CHECK (flow_type IN ('interaction', 'inbound_call', 'inbound_chat', 'bot', 'survey')),
    publication TEXT    NOT NULL CHECK (publication IN ('draft', 'published')),
    approval    TEXT    NOT NULL CHECK (approval IN ('pending', 'approved', 'rejected')),
    version     BIGINT  NOT NULL DEFAULT 1,
    description TEXT    NOT NULL DEFAULT '',
    definition  TEXT    NOT NULL,
    step_count  BIGINT  NOT NULL,
    created_at  BIGINT  NOT NULL,
    created_by  TEXT    NOT NULL,
    updated_at  BIGINT  NOT NULL,
    updated_by  TEXT    NOT NULL
);
-- Covers name_folded so a search sorted by date tests names inside the index, without a row fetch per flow.
CREATE INDEX flows_updated ON flows (updated_at, id, name_folded);
CREATE INDEX flows_name ON flows (name_folded, id);

CREATE TABLE applications (
    id            BIGSERIAL PRIMARY KEY,
    slug          TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('web_page', 'widget')),
    base_url      TEXT    NOT NULL,
    -- Allowed embed origins, one per line (empty for web-page applications).
    embed_origins TEXT    NOT NULL DEFAULT '',
    -- 256 bits from the OS CSPRNG; never leaves the server.
    secret_key    BYTEA   NOT NULL,
    key_version   BIGINT  NOT NULL DEFAULT 1,
    created_at    BIGINT  NOT NULL,
    rotated_at    BIGINT  NOT NULL
);

-- Which applications a flow is available to, and that pair's access protection.
CREATE TABLE flow_applications (
    flow_id             BIGINT  NOT NULL REFERENCES flows (id) ON DELETE CASCADE,
    application_id      BIGINT  NOT NULL REFERENCES applications (id) ON DELETE CASCADE,
    protected           BOOLEAN NOT NULL DEFAULT FALSE,
    allowed_invocations BIGINT,
    expiry_amount       BIGINT,
    expiry_unit         TEXT CHECK (expiry_unit IN ('minutes', 'hours', 'days', 'weeks')),
    validate_params     BOOLEAN NOT NULL DEFAULT TRUE,
    PRIMARY KEY (flow_id, application_id),
    CHECK ((expiry_amount IS NULL) = (expiry_unit IS NULL))
);
CREATE INDEX flow_applications_application ON flow_applications (application_id);
