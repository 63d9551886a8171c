-- Merge temp table `incoming` into `captures`: one row per (capture_id, run_id), i.e. one
-- outcome per capture per run. A run that recorded the same capture twice (a retried batch)
-- keeps its latest outcome; the remaining keys only make the order total.
CREATE OR REPLACE TEMP TABLE winners AS
SELECT * FROM (
    SELECT *, true AS is_incoming FROM incoming
    UNION ALL BY NAME
    SELECT c.*, false AS is_incoming FROM captures c
    SEMI JOIN incoming i ON c.capture_id = i.capture_id AND c.run_id = i.run_id
)
QUALIFY row_number() OVER (
    PARTITION BY capture_id, run_id
    ORDER BY recorded_at DESC NULLS LAST, status ASC, reason ASC NULLS FIRST, detail ASC NULLS FIRST,
             duration_ms ASC, is_incoming ASC
) = 1;

DELETE FROM winners WHERE NOT is_incoming;

DELETE FROM captures c USING winners w WHERE c.capture_id = w.capture_id AND c.run_id = w.run_id;

INSERT INTO captures BY NAME SELECT * EXCLUDE (is_incoming) FROM winners;
