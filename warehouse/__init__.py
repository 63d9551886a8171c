"""Storage: the Parquet dataset (the source of truth) and the DuckDB warehouse derived from it.

The chain, in import order: schema → parquet → load → fts → query, then search, stats, export.
Every function that touches the data takes a `DataLayout` (or a data directory, meaning the
Parquet dataset in `<data-dir>/parquet`); nothing reads the location from the environment.

    layout.py      DataLayout: the data directory and the Parquet root, passed as an argument
    storage.py     local paths and s3:// URIs: listing, atomic writes, reads, DuckDB's httpfs
    schema.py      the Arrow schemas of articles, captures and runs (and their DuckDB types)
    parquet.py     the hive-partitioned Parquet dataset: slugs, atomic writes, reads
    unreadable.py  damaged Parquet files: found, named and skipped by load, stats and the fallback
    ledger.py      what has been done already, read from Parquet (skips, retries, cursors)
    connection.py  open warehouse.duckdb read-write or read-only, lock retry, WarehouseError
    sqlfiles.py    the SQL files of warehouse/sql/, with `{{fragment}}` includes
    tables.py      tables from the schema, views and macros, comments
    load.py        load new Parquet files, merged one row per key (sql/rank_*.sql); record_run
    fts.py         the full-text index, updated incrementally or deferred
    sandbox.py     DuckDB's own settings on every connection that runs a user's SQL (sql/sandbox.sql)
    query.py       read-only SQL in the sandbox, with Parquet views while a load holds the file
    db.py          the public entry: connect, load, record_run, query, run_query and the errors
    search.py      BM25 search with snippets (sql/search.sql)
    stats.py       counts and field coverage for `newsarchive stats`
    history.py     the runs and the rejected captures for `newsarchive runs` and `rejections`
    compact.py     merge small Parquet files per partition, keeping one row per article
    export.py      a shareable dataset folder; card.py writes its card, schema and manifest,
                   card_loading.py the card's Hugging Face header and typed loading code
    report.py      `newsarchive report`'s numbers (sql/report_*.sql); report_charts.py draws them
                   (altair), report_html.py writes the self-contained page
    verify.py      check a received export folder against its manifest and schema
"""
