-- Answers to API calls sent with an Idempotency-Key, per API key, so a retried call gets the first
-- answer and never makes a second link. A row is written (status 0) before the work starts, so
-- two racing retries cannot both do it; it is filled in with the answer when the work is done.
-- Rows go after a day (retention).
CREATE TABLE api_idempotency (
    key_id          BIGINT NOT NULL REFERENCES api_keys (id) ON DELETE CASCADE,
    idempotency_key TEXT   NOT NULL,
    request_hash    TEXT   NOT NULL,             -- SHA-256 of method, path, query and body
    status          BIGINT NOT NULL,             -- 0 while the first call is still being answered
    body            TEXT   NOT NULL,
    created_at      BIGINT NOT NULL,             -- Unix milliseconds
    PRIMARY KEY (key_id, idempotency_key)
);
CREATE INDEX api_idempotency_created ON api_idempotency (created_at);
