-- `newsarchive report`: the latest runs, oldest first, with their durations.
SELECT * FROM (
    SELECT run_id, source, coalesce(status, 'completed') AS status,
           strftime(started_at AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M:%S') AS started_at,
           round(duration_s, 1) AS duration_s, capture_count, article_count, rejection_count
    FROM runs
    ORDER BY runs.started_at DESC, run_id DESC
    LIMIT 50
)
ORDER BY started_at, run_id
