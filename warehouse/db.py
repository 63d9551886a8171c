"""The DuckDB warehouse: incremental loads from the Parquet dataset, read-only queries.

Parquet is the source of truth; `<data-dir>/warehouse.duckdb` is a derived, queryable copy.
`load` reads only Parquet files not yet in the `loads` ledger and merges them (see
sql/merge_*.sql for which capture of an article wins), so deleting the DuckDB file and
loading again rebuilds it exactly.

Locking (measured): while one process has the file open read-write, no other process can
open it at all, not even read-only. So writers hold the file only for the merge, and both
sides retry briefly: a load waits for readers (up to a minute by default), a reader waits a
couple of seconds and then answers from views over the Parquet dataset instead.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import logging
import re
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import duckdb_extension_fts
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse import parquet, storage
from warehouse.schema import (
    ARTICLE_COLUMNS,
    CAPTURE_COLUMNS,
    RUN_COLUMNS,
    SCHEMA_VERSION,
    RunRecord,
    duckdb_type,
)

log = logging.getLogger("newsarchive.warehouse")

WAREHOUSE_FILE = "warehouse.duckdb"
FTS_EXTENSION = (
    Path(duckdb_extension_fts.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "fts.duckdb_extension"
)
WRITE_LOCK_TIMEOUT_S = 60.0
READ_LOCK_TIMEOUT_S = 2.0

# name → (columns from schema.py, key). The merge keeps one row per key in every table.
TABLES: dict[str, tuple[list, tuple[str, ...]]] = {
    "articles": (ARTICLE_COLUMNS, ("article_id",)),
    "captures": (CAPTURE_COLUMNS, ("capture_id", "run_id")),
    "runs": (RUN_COLUMNS, ("run_id",)),
}
# Tables whose key is also declared a PRIMARY KEY (an ART index). DuckDB 1.5 writes an ART
# index out whole at every checkpoint, so it costs every load time in proportion to the table
# (measured: +1.7 s per load of 10k at 240k articles, the CHECKPOINT going from 0.17 s to
# 1.9 s). So articles and captures do without; their uniqueness comes from the merge
# (tests/warehouse/test_db.py checks it). Search fetches its few hits by rowid instead
# (sql/search.sql). runs is tiny (one row per run).
INDEXED_TABLES = {"runs"}
# Columns stored without compression. articles.text: a search fetches the text of its ~10
# hits for the snippets; DuckDB decompresses a whole vector (2,048 rows) of an FSST column to
# read one value (29 ms for 10 random rows at 240k) but reads one uncompressed value
# directly (2 ms). It costs disk: synthetic text took 2.6x the space, real text about 2x;
# Parquet (zstd) stays the compact copy. articles.article_id: searches and loads find rows
# by scanning it (10 ids among 240k: 13 ms FSST, 3 ms uncompressed; 32 bytes a row).
UNCOMPRESSED_COLUMNS: dict[str, set[str]] = {"articles": {"article_id", "text"}}
# Physical layout of the articles table; a warehouse made with another one is rebuilt once
# (ensure_schema). 3: no PRIMARY KEY, article_id and text uncompressed.
ARTICLES_LAYOUT = "3"

# Statement types `query` runs; everything else (INSERT, COPY, ATTACH, SET, CALL, ...) is refused.
READ_STATEMENT_TYPES = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class WarehouseError(Exception):
    """A problem with the warehouse the user can act on (one line, no traceback)."""


class WarehouseBusy(WarehouseError):
    """Another process holds the DuckDB file; transient: retry later."""


class WarehouseMissing(WarehouseError):
    """Neither a warehouse nor a Parquet dataset exists yet."""


class QueryRefused(WarehouseError):
    """The SQL would write (INSERT, DROP, COPY, ATTACH, ...): `query` is read-only."""


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What one `load` did."""

    new_file_count: int  # Parquet files loaded by this call (all datasets)
    new_article_count: int  # article_ids not in the warehouse before
    replaced_article_count: int  # existing articles replaced by a better-ranked capture
    total_article_count: int
    new_capture_row_count: int
    new_run_count: int
    skipped_file_count: int  # files already loaded and unchanged
    fts_update: str  # "none", "incremental", "rebuild" or "deferred" (update_search_index=False)
    fts_duration_s: float
    duration_s: float
    fts_pending_count: int = 0  # articles not in the search index yet (left by deferred loads)


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    source: str  # "warehouse" or "parquet" (the fallback while a load holds the file)


