-- An application's link pages (app::domain::link_pages): the preview chat apps show under its
-- links, and what each ending of a link does. Keep in step with ../postgres/0013_link_pages.sql.

-- Empty: the flow's own name and description.
ALTER TABLE applications ADD COLUMN preview_title TEXT NOT NULL DEFAULT '';
ALTER TABLE applications ADD COLUMN preview_description TEXT NOT NULL DEFAULT '';
-- The preview image's name in preview_images; NULL: none.
ALTER TABLE applications ADD COLUMN preview_image TEXT;
-- The four endings as JSON (app::domain::link_pages::Endings); '' is Flowshare's own pages.
ALTER TABLE applications ADD COLUMN endings TEXT NOT NULL DEFAULT '';

-- Preview images by content: the name is the first 16 bytes of the SHA-256 of the bytes, in hex,
-- and the type's extension, so a served image never changes and is cached for good.
CREATE TABLE preview_images (
    name         TEXT    PRIMARY KEY,
    content_type TEXT    NOT NULL,
    bytes        BLOB    NOT NULL,
    created_at   BIGINT  NOT NULL
);
