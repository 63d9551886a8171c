-- `runs` over the Parquet dataset, one row per run_id, ranked by sql/rank_runs.sql as the
-- loader's sql/merge_runs.sql.
SELECT * FROM parquet_runs
QUALIFY row_number() OVER (
    PARTITION BY run_id
    ORDER BY {{rank_runs}}
) = 1
