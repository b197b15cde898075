-- Bumped by every change that alters what links do (revocation, key regeneration, protection,
-- flow state). Each server instance polls it and clears its link cache when it moves, so a change
-- made through one instance holds on all of them within a fraction of a second.
CREATE TABLE cache_generation (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT  NOT NULL
);
INSERT INTO cache_generation (id, generation) VALUES (1, 0);