def warehouse_path(data_dir: Path) -> Path:
    return Path(data_dir) / WAREHOUSE_FILE


def sql_text(name: str) -> str:
    """A file from warehouse/sql/."""
    return importlib.resources.files("warehouse").joinpath("sql", name).read_text(encoding="utf-8")


def sql_statements(name: str) -> list[str]:
    """The statements of a .sql file, in order (split by the parser, so comments are fine)."""
    return [statement.query for statement in _parser().extract_statements(sql_text(name))]


_PARSER: duckdb.DuckDBPyConnection | None = None


def _parser() -> duckdb.DuckDBPyConnection:
    global _PARSER
    if _PARSER is None:
        _PARSER = _prepare(duckdb.connect(":memory:"))
    return _PARSER


def _prepare(con: duckdb.DuckDBPyConnection, data_dir: Path | None = None) -> duckdb.DuckDBPyConnection:
    """Per-connection setup: the fts extension (DuckDB cannot download it here), UTC, and
    httpfs when the data dir's Parquet dataset is on object storage."""
    extension = str(FTS_EXTENSION).replace("'", "''")
    con.execute(f"LOAD '{extension}'")
    if data_dir is not None:
        storage.prepare_duckdb(con, [parquet.parquet_root(data_dir)])
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # it would print into the CLI's output
    return con


def _is_lock_error(error: Exception) -> bool:
    return "lock" in str(error).lower()


