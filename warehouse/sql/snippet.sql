-- About `width` characters of body around `match_at` (where the first match is), on one line, '…' where
-- cut. Shared by the BM25 search (search.sql) and the Parquet fallback (search_fallback.sql),
-- which each define first_match_position for their own tokenizing.
CREATE OR REPLACE MACRO snippet(body, match_at, width := 160) AS
    (CASE WHEN greatest(match_at - width // 4, 1) > 1 THEN '…' ELSE '' END)
    || regexp_replace(substring(body, greatest(match_at - width // 4, 1), width), '\s+', ' ', 'g')
    || (CASE WHEN greatest(match_at - width // 4, 1) + width <= length(body) THEN '…' ELSE '' END);
