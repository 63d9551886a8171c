-- Incremental FTS maintenance, step 2: index the current rows of the articles in temp table
-- `fts_changed(article_id)` as create_fts_index would (sql/fts.sql): same tokens, fields
-- title (0) and text (1), but each article stemmed with its language's Snowball stemmer
-- (sql/search_stemmer.sql; 'none' for other languages) and the English stopwords dropped from
-- English articles only; then refresh the document-frequency and length statistics BM25
-- reads. Also used for full rebuilds (on an empty index). For a warehouse of English
-- articles the index equals create_fts_index's (tests/warehouse/test_search.py).
--
-- Tokens: splitting on runs of the `ignore` pattern equals the extension's tokenize macro
-- (replace the pattern by ' ', split on whitespace) because that pattern covers all
-- whitespace; it is one regex pass instead of two. Each distinct (word, stemmer) is stemmed once.
-- tests/warehouse/test_search.py checks the result equals create_fts_index's.
--
-- Cost follows the changed articles: their row ids come from the article_id column alone
-- (articles has no index), and the join on rowid reads only the blocks holding those rows
-- (new and replaced rows sit together at the end of the table).
CREATE OR REPLACE TEMP TABLE fts_new_docs AS
WITH changed_rows AS (
    SELECT a.rowid AS article_row FROM articles AS a SEMI JOIN fts_changed AS c ON a.article_id = c.article_id
)
SELECT (SELECT coalesce(max(docid), -1) FROM fts_main_articles.docs) + row_number() OVER (ORDER BY a.article_id) AS docid,
       a.article_id AS name, a.title, a.text
FROM changed_rows AS r JOIN articles AS a ON a.rowid = r.article_row;

-- Each new document's stemmer, as its position in sql/search_stemmers.sql (one byte: the tokens
-- carry it). A statement of its own: the language column in the statement above made a load
-- capped at 24 MB run out of memory (DuckDB 1.5.5).
CREATE OR REPLACE TEMP TABLE fts_new_stemmers AS
SELECT n.docid, CAST(list_position({{search_stemmers}}, {{search_stemmer}}) AS UTINYINT) AS stemmer
FROM fts_new_docs AS n JOIN articles AS a ON a.article_id = n.name;

CREATE OR REPLACE TEMP TABLE fts_new_tokens AS
SELECT w, stemmer, docid, fieldid
FROM fts_new_stemmers JOIN (
    SELECT unnest(regexp_split_to_array(lower(strip_accents(title)), '[^\p{L}\p{N}]+')) AS w, docid,
           (SELECT fieldid FROM fts_main_articles.fields WHERE field = 'title') AS fieldid
    FROM fts_new_docs
    UNION ALL
    SELECT unnest(regexp_split_to_array(lower(strip_accents(text)), '[^\p{L}\p{N}]+')) AS w, docid,
           (SELECT fieldid FROM fts_main_articles.fields WHERE field = 'text') AS fieldid
    FROM fts_new_docs
) USING (docid)
WHERE len(w) > 0;

DROP TABLE fts_new_stemmers;

CREATE OR REPLACE TEMP TABLE fts_new_stems AS
SELECT w, stemmer, stem(w, {{search_stemmers}}[stemmer]) AS term
FROM (SELECT DISTINCT w, stemmer FROM fts_new_tokens)
WHERE {{search_stemmers}}[stemmer] <> 'english' OR w NOT IN (SELECT sw FROM fts_main_articles.stopwords);

CREATE OR REPLACE TEMP TABLE fts_new_terms AS
SELECT s.term, t.docid, t.fieldid
FROM fts_new_tokens AS t JOIN fts_new_stems AS s USING (w, stemmer);

DROP TABLE fts_new_tokens;

DROP TABLE fts_new_stems;

CREATE OR REPLACE TEMP TABLE fts_new_df AS
SELECT term, count(DISTINCT docid) AS doc_count FROM fts_new_terms GROUP BY term;

UPDATE fts_main_articles.dict AS d
SET df = d.df + n.doc_count
FROM fts_new_df AS n
WHERE d.term = n.term;

INSERT INTO fts_main_articles.dict (termid, term, df)
SELECT (SELECT coalesce(max(termid), -1) FROM fts_main_articles.dict) + row_number() OVER (ORDER BY n.term), n.term, n.doc_count
FROM fts_new_df AS n
ANTI JOIN fts_main_articles.dict AS d ON d.term = n.term;

DROP TABLE fts_new_df;

-- Sorted by termid, so a search's scan of `terms` skips row groups by their min/max.
INSERT INTO fts_main_articles.terms (docid, fieldid, termid)
SELECT t.docid, t.fieldid, d.termid
FROM fts_new_terms AS t JOIN fts_main_articles.dict AS d ON d.term = t.term
ORDER BY d.termid;

-- Keep this form: a LEFT JOIN to lengths counted per docid first was faster (0.26 -> 0.02 s per
-- 10k) but, past one row group (122,880 rows), DuckDB 1.5.5 did not show the inserted rows to
-- the rest of the transaction, so the statistics below came out empty (tests/warehouse/
-- test_search.py: test_rebuild_past_one_row_group_keeps_bm25_statistics).
INSERT INTO fts_main_articles.docs (docid, name, len)
SELECT n.docid, n.name, count(t.term)
FROM fts_new_docs AS n LEFT JOIN fts_new_terms AS t ON t.docid = n.docid
GROUP BY n.docid, n.name;

DELETE FROM fts_main_articles.stats;

INSERT INTO fts_main_articles.stats
SELECT count(docid) AS num_docs, sum(len) / count(len) AS avgdl FROM fts_main_articles.docs;

DROP TABLE fts_new_docs;

DROP TABLE fts_new_terms;
