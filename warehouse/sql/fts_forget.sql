-- Incremental FTS maintenance, step 1: remove the index entries of articles that a load
-- replaced (temp table `fts_changed(article_id)`). Mirrors the tables the fts extension's
-- create_fts_index builds (docs, terms, dict, stats in schema fts_main_articles);
-- tests/warehouse/test_search.py checks the result equals a full rebuild.
CREATE OR REPLACE TEMP TABLE fts_old_docs AS
SELECT docid FROM fts_main_articles.docs WHERE name IN (SELECT article_id FROM fts_changed);

UPDATE fts_main_articles.dict AS d
SET df = d.df - o.doc_count
FROM (
    SELECT termid, count(DISTINCT docid) AS doc_count
    FROM fts_main_articles.terms
    WHERE docid IN (SELECT docid FROM fts_old_docs)
    GROUP BY termid
) AS o
WHERE d.termid = o.termid;

DELETE FROM fts_main_articles.dict WHERE df <= 0;

DELETE FROM fts_main_articles.terms WHERE docid IN (SELECT docid FROM fts_old_docs);

DELETE FROM fts_main_articles.docs WHERE docid IN (SELECT docid FROM fts_old_docs);

DROP TABLE fts_old_docs;

-- BM25 statistics for the remaining documents (sql/fts_add.sql refreshes them again after adding).
DELETE FROM fts_main_articles.stats;

INSERT INTO fts_main_articles.stats
SELECT count(docid) AS num_docs, sum(len) / count(len) AS avgdl FROM fts_main_articles.docs;
