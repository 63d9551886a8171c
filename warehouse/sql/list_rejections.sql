-- `newsarchive rejections`: captures whose latest outcome is a rejection, newest first.
-- ?1 = reason or NULL (every reason), ?2 = run_id or NULL (every run), ?3 = how many.
SELECT reason, detail, url, captured_at, http_status, run_id
FROM captures
WHERE status = 'rejected'
    AND ($1::VARCHAR IS NULL OR reason = $1)
    AND ($2::VARCHAR IS NULL OR run_id = $2)
ORDER BY recorded_at DESC, url, captured_at
LIMIT $3
