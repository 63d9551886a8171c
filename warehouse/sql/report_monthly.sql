-- `newsarchive report`: articles per month of publication per outlet (dated articles only;
-- the undated are counted in report_precision.sql).
SELECT coalesce(publication, '(unknown)') AS publication,
       strftime(date_trunc('month', published_at AT TIME ZONE 'UTC'), '%Y-%m') AS month,
       count(*) AS article_count
FROM articles
WHERE published_at IS NOT NULL
GROUP BY ALL
ORDER BY month, publication
