-- Which row of an article_id wins: the ORDER BY of a row_number() over its rows, first wins.
-- Included by sql/merge_articles.sql (the loader) and sql/parquet_view_articles.sql (the
-- Parquet views), so the warehouse and the fallback pick the same row. The rule is the same
-- whatever order the files are loaded in, so a rebuild from Parquet equals the incremental result:
--   1. the earliest captured_at: the version closest to publication, before later edits,
--      paywalls or redesigns;
--   2. then the newest extractor_version: re-extraction of the same capture replaces the row;
--   3. then the earliest run_id (run ids sort by start time), content_hash, url: a total order.
captured_at ASC, extractor_version DESC, run_id ASC NULLS LAST, content_hash ASC, url ASC
