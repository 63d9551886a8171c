-- `newsarchive report`: captures whose latest outcome is a rejection, by reason.
WITH latest AS (
    SELECT status, reason FROM captures
    QUALIFY row_number() OVER (PARTITION BY capture_id ORDER BY recorded_at DESC NULLS LAST, run_id DESC) = 1
)
SELECT coalesce(reason, '(none)') AS reason, count(*) AS capture_count
FROM latest
WHERE status = 'rejected'
GROUP BY ALL
ORDER BY capture_count DESC, reason
