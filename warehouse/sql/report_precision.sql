-- `newsarchive report`: how precise published_at is, from the column published_precision.
SELECT coalesce(published_precision, CASE WHEN published_at IS NULL THEN 'no date' ELSE 'unknown' END) AS precision,
       count(*) AS article_count
FROM articles
GROUP BY ALL
ORDER BY article_count DESC, precision
