-- `runs` over the Parquet dataset, one row per run_id as in sql/merge_runs.sql.
SELECT * FROM read_parquet(getvariable('runs_files'), hive_partitioning = false, union_by_name = true)
QUALIFY row_number() OVER (
    PARTITION BY run_id
    ORDER BY finished_at DESC NULLS LAST, new_article_count DESC NULLS LAST, capture_count DESC, article_count DESC
) = 1
