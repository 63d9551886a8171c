-- `newsarchive report`: the authors with the most articles (ties by name).
SELECT author, count(*) AS article_count
FROM (SELECT unnest(authors) AS author FROM articles)
GROUP BY ALL
ORDER BY article_count DESC, author
LIMIT 15
