-- `captures` over the Parquet dataset, one row per (capture_id, run_id), ranked by
-- sql/rank_captures.sql as the loader's sql/merge_captures.sql.
SELECT * FROM parquet_captures
QUALIFY row_number() OVER (
    PARTITION BY capture_id, run_id
    ORDER BY {{rank_captures}}
) = 1
