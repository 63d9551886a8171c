-- `articles` over the Parquet dataset (the fallback while a load holds the DuckDB file):
-- one row per article_id, ranked by sql/rank_articles.sql as the loader's sql/merge_articles.sql.
SELECT * FROM read_parquet(getvariable('articles_files'), hive_partitioning = false, union_by_name = true)
QUALIFY row_number() OVER (
    PARTITION BY article_id
    ORDER BY {{rank_articles}}
) = 1
