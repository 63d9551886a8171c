-- `newsarchive report`: share of each outlet's articles in which an optional field is filled.
WITH per_outlet AS (
    SELECT coalesce(publication, '(unknown)') AS publication,
           count(*) AS article_count,
           count(*) FILTER (WHERE len(authors) > 0) AS authors,
           count(published_at) AS published_at,
           count(published_offset_minutes) AS time_zone,
           count(language) AS language,
           count(section) AS section,
           count(description) AS description,
           count(*) FILTER (WHERE len(tags) > 0) AS tags,
           count(modified_at) AS modified_at,
           count(archive_url) AS archive_url
    FROM articles
    GROUP BY ALL
)
SELECT publication, field, filled, article_count, round(100.0 * filled / article_count, 1) AS percent
FROM per_outlet
UNPIVOT (filled FOR field IN (authors, published_at, time_zone, language, section, description, tags, modified_at, archive_url))
ORDER BY publication, field
