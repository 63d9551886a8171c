-- `captures` over the Parquet dataset, one row per (capture_id, run_id) as in sql/merge_captures.sql.
SELECT * FROM read_parquet(getvariable('captures_files'), hive_partitioning = false, union_by_name = true)
QUALIFY row_number() OVER (
    PARTITION BY capture_id, run_id
    ORDER BY recorded_at DESC NULLS LAST, status ASC, reason ASC NULLS FIRST, detail ASC NULLS FIRST, duration_ms ASC
) = 1
