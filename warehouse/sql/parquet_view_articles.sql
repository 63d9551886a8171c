-- `articles` over the Parquet dataset (the fallback while a load holds the DuckDB file), read
-- through the Arrow dataset `parquet_articles` (warehouse/query.py registers it):
-- one row per article_id, ranked by sql/rank_articles.sql as the loader's sql/merge_articles.sql.
SELECT * FROM parquet_articles
QUALIFY row_number() OVER (
    PARTITION BY article_id
    ORDER BY {{rank_articles}}
) = 1
