-- The reviewer's comment on a flow's last approval decision.
ALTER TABLE flows ADD COLUMN review_comment TEXT NOT NULL DEFAULT '';

-- Who did what, written in the same transaction as the change it records. Newest first.
CREATE TABLE audit_log (
    id            BIGSERIAL PRIMARY KEY,
    at            BIGINT  NOT NULL,
    actor         TEXT    NOT NULL,
    action        TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    detail        TEXT    NOT NULL DEFAULT '',
    -- Lower-cased actor, action, subject and detail, for case-insensitive search on both engines.
    search_folded TEXT    NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at, id);
