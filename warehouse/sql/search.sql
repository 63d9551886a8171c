-- Search macros (need the FTS index, so they live in the warehouse, not in the Parquet views).
--   SELECT * FROM search('harbour flood', max_rows := 5, in_publication := 'the harbour gazette',
--                        published_from := DATE '2010-01-01', published_to := DATE '2010-12-31');
--   SELECT * FROM search('москве', in_language := 'ru');
-- in_publication matches case-insensitively; in_language (ISO 639-1) keeps the articles in that
-- language and stems the query with its stemmer only. Without it, each query word is stemmed
-- with every stemmer (sql/search_stemmers.sql): an article matches on its own language's stem.

-- The Snowball stemmer of an ISO 639-1 code, as the index used it (sql/search_stemmer.sql).
CREATE OR REPLACE MACRO search_stemmer(language) AS {{search_stemmer}};

-- Position (1-based) of the first query word in body, 1 when none occurs literally
-- (a stemmed match such as 'elections' for 'election' still finds the stem).
CREATE OR REPLACE MACRO first_match_position(body, query_string, language := NULL) AS
    coalesce(
        list_min(list_filter(
            list_transform(
                list_filter(fts_main_articles.tokenize(query_string), t -> len(t) > 0),
                t -> instr(lower(strip_accents(body)), stem(t, search_stemmer(language)))
            ),
            p -> p > 0
        )),
        1
    );

-- Articles matching query_string, best BM25 score (title + text) first, with a snippet.
-- Scores equal fts_main_articles.match_bm25(article_id, query_string) (k = 1.2, b = 0.75), but are
-- computed from the query's terms outward instead of once per article, which is what keeps
-- a search fast on a large warehouse.
CREATE OR REPLACE MACRO search(query_string, max_rows := 10, in_publication := NULL, published_from := NULL, published_to := NULL, in_language := NULL) AS TABLE
WITH query_words AS (
    SELECT unnest(fts_main_articles.tokenize(query_string)) AS w
),
query_stemmers AS (
    SELECT unnest(CASE WHEN in_language IS NULL THEN {{search_stemmers}} ELSE [search_stemmer(in_language)] END) AS stemmer
),
query_terms AS (
    SELECT DISTINCT stem(w, stemmer) AS term FROM query_words, query_stemmers WHERE len(w) > 0
),
matched_terms AS (
    SELECT d.termid, d.df FROM fts_main_articles.dict AS d JOIN query_terms AS q ON d.term = q.term
),
term_frequencies AS (
    SELECT t.docid, t.termid, count(*) AS tf
    FROM fts_main_articles.terms AS t
    WHERE t.termid IN (SELECT termid FROM matched_terms)
    GROUP BY t.docid, t.termid
),
scores AS (
    SELECT docs.name AS article_id,
           sum(
               log(((SELECT num_docs FROM fts_main_articles.stats) - m.df + 0.5) / (m.df + 0.5) + 1)
               * ((f.tf * (1.2 + 1)) / (f.tf + 1.2 * (1 - 0.75 + 0.75 * (docs.len / (SELECT avgdl FROM fts_main_articles.stats)))))
           ) AS score
    FROM term_frequencies AS f
    JOIN matched_terms AS m ON m.termid = f.termid
    JOIN fts_main_articles.docs AS docs ON docs.docid = f.docid
    GROUP BY docs.name
),
unfiltered_top AS (
    SELECT article_id, score FROM scores
    WHERE in_publication IS NULL AND published_from IS NULL AND published_to IS NULL AND in_language IS NULL
    ORDER BY score DESC, article_id
    LIMIT max_rows
),
filtered_top AS (
    SELECT s.article_id, s.score
    FROM scores AS s JOIN articles AS a ON a.article_id = s.article_id
    WHERE NOT (in_publication IS NULL AND published_from IS NULL AND published_to IS NULL AND in_language IS NULL)
      AND (in_publication IS NULL OR lower(a.publication) = lower(in_publication))
      AND (in_language IS NULL OR lower(a.language) = lower(in_language))
      AND (published_from IS NULL OR a.published_at >= CAST(published_from AS TIMESTAMPTZ))
      AND (published_to IS NULL OR a.published_at < CAST(published_to AS TIMESTAMPTZ) + INTERVAL 1 DAY)
    ORDER BY s.score DESC, s.article_id
    LIMIT max_rows
),
-- One branch is empty; when the filters are left at their defaults (NULL constants) the
-- planner drops the filtered branch, so an unfiltered search reads no articles column but
-- article_id (below).
top AS (
    SELECT * FROM unfiltered_top UNION ALL SELECT * FROM filtered_top
),
-- articles has no index (DuckDB rewrites an ART index whole at every checkpoint, so it would
-- make every load cost more as the table grows). A join on article_id would read every
-- column of every row (text too: 550 ms at 210k); so the hits' row ids are found from the
-- article_id column alone, and the join on rowid reads only the blocks holding those rows.
-- rowid is only used within this one statement, where it is stable.
top_rows AS (
    SELECT a.rowid AS article_row, top.score FROM top JOIN articles AS a ON a.article_id = top.article_id
),
-- Materialized so the match position is computed once per hit: the snippet macro uses it three
-- times, and inlined it would be computed three times (9 ms of a 29 ms search at 250k).
hits AS MATERIALIZED (
    SELECT t.score, a.title, a.publication, a.published_at, a.url, a.text, a.article_id,
           first_match_position(a.text, query_string, language := a.language) AS match_at
    FROM top_rows AS t JOIN articles AS a ON a.rowid = t.article_row
)
SELECT round(score, 4) AS score, title, publication, published_at, url, snippet(text, match_at) AS snippet, article_id
FROM hits
ORDER BY score DESC, article_id;
