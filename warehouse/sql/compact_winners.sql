-- `compact`: the current row of every article in the articles Parquet dataset (the row the
-- loader keeps, sql/rank_articles.sql), as a key, and the files that hold any other row: a
-- superseded one (reprocess wrote a newer extraction, a later run an earlier capture) or an
-- exact copy. compact rewrites those files keeping only current rows.
CREATE OR REPLACE TEMP TABLE article_rows AS
SELECT filename,
       md5(concat_ws('|', article_id, CAST(captured_at AS VARCHAR), extractor_version, coalesce(run_id, ''), content_hash, url)) AS row_key,
       row_number() OVER (PARTITION BY article_id ORDER BY {{rank_articles}}, filename) AS rank
FROM read_parquet(getvariable('article_files'), hive_partitioning = false, union_by_name = true, filename = true);

CREATE OR REPLACE TEMP TABLE current_rows AS SELECT DISTINCT row_key FROM article_rows WHERE rank = 1;

CREATE OR REPLACE TEMP TABLE files_to_rewrite AS SELECT DISTINCT filename FROM article_rows WHERE rank > 1;
