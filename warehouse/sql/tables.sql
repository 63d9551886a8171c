-- Bookkeeping tables. `articles`, `captures` and `runs` are created from warehouse/schema.py
-- (warehouse/db.py: create_table_sql), so their columns always match the Parquet files.

-- The loads ledger: one row per Parquet file loaded. A file is loaded again only when its
-- size, modification time and sha256 change (a rewritten run file, a compacted file).
CREATE TABLE IF NOT EXISTS loads (
    file VARCHAR PRIMARY KEY,
    dataset VARCHAR NOT NULL,
    row_count BIGINT NOT NULL,
    byte_count BIGINT NOT NULL,
    modified_ns BIGINT NOT NULL,
    sha256 VARCHAR NOT NULL,
    run_id VARCHAR,
    load_id VARCHAR NOT NULL,
    loaded_at TIMESTAMPTZ NOT NULL
);

-- Key-value facts about the warehouse itself (schema version, FTS settings).
CREATE TABLE IF NOT EXISTS warehouse_info (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

-- Articles the full-text index does not hold yet: loads with update_search_index=False
-- (db.load) leave them here, the next load that updates the index indexes them.
CREATE TABLE IF NOT EXISTS fts_pending (
    article_id VARCHAR NOT NULL
);

-- Parquet files the last load (or, in the Parquet fallback, this connection) could not read:
-- skipped, named here, their rows absent until the file is replaced and loaded again.
CREATE TABLE IF NOT EXISTS unreadable_files (
    file VARCHAR NOT NULL,
    dataset VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    found_at TIMESTAMPTZ NOT NULL
);
