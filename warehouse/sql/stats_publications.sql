-- Articles per publication with their date range, largest first.
SELECT coalesce(publication, '(unknown)') AS publication,
       count(*) AS article_count,
       min(published_at) AS earliest_published_at,
       max(published_at) AS latest_published_at
FROM articles
GROUP BY ALL
ORDER BY article_count DESC, publication
