-- Which row of a run_id wins, first wins; included by sql/merge_runs.sql and
-- sql/parquet_view_runs.sql. A run recorded again (its file rewritten) keeps the most complete
-- record: finished, with the most captures counted.
finished_at DESC NULLS LAST, new_article_count DESC NULLS LAST, capture_count DESC, article_count DESC
