-- `captures` over the Parquet dataset, one row per (capture_id, run_id), ranked by
-- sql/rank_captures.sql as the loader's sql/merge_captures.sql.
SELECT * FROM read_parquet(getvariable('captures_files'), hive_partitioning = false, union_by_name = true)
QUALIFY row_number() OVER (
    PARTITION BY capture_id, run_id
    ORDER BY {{rank_captures}}
) = 1
