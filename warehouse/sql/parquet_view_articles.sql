-- `articles` over the Parquet dataset (the fallback while a load holds the DuckDB file):
-- one row per article_id, ranked exactly as sql/merge_articles.sql ranks them.
SELECT * FROM read_parquet(getvariable('articles_files'), hive_partitioning = false, union_by_name = true)
QUALIFY row_number() OVER (
    PARTITION BY article_id
    ORDER BY captured_at ASC, extractor_version DESC, run_id ASC NULLS LAST, content_hash ASC, url ASC
) = 1
