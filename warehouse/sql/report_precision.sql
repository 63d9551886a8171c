-- `newsarchive report`: how precise published_at is, from the column published_precision
-- (day, month, year). Rows written before that column existed have it null: for those the
-- precision is derived from the value as in report_precision_derived.sql, marked "(derived)".
WITH local AS (
    SELECT published_at, published_precision,
           CAST(published_at AT TIME ZONE 'UTC' AS TIMESTAMP) + to_minutes(coalesce(published_offset_minutes, 0)) AS t
    FROM articles
)
SELECT CASE
           WHEN published_at IS NULL THEN 'no date'
           WHEN published_precision IS NOT NULL THEN published_precision
           WHEN CAST(t AS TIME) = TIME '00:00:00' THEN 'day (time 00:00, derived)'
           WHEN second(t) = 0 AND microsecond(t) = 0 THEN 'minute (derived)'
           ELSE 'second (derived)'
       END AS precision,
       count(*) AS article_count
FROM local
GROUP BY ALL
ORDER BY article_count DESC, precision
