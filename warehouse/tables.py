"""The warehouse's tables and views: created from warehouse/schema.py and warehouse/sql/.

`articles`, `captures` and `runs` get their columns from the Arrow schema (so they always
match the Parquet files), their comments from the field descriptions, and columns that
schema.py gained since a warehouse was made are added. Bookkeeping tables are in
sql/tables.sql, views and search macros in sql/views.sql, sql/snippet.sql, sql/search.sql.
Why articles has no PRIMARY KEY and two uncompressed columns: bench/README.md.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Sequence

import duckdb
import pyarrow as pa

from warehouse.connection import scalar
from warehouse.schema import ARTICLE_COLUMNS, CAPTURE_COLUMNS, RUN_COLUMNS, SCHEMA_VERSION, duckdb_type
from warehouse.sqlfiles import sql_statements

log = logging.getLogger("newsarchive.warehouse")

# name → (columns from schema.py, key). The merge keeps one row per key in every table.
TABLES: dict[str, tuple[list, tuple[str, ...]]] = {
    "articles": (ARTICLE_COLUMNS, ("article_id",)),
    "captures": (CAPTURE_COLUMNS, ("capture_id", "run_id")),
    "runs": (RUN_COLUMNS, ("run_id",)),
}
# Tables whose key is also declared a PRIMARY KEY (an ART index, rewritten whole at every
# checkpoint). articles and captures do without: their uniqueness comes from the merge
# (tests/warehouse/test_db.py checks it); search fetches its hits by rowid (sql/search.sql).
INDEXED_TABLES = {"runs"}
# Columns stored without compression, so a search reads the ~10 texts and ids it needs
# directly instead of decompressing whole vectors.
UNCOMPRESSED_COLUMNS: dict[str, set[str]] = {"articles": {"article_id", "text"}}
# Physical layout of the articles table; a warehouse made with another one is rebuilt once
# (ensure_schema). 3: no PRIMARY KEY, article_id and text uncompressed.
ARTICLES_LAYOUT = "3"

TABLE_COMMENTS = {
    "articles": "One row per news article (article_id unique): the best capture of each canonical URL.",
    "captures": "The run ledger: one row per capture per run, with its outcome (article or rejection and why).",
    "runs": "One row per ingestion run: what it read, wrote and rejected.",
}


def create_table_sql(
    name: str, columns: list, primary_key: Sequence[str] | None, uncompressed: set[str] | frozenset[str] = frozenset()
) -> str:
    """CREATE TABLE for a dataset, with DuckDB types derived from the Arrow schema."""
    lines = [
        f"    {column} {duckdb_type(dtype)}{'' if nullable else ' NOT NULL'}"
        + (" USING COMPRESSION uncompressed" if column in uncompressed else "")
        for column, dtype, nullable, _ in columns
    ]
    if primary_key:
        lines.append(f"    PRIMARY KEY ({', '.join(primary_key)})")
    return f"CREATE TABLE IF NOT EXISTS {name} (\n" + ",\n".join(lines) + "\n)"


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables; add columns that schema.py gained since the warehouse was made."""
    for name, (columns, key) in TABLES.items():
        con.execute(
            create_table_sql(
                name, columns, key if name in INDEXED_TABLES else None, UNCOMPRESSED_COLUMNS.get(name, set())
            )
        )
        present = {d[0] for d in con.execute(f"SELECT * FROM {name} LIMIT 0").description}
        for column, dtype, _nullable, _doc in columns:
            if column not in present:
                # Rows loaded before the column existed have no value for it: nullable here.
                con.execute(f"ALTER TABLE {name} ADD COLUMN {column} {duckdb_type(dtype)}")
    for statement in sql_statements("tables.sql"):
        con.execute(statement)
    layout = con.execute("SELECT value FROM warehouse_info WHERE key = 'articles_layout'").fetchone()
    if layout is None or layout[0] != ARTICLES_LAYOUT:
        _relayout_articles(con)
    con.execute("INSERT OR REPLACE INTO warehouse_info VALUES ('schema_version', ?)", [SCHEMA_VERSION])


