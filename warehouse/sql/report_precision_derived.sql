-- `newsarchive report`: how precise published_at is, derived from the value itself (for a
-- warehouse without a published_precision column). What can be known: no date at all; a time
-- of exactly 00:00:00 in the page's own time zone (usually a date given without a time); a
-- time without seconds; a time with seconds. A page that gave 00:00 as its real time counts
-- as a date only; one that gave no time zone is read at UTC.
WITH local AS (
    SELECT CAST(published_at AT TIME ZONE 'UTC' AS TIMESTAMP)
           + to_minutes(coalesce(published_offset_minutes, 0)) AS t
    FROM articles
)
SELECT CASE
           WHEN t IS NULL THEN 'no date'
           WHEN CAST(t AS TIME) = TIME '00:00:00' THEN 'day (time 00:00)'
           WHEN second(t) = 0 AND microsecond(t) = 0 THEN 'minute'
           ELSE 'second'
       END AS precision,
       count(*) AS article_count
FROM local
GROUP BY ALL
ORDER BY article_count DESC, precision
