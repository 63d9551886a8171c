"""The full-text index on articles (DuckDB's fts extension), kept up to date incrementally.

The extension's own `create_fts_index` indexes a whole table at once; here it only makes an
empty index, and sql/fts_add.sql adds the changed articles in chunks, so a load costs what it
adds. Loads that defer the index leave article_ids in the `fts_pending` table; an article
whose words changed is taken out of the index at once (sql/fts_forget.sql), so search never
answers with words a row no longer holds. A digest of the SQL marks an index made with other
settings, which the next load rebuilds.
"""

from __future__ import annotations

import hashlib

import duckdb

from warehouse.connection import scalar
from warehouse.sqlfiles import sql_statements, sql_text

# Articles indexed per transaction: the index rows of one chunk are held in memory until it
# commits, so a run's final load, which indexes every article the run loaded, stays within the
# memory of one periodic load however long the run was.
FTS_INDEX_CHUNK = 10_000


def config_digest() -> str:
    """Identifies the index settings (sql/fts.sql, sql/fts_add.sql)."""
    return hashlib.sha256((sql_text("fts.sql") + sql_text("fts_add.sql")).encode("utf-8")).hexdigest()[:16]


def index_exists(con: duckdb.DuckDBPyConnection) -> bool:
    found = scalar(
        con,
        "SELECT count(*) FROM duckdb_schemas() WHERE database_name = current_database() AND schema_name = 'fts_main_articles'",
    )
    return bool(found)


def is_stale(con: duckdb.DuckDBPyConnection) -> bool:
    """No index yet, or one made with other settings (sql/fts.sql, sql/fts_add.sql)."""
    stored = con.execute("SELECT value FROM warehouse_info WHERE key = 'fts_config'").fetchone()
    return not index_exists(con) or stored is None or stored[0] != config_digest()


def create_empty_search_index(con: duckdb.DuckDBPyConnection) -> None:
    """A fresh, empty fts_main_articles (schema, tokenizer, stopwords, BM25 macro) from the extension.

    create_fts_index indexes the whole table it is given, more slowly than sql/fts_add.sql
    does. So it is pointed at an empty stand-in named `articles`
    for an instant, inside the caller's transaction, and the real rows are added afterwards.
    """
    con.execute("ALTER TABLE articles RENAME TO articles_being_indexed")
    con.execute("CREATE TABLE articles AS SELECT article_id, title, text FROM articles_being_indexed LIMIT 0")
    con.execute(sql_text("fts.sql"))  # one PRAGMA; the parser would expand it against the catalog
    con.execute("DROP TABLE articles")
    con.execute("ALTER TABLE articles_being_indexed RENAME TO articles")
    con.execute("INSERT OR REPLACE INTO warehouse_info VALUES ('fts_config', ?)", [config_digest()])


def index_pending(con: duckdb.DuckDBPyConnection) -> int:
    """Index the articles in `fts_pending` (sql/fts_add.sql), FTS_INDEX_CHUNK at a time in
    article_id order, each chunk its own transaction; returns how many were indexed.

    Chunks in article_id order give the same docids as one statement over all of them would;
    an interrupted load leaves the rest pending for the next one.
    """
    indexed = 0
    while True:
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE fts_changed AS "
                "SELECT DISTINCT article_id FROM fts_pending ORDER BY article_id LIMIT ?",
                [FTS_INDEX_CHUNK],
            )
            count = scalar(con, "SELECT count(*) FROM fts_changed")
            if count:
                for statement in sql_statements("fts_add.sql"):
                    con.execute(statement)
                con.execute("DELETE FROM fts_pending WHERE article_id IN (SELECT article_id FROM fts_changed)")
            con.execute("DROP TABLE fts_changed")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        indexed += count
        if count < FTS_INDEX_CHUNK:
            return indexed


def defer(con: duckdb.DuckDBPyConnection, *, rebuild: bool) -> str:
    """Leave the temp table `fts_changed` for a later index update (table fts_pending):
    'deferred' or 'none'.

    Articles the index holds in an older version are taken out of it now, so search never
    answers with a row whose words it no longer holds. With `rebuild` (asked for, or no usable
    index) an empty index is made (search then finds nothing yet) and every article waits.
    """
    if rebuild:
        create_empty_search_index(con)
        con.execute("DELETE FROM fts_pending")
        con.execute("INSERT INTO fts_pending SELECT article_id FROM articles")
        return "deferred" if scalar(con, "SELECT count(*) FROM fts_pending") else "none"
    if not scalar(con, "SELECT count(*) FROM fts_changed"):
        return "none"
    _forget_indexed(con)
    con.execute(
        "INSERT INTO fts_pending SELECT DISTINCT article_id FROM fts_changed EXCEPT SELECT article_id FROM fts_pending"
    )
    return "deferred"


def _forget_indexed(con: duckdb.DuckDBPyConnection) -> None:
    """Take the articles in `fts_changed` that the index holds out of it (sql/fts_forget.sql)."""
    indexed = scalar(
        con, "SELECT count(*) FROM fts_main_articles.docs WHERE name IN (SELECT article_id FROM fts_changed)"
    )
    if indexed:
        for statement in sql_statements("fts_forget.sql"):
            con.execute(statement)
