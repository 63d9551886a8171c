-- Merge temp table `incoming` into `captures`: one row per (capture_id, run_id), i.e. one
-- outcome per capture per run. Which row wins: sql/rank_captures.sql (then the existing row).
CREATE OR REPLACE TEMP TABLE existing_keys AS
SELECT c.capture_id, c.run_id FROM captures AS c SEMI JOIN incoming AS i ON c.capture_id = i.capture_id AND c.run_id = i.run_id;

CREATE OR REPLACE TEMP TABLE winners AS
SELECT * FROM (
    SELECT *, true AS is_incoming FROM incoming
    UNION ALL BY NAME
    SELECT c.*, false AS is_incoming FROM captures AS c
    SEMI JOIN existing_keys AS k ON c.capture_id = k.capture_id AND c.run_id = k.run_id
)
QUALIFY row_number() OVER (
    PARTITION BY capture_id, run_id
    ORDER BY {{rank_captures}}, is_incoming ASC
) = 1;

DELETE FROM winners WHERE NOT is_incoming;

DELETE FROM captures AS c USING (SELECT k.* FROM existing_keys AS k SEMI JOIN winners AS w ON k.capture_id = w.capture_id AND k.run_id = w.run_id) AS r
WHERE c.capture_id = r.capture_id AND c.run_id = r.run_id;

INSERT INTO captures BY NAME SELECT * EXCLUDE (is_incoming) FROM winners;

DROP TABLE existing_keys;
