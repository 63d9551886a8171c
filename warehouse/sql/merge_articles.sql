-- Merge the rows in temp table `incoming` into `articles`, one row per article_id.
--
-- Which capture wins: sql/rank_articles.sql (an existing row wins a tie with an incoming one).
-- Duplicates inside the batch are resolved by the same ranking before anything is written
-- (DuckDB would otherwise keep whichever row of a key came first in one statement).
--
-- Cost follows the batch: the keys already present are found first (a scan of the key
-- column only), and only their rows are read back.
CREATE OR REPLACE TEMP TABLE existing_keys AS
SELECT article_id FROM articles WHERE article_id IN (SELECT article_id FROM incoming);

CREATE OR REPLACE TEMP TABLE winners AS
SELECT * FROM (
    SELECT *, true AS is_incoming FROM incoming
    UNION ALL BY NAME
    SELECT *, false AS is_incoming FROM articles WHERE article_id IN (SELECT article_id FROM existing_keys)
)
QUALIFY row_number() OVER (
    PARTITION BY article_id
    ORDER BY {{rank_articles}}, is_incoming ASC
) = 1;

DELETE FROM winners WHERE NOT is_incoming;

DELETE FROM articles
WHERE article_id IN (SELECT article_id FROM existing_keys WHERE article_id IN (SELECT article_id FROM winners));

INSERT INTO articles BY NAME SELECT * EXCLUDE (is_incoming) FROM winners;

DROP TABLE existing_keys;
