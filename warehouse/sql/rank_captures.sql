-- Which row of a (capture_id, run_id) wins, first wins; included by sql/merge_captures.sql and
-- sql/parquet_view_captures.sql. A run that recorded the same capture twice (a retried batch)
-- keeps its latest outcome; the remaining keys only make the order total.
recorded_at DESC NULLS LAST, status ASC, reason ASC NULLS FIRST, detail ASC NULLS FIRST, duration_ms ASC
