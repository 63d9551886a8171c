-- Headline counts for `newsarchive stats`.
SELECT (SELECT count(*) FROM articles) AS article_count,
       (SELECT count(DISTINCT publication) FROM articles) AS publication_count,
       (SELECT count(DISTINCT author) FROM authors) AS author_count,
       (SELECT count(*) FROM articles WHERE published_at IS NULL) AS undated_count,
       (SELECT min(published_at) FROM articles) AS earliest_published_at,
       (SELECT max(published_at) FROM articles) AS latest_published_at,
       (SELECT count(DISTINCT capture_id) FROM captures) AS capture_count,
       (SELECT coalesce(sum(capture_count), 0) FROM rejections_by_reason) AS rejection_count,
       (SELECT count(*) FROM runs) AS run_count
