-- A link's id and its short code open it, and every admin reads the audit log: entries name a link
-- by its reference (the id's first 5 characters, `LinkRef`) from now on. Entries written before are
-- rewritten the same way, their search text with them (SET reads the row as it was).
UPDATE audit_log
SET detail = 'link ' || substr(detail, 6, 5) || '…',
    search_folded = replace(search_folded, lower(substr(detail, 6, 22)), lower(substr(detail, 6, 5)) || '…')
WHERE action = 'link.revoked' AND detail LIKE 'link %' AND length(detail) = 27;

-- ", short code {11 letters}" becomes ", shortened" (the letters are lower-case already).
UPDATE audit_log
SET detail = substr(detail, 1, strpos(detail, ', short code ') - 1) || ', shortened'
             || substr(detail, strpos(detail, ', short code ') + 24),
    search_folded = replace(search_folded, substr(detail, strpos(detail, ', short code '), 24), ', shortened')
WHERE action = 'link.generated' AND strpos(detail, ', short code ') > 0;
