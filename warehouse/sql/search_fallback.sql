-- The search macros for the Parquet fallback (no FTS index there: a load holds the warehouse).
-- Same names and columns as sql/search.sql; the score is a plain term count (title words
-- count three times), not BM25, and words are matched literally, without stemming.

CREATE OR REPLACE MACRO query_words(query_string) AS
    list_filter(string_split_regex(regexp_replace(lower(strip_accents(query_string)), '[^\p{L}\p{N}]+', ' ', 'g'), '\s+'), t -> len(t) > 0);

CREATE OR REPLACE MACRO first_match_position(body, query_string) AS
    coalesce(list_min(list_filter(list_transform(query_words(query_string), t -> instr(lower(strip_accents(body)), t)), p -> p > 0)), 1);

CREATE OR REPLACE MACRO search(query_string, max_rows := 10, in_publication := NULL, published_from := NULL, published_to := NULL, in_language := NULL) AS TABLE
WITH scored AS (
    SELECT article_id,
           list_sum(list_transform(query_words(query_string),
               t -> 3 * (length(lower(strip_accents(a.title))) - length(replace(lower(strip_accents(a.title)), t, ''))) // length(t)
                    + (length(lower(strip_accents(a.text))) - length(replace(lower(strip_accents(a.text)), t, ''))) // length(t)
           )) AS score
    FROM articles AS a
    WHERE (in_publication IS NULL OR lower(a.publication) = lower(in_publication))
      AND (in_language IS NULL OR lower(a.language) = lower(in_language))
      AND (published_from IS NULL OR a.published_at >= CAST(published_from AS TIMESTAMPTZ))
      AND (published_to IS NULL OR a.published_at < CAST(published_to AS TIMESTAMPTZ) + INTERVAL 1 DAY)
),
top AS (
    SELECT article_id, score FROM scored WHERE score > 0 ORDER BY score DESC, article_id LIMIT max_rows
)
SELECT CAST(top.score AS DOUBLE) AS score, a.title, a.publication, a.published_at, a.url,
       snippet(a.text, first_match_position(a.text, query_string)) AS snippet, a.article_id
FROM top JOIN articles AS a USING (article_id)
ORDER BY top.score DESC, a.article_id;
