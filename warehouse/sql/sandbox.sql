-- The DuckDB settings of every connection that runs a user's SQL (`newsarchive sql`, `search`,
-- `stats`, `export`): run after the connection has loaded what it needs (the fts extension from
-- its PyPI package, the Parquet fallback's Arrow datasets), in this order, the lock last.
-- warehouse/sandbox.py applies them; tests/reliability/ tries to get around them.

-- No extension is downloaded or loaded because a query mentions it (httpfs for an https:// URL,
-- a community extension by name): only what was loaded before this point is there.
SET autoinstall_known_extensions = false;
SET autoload_known_extensions = false;
SET allow_community_extensions = false;

-- No file and no network: read_csv/read_text/read_blob/read_json/read_parquet/glob of any path
-- or URL, COPY ... TO/FROM, EXPORT DATABASE, ATTACH of a file, INSTALL and LOAD from a path,
-- persistent secrets, even under EXPLAIN ANALYZE. The tables of the open database (or the
-- registered Arrow datasets of the fallback) stay readable. It cannot be switched back on.
SET enable_external_access = false;

-- Every other setting frozen: SET, RESET and PRAGMA forms of threads, memory_limit,
-- profiling_output, temp_directory, allowed_directories and the rest are refused.
SET lock_configuration = true;