def _relayout_articles(con: duckdb.DuckDBPyConnection) -> None:
    """Copy articles into a table of the current layout (ARTICLES_LAYOUT): once per warehouse
    made by an older version (instant for a new one). Columns keep their types and NULL rules."""
    started = time.perf_counter()
    uncompressed = UNCOMPRESSED_COLUMNS["articles"]
    lines = [
        f'    "{name}" {dtype}{"" if null == "YES" else " NOT NULL"}'
        + (" USING COMPRESSION uncompressed" if name in uncompressed else "")
        for name, dtype, null, *_ in con.execute("DESCRIBE articles").fetchall()
    ]
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("ALTER TABLE articles RENAME TO articles_old_layout")
        con.execute("CREATE TABLE articles (\n" + ",\n".join(lines) + "\n)")
        con.execute("INSERT INTO articles BY NAME SELECT * FROM articles_old_layout")
        con.execute("DROP TABLE articles_old_layout")
        con.execute("INSERT OR REPLACE INTO warehouse_info VALUES ('articles_layout', ?)", [ARTICLES_LAYOUT])
        # the comments went with the old table: make the next ensure_views write them again
        con.execute("DELETE FROM warehouse_info WHERE key = 'views_config'")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    row_count = scalar(con, "SELECT count(*) FROM articles")
    if row_count:
        log.info(
            "articles table moved to layout %s (%d rows) in %.1f s",
            ARTICLES_LAYOUT,
            row_count,
            time.perf_counter() - started,
        )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def comment_statements() -> list[str]:
    """COMMENT ON the data tables and each of their columns, from the schema descriptions."""
    statements = []
    for name, (columns, _) in TABLES.items():
        statements.append(f"COMMENT ON TABLE {name} IS {_literal(TABLE_COMMENTS[name])}")
        statements += [f"COMMENT ON COLUMN {name}.{column} IS {_literal(doc)}" for column, _, _, doc in columns]
    return statements


def field_coverage_sql() -> list[str]:
    """The field_coverage view, generated from the schema so it covers every articles column.

    "Filled" means not NULL and, for text and lists, not empty.
    """
    counts = []
    for column, dtype, _, _ in ARTICLE_COLUMNS:
        if dtype == pa.string():
            counts.append(f"count(*) FILTER (WHERE {column} <> '') AS {column}")
        elif pa.types.is_list(dtype):
            counts.append(f"count(*) FILTER (WHERE len({column}) > 0) AS {column}")
        else:
            counts.append(f"count({column}) AS {column}")
    names = ", ".join(column for column, _, _, _ in ARTICLE_COLUMNS)
    view = (
        "CREATE OR REPLACE VIEW field_coverage AS\n"
        f"WITH counts AS (SELECT count(*) AS total_count, {', '.join(counts)} FROM articles)\n"
        "SELECT field, filled_count, total_count, round(100.0 * filled_count / nullif(total_count, 0), 1) AS filled_percent\n"
        f"FROM counts UNPIVOT (filled_count FOR field IN ({names}))"
    )
    comments = {
        None: "For every column of articles: how many rows have it filled (not NULL, not empty).",
        "field": "Column of the articles table.",
        "filled_count": "Rows where the column is not NULL and not empty.",
        "total_count": "Rows in articles.",
        "filled_percent": "filled_count as a percentage of total_count (NULL when there are no articles).",
    }
    return [view] + [
        f"COMMENT ON VIEW field_coverage IS {_literal(doc)}"
        if column is None
        else f"COMMENT ON COLUMN field_coverage.{column} IS {_literal(doc)}"
        for column, doc in comments.items()
    ]


def _view_statements(with_search: bool) -> list[str]:
    statements = sql_statements("views.sql") + field_coverage_sql() + comment_statements()
    return statements + (sql_statements("snippet.sql") + sql_statements("search.sql") if with_search else [])


def ensure_views(con: duckdb.DuckDBPyConnection, *, with_search: bool = True, force: bool = True) -> None:
    """Views, search macros and every COMMENT. Without `force`, only when their SQL changed
    since they were made (a digest in warehouse_info) or they are missing."""
    statements = _view_statements(with_search)
    digest = hashlib.sha256("\n;\n".join(statements).encode("utf-8")).hexdigest()[:16]
    if not force:
        stored = con.execute("SELECT value FROM warehouse_info WHERE key = 'views_config'").fetchone()
        present = scalar(
            con,
            "SELECT count(*) FROM duckdb_functions() WHERE database_name = current_database() AND function_name = 'search'",
        )
        if stored is not None and stored[0] == digest and present:
            return
    for statement in statements:
        con.execute(statement)
    if with_search:
        con.execute("INSERT OR REPLACE INTO warehouse_info VALUES ('views_config', ?)", [digest])
