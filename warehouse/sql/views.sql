-- Views and macros for the questions everyone asks. Recreated after every load (cheap), so
-- they always match the tables; their comments follow in the same file.

CREATE OR REPLACE VIEW articles_by_month AS
SELECT publication,
       CAST(date_trunc('month', published_at) AS DATE) AS month,
       count(*) AS article_count,
       sum(word_count) AS word_count,
       count(DISTINCT domain) AS domain_count
FROM articles
GROUP BY ALL
ORDER BY publication, month NULLS LAST;

COMMENT ON VIEW articles_by_month IS 'Articles per publication per month of publication (month is NULL for undated articles).';
COMMENT ON COLUMN articles_by_month.publication IS 'Outlet name (NULL when unknown).';
COMMENT ON COLUMN articles_by_month.month IS 'First day of the month of published_at (UTC); NULL for articles without a publication date.';
COMMENT ON COLUMN articles_by_month.article_count IS 'Number of articles.';
COMMENT ON COLUMN articles_by_month.word_count IS 'Total words in those articles.';
COMMENT ON COLUMN articles_by_month.domain_count IS 'Distinct registered domains the articles came from.';

CREATE OR REPLACE VIEW authors AS
SELECT article_id,
       unnest(authors) AS author,
       generate_subscripts(authors, 1) AS position,
       publication,
       published_at,
       title,
       url
FROM articles;

COMMENT ON VIEW authors IS 'One row per article and author (articles without authors do not appear).';
COMMENT ON COLUMN authors.article_id IS 'The article (join to articles.article_id).';
COMMENT ON COLUMN authors.author IS 'A clean person name from the byline.';
COMMENT ON COLUMN authors.position IS 'Position of the author in the byline, from 1.';
COMMENT ON COLUMN authors.publication IS 'Outlet name of the article.';
COMMENT ON COLUMN authors.published_at IS 'Publication time of the article, UTC.';
COMMENT ON COLUMN authors.title IS 'Headline of the article.';
COMMENT ON COLUMN authors.url IS 'Canonical URL of the article.';

-- field_coverage is generated from warehouse/schema.py (db.field_coverage_sql), so it always
-- lists every column of articles.

-- The latest outcome of each capture counts, so a timeout later fetched successfully is not a rejection.
CREATE OR REPLACE VIEW rejections_by_reason AS
WITH latest AS (
    SELECT * FROM captures
    QUALIFY row_number() OVER (PARTITION BY capture_id ORDER BY recorded_at DESC NULLS LAST, run_id DESC) = 1
)
SELECT reason,
       count(*) AS capture_count,
       round(100.0 * count(*) / (SELECT count(*) FROM latest), 1) AS capture_percent,
       min(url) AS example_url,
       max(recorded_at) AS last_recorded_at
FROM latest
WHERE status = 'rejected'
GROUP BY reason
ORDER BY capture_count DESC, reason;

COMMENT ON VIEW rejections_by_reason IS 'Captures whose latest outcome is a rejection, counted by reason.';
COMMENT ON COLUMN rejections_by_reason.reason IS 'Machine-readable rejection reason (http_404, not_html, timeout, ...).';
COMMENT ON COLUMN rejections_by_reason.capture_count IS 'Captures rejected for this reason (latest outcome per capture).';
COMMENT ON COLUMN rejections_by_reason.capture_percent IS 'capture_count as a percentage of all captures.';
COMMENT ON COLUMN rejections_by_reason.example_url IS 'One URL rejected for this reason (the smallest, for stable output).';
COMMENT ON COLUMN rejections_by_reason.last_recorded_at IS 'When this reason was last recorded, UTC.';

COMMENT ON TABLE loads IS 'The loads ledger: one row per Parquet file loaded into this warehouse.';
COMMENT ON COLUMN loads.file IS 'Path of the Parquet file, relative to the data directory.';
COMMENT ON COLUMN loads.dataset IS 'Which dataset the file belongs to: articles, captures or runs.';
COMMENT ON COLUMN loads.row_count IS 'Rows in the file.';
COMMENT ON COLUMN loads.byte_count IS 'Size of the file in bytes when loaded.';
COMMENT ON COLUMN loads.modified_ns IS 'Modification time of the file when loaded (ns since the epoch); a change triggers a checksum.';
COMMENT ON COLUMN loads.sha256 IS 'sha256 of the file when loaded.';
COMMENT ON COLUMN loads.run_id IS 'The ingestion run that wrote the file (from its metadata).';
COMMENT ON COLUMN loads.load_id IS 'The load that read the file (one id per `load` call).';
COMMENT ON COLUMN loads.loaded_at IS 'When the file was loaded, UTC.';

COMMENT ON TABLE warehouse_info IS 'Facts about this warehouse: schema version, search index settings.';
COMMENT ON COLUMN warehouse_info.key IS 'Name of the fact.';
COMMENT ON COLUMN warehouse_info.value IS 'Its value.';

COMMENT ON TABLE fts_pending IS 'Articles the full-text index does not hold yet (loads that deferred the index update); the next index update adds them.';
COMMENT ON COLUMN fts_pending.article_id IS 'The article waiting for the index (articles.article_id).';

COMMENT ON TABLE unreadable_files IS 'Parquet files the last load could not read: skipped, their rows absent from the warehouse until the file is replaced and loaded again.';
COMMENT ON COLUMN unreadable_files.file IS 'Path of the Parquet file, relative to the data directory (as in loads.file).';
COMMENT ON COLUMN unreadable_files.dataset IS 'Which dataset the file belongs to: articles, captures or runs.';
COMMENT ON COLUMN unreadable_files.reason IS 'What the Parquet reader said.';
COMMENT ON COLUMN unreadable_files.found_at IS 'When the load found it, UTC.';
