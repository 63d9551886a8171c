-- `newsarchive report`: the headline counts (one row). Captures count by their latest outcome.
WITH latest AS (
    SELECT status FROM captures
    QUALIFY row_number() OVER (PARTITION BY capture_id ORDER BY recorded_at DESC NULLS LAST, run_id DESC) = 1
)
SELECT (SELECT count(*) FROM articles) AS article_count,
       (SELECT count(DISTINCT publication) FROM articles) AS publication_count,
       (SELECT count(*) FROM latest) AS capture_count,
       (SELECT count(*) FROM latest WHERE status = 'rejected') AS rejection_count,
       (SELECT count(*) FROM runs) AS run_count,
       (SELECT min(published_at) FROM articles) AS earliest_published_at,
       (SELECT max(published_at) FROM articles) AS latest_published_at