def connect(data_dir: Path, *, read_only: bool, lock_timeout_s: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, retrying while another process holds the file.

    Raises WarehouseBusy after `lock_timeout_s`, WarehouseMissing for a read-only open of a
    warehouse that does not exist.
    """
    path = warehouse_path(data_dir)
    if read_only and not path.exists():
        raise WarehouseMissing(f"no warehouse at {path}: run `newsarchive load` (or `newsarchive run`) first")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    timeout = (READ_LOCK_TIMEOUT_S if read_only else WRITE_LOCK_TIMEOUT_S) if lock_timeout_s is None else lock_timeout_s
    deadline = time.monotonic() + timeout
    delay = 0.02
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as error:
            if not _is_lock_error(error):
                raise WarehouseError(f"cannot open {path}: {error}") from error
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"{path} is held by another process (a load or a writer) for more than {timeout:.0f} s; try again"
                ) from error
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 0.5)
            continue
        return _prepare(con, data_dir)


def create_table_sql(
    name: str, columns: list, primary_key: Sequence[str] | None, uncompressed: set[str] = frozenset()
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
    row_count = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    if row_count:
        log.info(
            "articles table moved to layout %s (%d rows) in %.1f s",
            ARTICLES_LAYOUT,
            row_count,
            time.perf_counter() - started,
        )


TABLE_COMMENTS = {
    "articles": "One row per news article (article_id unique): the best capture of each canonical URL.",
    "captures": "The run ledger: one row per capture per run, with its outcome (article or rejection and why).",
    "runs": "One row per ingestion run: what it read, wrote and rejected.",
}


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
        present = con.execute(
            "SELECT count(*) FROM duckdb_functions() WHERE database_name = current_database() AND function_name = 'search'"
        ).fetchone()[0]
        if stored is not None and stored[0] == digest and present:
            return
    for statement in statements:
        con.execute(statement)
    if with_search:
        con.execute("INSERT OR REPLACE INTO warehouse_info VALUES ('views_config', ?)", [digest])


@dataclass(frozen=True, slots=True)
class _FileFacts:
    path: str  # local path or object-storage URI
    relative: str
    dataset: str
    byte_count: int
    modified_ns: int


def file_sha256(path: Path | str) -> str:
    digest = hashlib.sha256()
    with storage.open_input(path, sequential=True) as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _discover(data_dir: Path) -> list[_FileFacts]:
    facts = []
    for dataset in parquet.DATASETS:
        for stored in parquet.dataset_files(data_dir, dataset):
            facts.append(_FileFacts(stored.location, stored.relative, dataset, stored.byte_count, stored.modified_ns))
    return facts


def _file_rows_and_run(path: str) -> tuple[int, str | None]:
    """Row count and the writing run's id, from the file's footer."""
    with storage.open_input(path) as handle:
        metadata = pq.read_metadata(handle)
    value = (metadata.metadata or {}).get(b"newsarchive.run_id")
    return metadata.num_rows, value.decode("utf-8") if value else None


def load(
    data_dir: Path,
    *,
    lock_timeout_s: float | None = None,
    rebuild_index: bool = False,
    update_search_index: bool = True,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> LoadSummary:
    """Load Parquet files not yet in the warehouse and bring the FTS index up to date.

    Cost follows the new files: the merge touches only their keys and the index is updated
    for the changed articles only (a full rebuild when there is no index yet, its settings
    changed, or `rebuild_index`). A second call with no new files changes nothing. The merge
    is one transaction; the index update follows in transactions of FTS_INDEX_CHUNK articles
    (memory stays flat however many articles wait); a crash in between leaves the rest in
    `fts_pending` for the next load.

    With `update_search_index=False` (periodic loads while a run still extracts) the index
    update, most of a load's cost, is deferred: the changed article_ids wait in the table
    `fts_pending`, and the next load that updates the index indexes them too, with the same
    result as if each load had. Until then search does not find those articles (an article
    replaced by a deferred load is taken out of the index at once, so search never returns a
    row for words it no longer contains); everything else sees them at once.

    `threads` and `memory_limit` (e.g. '128MB') bound what this load takes from the machine;
    beyond the memory limit DuckDB spills to a temporary directory next to the warehouse, and
    its allocator hands freed memory back to the system after each statement. A run's loads
    set both (flows/ingest.py): they share the machine with the extraction pool.
    """
    started = time.perf_counter()
    data_dir = Path(data_dir)
    files = _discover(data_dir)
    load_id = uuid.uuid4().hex
    con = connect(data_dir, read_only=False, lock_timeout_s=lock_timeout_s)
    try:
        if threads is not None:
            con.execute(f"SET threads = {int(threads)}")
        if memory_limit is not None:
            con.execute("SET memory_limit = ?", [memory_limit])
            con.execute("SET allocator_flush_threshold = ?", [ALLOCATOR_FLUSH_THRESHOLD])
        ensure_schema(con)
        known = {
            row[0]: row[1:] for row in con.execute("SELECT file, byte_count, modified_ns, sha256 FROM loads").fetchall()
        }
        pending: dict[str, list[tuple[_FileFacts, str]]] = {dataset: [] for dataset in parquet.DATASETS}
        skipped = 0
        for facts in files:
            previous = known.get(facts.relative)
            if previous is not None and previous[0] == facts.byte_count and previous[1] == facts.modified_ns:
                skipped += 1
                continue
            sha = file_sha256(facts.path)
            if previous is not None and previous[2] == sha:
                skipped += 1  # touched but identical: remember the new mtime, load nothing
                con.execute("UPDATE loads SET modified_ns = ? WHERE file = ?", [facts.modified_ns, facts.relative])
                continue
            pending[facts.dataset].append((facts, sha))

        counts = {"new_articles": 0, "replaced_articles": 0, "captures": 0, "runs": 0}
        new_file_count = sum(len(batch) for batch in pending.values())
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute("CREATE OR REPLACE TEMP TABLE fts_changed (article_id VARCHAR)")
            for dataset, batch in pending.items():
                if batch:
                    _merge(con, dataset, batch, load_id, counts)
            fts_started = time.perf_counter()
            rebuilt = rebuild_index or _fts_stale(con)
            deferred_mode = _defer_search_index(con, rebuild=rebuilt)
            fts_duration = time.perf_counter() - fts_started  # the merge's commit is not index time
            con.execute("DROP TABLE fts_changed")
            ensure_views(con, force=rebuilt)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
        fts_started = time.perf_counter()
        indexed_count = _index_pending(con) if update_search_index or rebuild_index else 0
        fts_duration += time.perf_counter() - fts_started
        if indexed_count:
            fts_mode = "rebuild" if rebuilt else "incremental"
        else:
            fts_mode = deferred_mode
        total = con.execute("SELECT count(*) FROM articles").fetchone()[0]
        fts_pending_count = con.execute("SELECT count(*) FROM fts_pending").fetchone()[0]
        if new_file_count or fts_mode != "none":
            con.execute("CHECKPOINT")
    finally:
        con.close()
    return LoadSummary(
        new_file_count=new_file_count,
        new_article_count=counts["new_articles"],
        replaced_article_count=counts["replaced_articles"],
        total_article_count=total,
        new_capture_row_count=counts["captures"],
        new_run_count=counts["runs"],
        skipped_file_count=skipped,
        fts_update=fts_mode,
        fts_duration_s=fts_duration,
        duration_s=time.perf_counter() - started,
        fts_pending_count=fts_pending_count,
    )


def _fts_config_digest() -> str:
    return hashlib.sha256((sql_text("fts.sql") + sql_text("fts_add.sql")).encode("utf-8")).hexdigest()[:16]


# Articles indexed per transaction: the index rows of one chunk are held in memory until it
# commits, so a run's final load, which indexes every article the run loaded, stays within the
# memory of one periodic load however long the run was.
FTS_INDEX_CHUNK = 10_000
# With a memory limit, freed memory above this goes back to the system after each statement
# (DuckDB's default, 128 MiB, kept a 10k-article index chunk's ~280 MB resident).
ALLOCATOR_FLUSH_THRESHOLD = "8MB"


def _index_pending(con: duckdb.DuckDBPyConnection) -> int:
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
            count = con.execute("SELECT count(*) FROM fts_changed").fetchone()[0]
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


def _defer_search_index(con: duckdb.DuckDBPyConnection, *, rebuild: bool) -> str:
    """Leave `fts_changed` for a later index update (table fts_pending): 'deferred' or 'none'.

    Articles the index holds in an older version are taken out of it now, so search never
    answers with a row whose words it no longer holds. With `rebuild` (asked for, or no usable
    index) an empty index is made (search then finds nothing yet) and every article waits.
    """
    if rebuild:
        create_empty_search_index(con)
        con.execute("DELETE FROM fts_pending")
        con.execute("INSERT INTO fts_pending SELECT article_id FROM articles")
        return "deferred" if con.execute("SELECT count(*) FROM fts_pending").fetchone()[0] else "none"
    if not con.execute("SELECT count(*) FROM fts_changed").fetchone()[0]:
        return "none"
    _forget_indexed(con)
    con.execute(
        "INSERT INTO fts_pending SELECT DISTINCT article_id FROM fts_changed EXCEPT SELECT article_id FROM fts_pending"
    )
    return "deferred"


def _fts_stale(con: duckdb.DuckDBPyConnection) -> bool:
    """No index yet, or one made with other settings (sql/fts.sql, sql/fts_add.sql)."""
    stored = con.execute("SELECT value FROM warehouse_info WHERE key = 'fts_config'").fetchone()
    return not _fts_exists(con) or stored is None or stored[0] != _fts_config_digest()


def _forget_indexed(con: duckdb.DuckDBPyConnection) -> None:
    """Take the articles in `fts_changed` that the index holds out of it (sql/fts_forget.sql)."""
    indexed = con.execute(
        "SELECT count(*) FROM fts_main_articles.docs WHERE name IN (SELECT article_id FROM fts_changed)"
    ).fetchone()[0]
    if indexed:
        for statement in sql_statements("fts_forget.sql"):
            con.execute(statement)


def _merge(
    con: duckdb.DuckDBPyConnection, dataset: str, batch: list[tuple[_FileFacts, str]], load_id: str, counts: dict
) -> None:
    """Merge one dataset's new files. The common case (keys all new, none twice) is a plain
    INSERT from the files, a single copy like CREATE TABLE AS; otherwise sql/merge_<dataset>.sql
    ranks old and new rows per key."""
    paths = [facts.path for facts, _ in batch]
    keys = ", ".join(TABLES[dataset][1])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE incoming_keys AS SELECT {keys}, count(*) AS row_count "
        "FROM read_parquet(?, hive_partitioning = false, union_by_name = true) GROUP BY ALL",
        [paths],
    )
    repeated = con.execute("SELECT coalesce(max(row_count), 0) > 1 FROM incoming_keys").fetchone()[0]
    clashing = con.execute(f"SELECT count(*) FROM {dataset} SEMI JOIN incoming_keys USING ({keys})").fetchone()[0]
    before = con.execute(f"SELECT count(*) FROM {dataset}").fetchone()[0]
    if not repeated and not clashing:
        con.execute(
            f"INSERT INTO {dataset} BY NAME SELECT * FROM read_parquet(?, hive_partitioning = false, union_by_name = true)",
            [paths],
        )
        changed_keys = "incoming_keys"
    else:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE incoming AS SELECT * FROM read_parquet(?, hive_partitioning = false, union_by_name = true)",
            [paths],
        )
        for statement in sql_statements(f"merge_{dataset}.sql"):
            con.execute(statement)
        con.execute("DROP TABLE incoming")
        changed_keys = "winners"
    changed = con.execute(f"SELECT count(*) FROM {changed_keys}").fetchone()[0]
    after = con.execute(f"SELECT count(*) FROM {dataset}").fetchone()[0]
    if dataset == "articles":
        con.execute(f"INSERT INTO fts_changed SELECT article_id FROM {changed_keys}")
        counts["new_articles"] += after - before
        counts["replaced_articles"] += changed - (after - before)
    else:
        counts["captures" if dataset == "captures" else "runs"] += changed
    con.execute("DROP TABLE IF EXISTS winners")
    con.execute("DROP TABLE incoming_keys")
    loaded_at = datetime.now(UTC)
    rows = []
    for facts, sha in batch:
        row_count, run_id = _file_rows_and_run(facts.path)
        rows.append(
            (facts.relative, dataset, row_count, facts.byte_count, facts.modified_ns, sha, run_id, load_id, loaded_at)
        )
    # One statement from an Arrow table: executemany runs a statement per row (24 s for 4,800
    # files, bench/pipeline.py), this takes 0.1 s.
    if not rows:
        return
    new_loads = pa.Table.from_pylist([dict(zip(_LOAD_COLUMNS, row)) for row in rows])
    con.register("new_loads", new_loads)
    try:
        con.execute("INSERT OR REPLACE INTO loads SELECT * FROM new_loads")
    finally:
        con.unregister("new_loads")


_LOAD_COLUMNS = (
    "file",
    "dataset",
    "row_count",
    "byte_count",
    "modified_ns",
    "sha256",
    "run_id",
    "load_id",
    "loaded_at",
)


def _fts_exists(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "SELECT count(*) FROM duckdb_schemas() WHERE database_name = current_database() AND schema_name = 'fts_main_articles'"
    ).fetchone()[0]
    return bool(found)


def create_empty_search_index(con: duckdb.DuckDBPyConnection) -> None:
    """A fresh, empty fts_main_articles (schema, tokenizer, stopwords, BM25 macro) from the extension.

    create_fts_index indexes the whole table it is given, slowly (its own build takes about
    twice as long as sql/fts_add.sql). So it is pointed at an empty stand-in named `articles`
    for an instant, inside the caller's transaction, and the real rows are added afterwards.
    """
    con.execute("ALTER TABLE articles RENAME TO articles_being_indexed")
    con.execute("CREATE TABLE articles AS SELECT article_id, title, text FROM articles_being_indexed LIMIT 0")
    con.execute(sql_text("fts.sql"))  # one PRAGMA; the parser would expand it against the catalog
    con.execute("DROP TABLE articles")
    con.execute("ALTER TABLE articles_being_indexed RENAME TO articles")
    con.execute("INSERT OR REPLACE INTO warehouse_info VALUES ('fts_config', ?)", [_fts_config_digest()])


def record_run(
    data_dir: Path, run: RunRecord, *, lock_timeout_s: float | None = None, update_search_index: bool = True
) -> Path:
    """Keep the run's row: as Parquet (`parquet/runs/`, so a rebuild restores it), then in DuckDB.

    Returns the Parquet path. The DuckDB part is an ordinary incremental load of that file
    (which also indexes articles deferred by earlier loads, unless `update_search_index` is False).
    """
    path = parquet.write_run(data_dir, run)
    load(data_dir, lock_timeout_s=lock_timeout_s, update_search_index=update_search_index)
    return path


# ---------------------------------------------------------------------------------------------
# Read-only queries


def _leading_keywords(sql: str) -> list[str]:
    """The first word of every statement, from DuckDB's tokenizer (strings and comments skipped)."""
    words, at_start = [], True
    for offset, kind in duckdb.tokenize(sql):
        token = sql[offset : offset + 1]
        if at_start:
            word = re.match(r"\w*", sql[offset:]).group(0)
            words.append(word.upper())
        at_start = kind == duckdb.token_type.operator and token == ";"
    return words


def _check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> list[duckdb.Statement]:
    # PRAGMAs are expanded while parsing (create_fts_index would run its catalog checks): refuse
    # them before the parser sees them. DESCRIBE, SHOW and duckdb_*() cover the read-only ones.
    if "PRAGMA" in _leading_keywords(sql):
        raise QueryRefused("refused: PRAGMA statements are not allowed; use DESCRIBE, SHOW TABLES or duckdb_tables()")
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as error:
        raise WarehouseError(_one_line(error)) from error
    if not statements:
        raise WarehouseError("no SQL statement given")
    for statement in statements:
        if statement.type not in READ_STATEMENT_TYPES:
            kind = statement.type.name
            raise QueryRefused(
                f"refused: {kind} statements are not allowed; the warehouse is opened read-only (SELECT only)"
            )
    return statements


def _one_line(error: Exception) -> str:
    return " ".join(str(error).split())


def parquet_connection(data_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with `articles`, `captures`, `runs` as views over the Parquet dataset.

    The same ranking as the loader picks one row per article, so answers match the warehouse
    (without the FTS index). Works while a load holds the DuckDB file.
    """
    con = _prepare(duckdb.connect(":memory:"), data_dir)
    for name, (columns, key) in TABLES.items():
        files = parquet.file_locations(data_dir, name)
        if not files:
            con.execute(create_table_sql(name, columns, key))
            continue
        con.execute(f"SET VARIABLE {name}_files = ?", [files])
        select = sql_text(f"parquet_view_{name}.sql").strip().rstrip(";")
        con.execute(f"CREATE VIEW {name} AS {select}")
    for statement in sql_statements("tables.sql"):
        con.execute(statement)
    ensure_views(con, with_search=False)
    for statement in sql_statements("snippet.sql") + sql_statements("search_fallback.sql"):
        con.execute(statement)
    return con


@contextmanager
def open_for_reading(
    data_dir: Path, *, lock_timeout_s: float | None = None, fallback: bool = True
) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """(connection, source): the warehouse read-only, or Parquet views if it stays locked or is absent.

    source is "warehouse" or "parquet". Keep the block short: it holds a shared lock that
    makes a load wait.
    """
    data_dir = Path(data_dir)
    source = "warehouse"
    try:
        con = connect(data_dir, read_only=True, lock_timeout_s=lock_timeout_s)
    except (WarehouseBusy, WarehouseMissing) as error:
        has_parquet = any(parquet.file_locations(data_dir, name) for name in TABLES)
        if not fallback or not has_parquet:
            if isinstance(error, WarehouseMissing):
                raise WarehouseMissing(
                    f"no warehouse and no Parquet dataset in {data_dir}: run `newsarchive run` first"
                ) from error
            raise
        if isinstance(error, WarehouseBusy):
            log.warning("%s; answering from the Parquet dataset instead", error)
        con = parquet_connection(data_dir)
        source = "parquet"
    try:
        yield con, source
    finally:
        con.close()


def run_query(
    data_dir: Path,
    sql: str,
    params: Sequence[Any] = (),
    *,
    lock_timeout_s: float | None = None,
    fallback: bool = True,
) -> QueryResult:
    """Run read-only SQL; answer from Parquet views if the warehouse stays locked or is absent."""
    with open_for_reading(data_dir, lock_timeout_s=lock_timeout_s, fallback=fallback) as (con, source):
        statements = _check_read_only(con, sql)
        try:
            for statement in statements[:-1]:
                con.execute(statement)
            cursor = con.execute(statements[-1], list(params) if params else None)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            rows = cursor.fetchall()
        except duckdb.Error as error:
            raise WarehouseError(_one_line(error)) from error
    return QueryResult(columns, rows, source)


def query(data_dir: Path, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
    """Read-only SQL on the warehouse: (column names, rows). Writes raise QueryRefused."""
    result = run_query(data_dir, sql, params)
    return result.columns, result.rows
