-- `newsarchive report`: the sections with the most articles (ties by name).
SELECT section, count(*) AS article_count
FROM articles
WHERE section IS NOT NULL
GROUP BY ALL
ORDER BY article_count DESC, section
LIMIT 15
