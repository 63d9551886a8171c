-- The latest outcome of every capture in the captures Parquet dataset (the run ledger).
-- Latest = most recent recorded_at, then the latest run (run ids sort by start time).
SELECT capture_id, status, reason
FROM read_parquet(getvariable('captures_files'), hive_partitioning = false, union_by_name = true)
QUALIFY row_number() OVER (
    PARTITION BY capture_id
    ORDER BY recorded_at DESC NULLS LAST, run_id DESC
) = 1
