-- `newsarchive runs`: the runs, newest first. Runs recorded before the status column existed
-- completed (only completed runs were recorded then). ? = how many.
SELECT
    run_id,
    coalesce(status, 'completed') AS status,
    coalesce(source_name, source) AS source,
    started_at,
    round(duration_s, 1) AS duration_s,
    capture_count,
    article_count,
    rejection_count,
    new_article_count,
    error
FROM runs
ORDER BY started_at DESC, run_id DESC
LIMIT ?
