-- `newsarchive report`: the most recently published articles (undated ones last).
SELECT title, coalesce(publication, '(unknown)') AS publication,
       strftime(published_at AT TIME ZONE 'UTC', '%Y-%m-%d') AS published,
       url, language
FROM articles
ORDER BY articles.published_at DESC NULLS LAST, article_id
LIMIT 25
