-- Merge temp table `incoming` into `runs`: one row per run_id. Which row wins:
-- sql/rank_runs.sql (then the incoming row: a run recorded again replaces its old record).
CREATE OR REPLACE TEMP TABLE winners AS
SELECT * FROM (
    SELECT *, true AS is_incoming FROM incoming
    UNION ALL BY NAME
    SELECT *, false AS is_incoming FROM runs WHERE run_id IN (SELECT run_id FROM incoming)
)
QUALIFY row_number() OVER (
    PARTITION BY run_id
    ORDER BY {{rank_runs}}, is_incoming DESC
) = 1;

DELETE FROM winners WHERE NOT is_incoming;

DELETE FROM runs WHERE run_id IN (SELECT run_id FROM winners);

INSERT INTO runs BY NAME SELECT * EXCLUDE (is_incoming) FROM winners;
