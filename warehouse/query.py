"""Read-only SQL on the warehouse, or on views over the Parquet dataset while it is busy.

While one process has the DuckDB file open read-write, no other process can open it at all,
not even read-only. So a reader waits a couple of seconds and then answers from an in-memory
DuckDB whose `articles`, `captures` and `runs` are views over the Parquet files, ranked as
the loader ranks them (sql/parquet_view_*.sql). pyarrow reads those files (locally or on
object storage) as registered Arrow datasets, so DuckDB itself needs no file access; files
that cannot be read are left out and listed in `unreadable_files`.

Every connection handed out here is locked down (warehouse/sandbox.py): whatever the SQL,
it cannot read or write a file, reach the network or change a setting. Only SELECT and
EXPLAIN statements run; the statement check is there for a clear message, not as the barrier.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import duckdb
import pyarrow.dataset as pads

from warehouse import parquet, storage, unreadable
from warehouse.connection import WarehouseBusy, WarehouseError, WarehouseMissing, connect, one_line, prepare
from warehouse.layout import DataLayout, Location
from warehouse.sandbox import lock_down, refuse_unlocked_functions
from warehouse.sqlfiles import sql_statements, sql_text
from warehouse.tables import TABLES, create_table_sql, ensure_views

log = logging.getLogger("newsarchive.warehouse")

# Statement types `query` runs; everything else (INSERT, COPY, ATTACH, SET, CALL, ...) is refused.
READ_STATEMENT_TYPES = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}

T = TypeVar("T")


class QueryRefused(WarehouseError):
    """The SQL would write (INSERT, DROP, COPY, ATTACH, ...): `query` is read-only."""


@dataclass(frozen=True, slots=True)
class QueryResult:
    columns: list[str]
    rows: list[tuple]
    source: str  # "warehouse" or "parquet" (the fallback while a load holds the file)


def _leading_keywords(sql: str) -> list[str]:
    """The first word of every statement, from DuckDB's tokenizer (strings and comments skipped)."""
    words, at_start = [], True
    for offset, kind in duckdb.tokenize(sql):
        token = sql[offset : offset + 1]
        if at_start:
            word = re.match(r"\w*", sql[offset:])
            words.append(word.group(0).upper() if word else "")
        at_start = kind == duckdb.token_type.operator and token == ";"
    return words


def _check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> list[duckdb.Statement]:
    # PRAGMAs are expanded while parsing (create_fts_index would run its catalog checks): refuse
    # them before the parser sees them. DESCRIBE, SHOW and duckdb_*() cover the read-only ones.
    if "PRAGMA" in _leading_keywords(sql):
        raise QueryRefused("refused: PRAGMA statements are not allowed; use DESCRIBE, SHOW TABLES or duckdb_tables()")
    refuse_unlocked_functions(sql)
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as error:
        raise WarehouseError(one_line(error)) from error
    if not statements:
        raise WarehouseError("no SQL statement given")
    for statement in statements:
        if statement.type not in READ_STATEMENT_TYPES:
            kind = statement.type.name
            raise QueryRefused(
                f"refused: {kind} statements are not allowed; the warehouse is opened read-only (SELECT only)"
            )
    return statements


def parquet_connection(location: Location, *, decode_all: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with `articles`, `captures`, `runs` as views over the Parquet dataset.

    The same ranking as the loader picks one row per key (sql/rank_*.sql), so answers match
    the warehouse (without the FTS index). Works while a load holds the DuckDB file. Files
    whose footer cannot be read are left out (`unreadable_files`); with `decode_all`, so are
    files with a good footer and damaged data (every file is read once to find them). The
    connection is locked down (warehouse/sandbox.py) before it is returned.
    """
    layout = DataLayout.of(location)
    con = prepare(duckdb.connect(":memory:"))
    try:
        _create_parquet_views(con, layout, decode_all=decode_all)
    except BaseException:
        con.close()
        raise
    return _locked(con)


def _create_parquet_views(con: duckdb.DuckDBPyConnection, layout: DataLayout, *, decode_all: bool) -> None:
    # Spilling, if a query needs it, goes where the warehouse's own would (not the working directory).
    con.execute("SET temp_directory = ?", [str(layout.warehouse_path) + ".tmp"])
    for statement in sql_statements("tables.sql"):
        con.execute(statement)
    skipped = []
    for name, (columns, key) in TABLES.items():
        files, unreadable_files = unreadable.readable_files(layout, name, decode_all=decode_all)
        skipped += unreadable_files
        if not files:
            con.execute(create_table_sql(name, columns, key))
            continue
        con.register(f"parquet_{name}", _arrow_dataset(name, [stored.location for stored in files]))
        select = sql_text(f"parquet_view_{name}.sql").strip().rstrip(";")
        con.execute(f"CREATE VIEW {name} AS {select}")
    unreadable.record(con, skipped)
    for item in skipped:
        log.warning("skipped unreadable Parquet file %s: %s", item.file, item.reason)
    ensure_views(con, with_search=False)
    for statement in sql_statements("snippet.sql") + sql_statements("search_fallback.sql"):
        con.execute(statement)


def _arrow_dataset(name: str, locations: list[str]) -> pads.Dataset:
    """The files as one Arrow dataset with the dataset's schema (columns older files lack are null)."""
    filesystem, _ = storage.resolve(locations[0])
    paths = [storage.resolve(location)[1] for location in locations]
    return pads.dataset(paths, schema=parquet.SCHEMAS[name], format="parquet", filesystem=filesystem)


def _locked(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    try:
        return lock_down(con)
    except BaseException:
        con.close()
        raise


@contextmanager
def open_for_reading(
    location: Location, *, lock_timeout_s: float | None = None, fallback: bool = True, decode_all: bool = False
) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """(connection, source): the warehouse read-only, or Parquet views if it stays locked or is absent.

    source is "warehouse" or "parquet". Keep the block short: it holds a shared lock that
    makes a load wait.
    """
    layout = DataLayout.of(location)
    source = "warehouse"
    try:
        con = _locked(connect(layout, read_only=True, lock_timeout_s=lock_timeout_s))
    except (WarehouseBusy, WarehouseMissing) as error:
        has_parquet = any(parquet.file_locations(layout, name) for name in TABLES)
        if not fallback or not has_parquet:
            if isinstance(error, WarehouseMissing):
                raise WarehouseMissing(
                    f"no warehouse and no Parquet dataset in {layout.data_dir}: run `newsarchive run` first"
                ) from error
            raise
        if isinstance(error, WarehouseBusy):
            log.warning("%s; answering from the Parquet dataset instead", error)
        con = parquet_connection(layout, decode_all=decode_all)
        source = "parquet"
    try:
        yield con, source
    finally:
        con.close()


def read_with(
    location: Location,
    work: Callable[[duckdb.DuckDBPyConnection, str], T],
    *,
    lock_timeout_s: float | None = None,
    fallback: bool = True,
) -> T:
    """`work(con, source)` on a connection from `open_for_reading`.

    When the Parquet fallback fails on a file whose footer was fine but whose data cannot be
    decoded, every file is decoded once to find it, and `work` runs again without it (named
    in `unreadable_files`). `work` must be safe to run twice.
    """
    for decode_all in (False, True):
        with open_for_reading(location, lock_timeout_s=lock_timeout_s, fallback=fallback, decode_all=decode_all) as (
            con,
            source,
        ):
            try:
                return work(con, source)
            except duckdb.Error as error:
                if source != "parquet" or decode_all or "arrow_scan" not in str(error):
                    raise
                log.warning("a Parquet file failed while reading (%s); checking every file", one_line(error))
    raise AssertionError("unreachable: the second pass returns or raises")


def run_query(
    location: Location,
    sql: str,
    params: Sequence[Any] = (),
    *,
    lock_timeout_s: float | None = None,
    fallback: bool = True,
) -> QueryResult:
    """Run read-only SQL; answer from Parquet views if the warehouse stays locked or is absent."""

    def work(con: duckdb.DuckDBPyConnection, source: str) -> QueryResult:
        statements = _check_read_only(con, sql)
        for statement in statements[:-1]:
            con.execute(statement)
        cursor = con.execute(statements[-1], list(params) if params else None)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        return QueryResult(columns, cursor.fetchall(), source)

    try:
        return read_with(location, work, lock_timeout_s=lock_timeout_s, fallback=fallback)
    except duckdb.Error as error:
        if isinstance(error, duckdb.PermissionException) or "configuration has been locked" in str(error):
            raise QueryRefused(
                f"refused by the SQL sandbox (no file, network or setting changes): {one_line(error)}"
            ) from error
        raise WarehouseError(one_line(error)) from error


def query(location: Location, sql: str, params: Sequence[Any] = ()) -> tuple[list[str], list[tuple]]:
    """Read-only SQL on the warehouse: (column names, rows). Writes raise QueryRefused."""
    result = run_query(location, sql, params)
    return result.columns, result.rows


def filter_hints(filters: Sequence[tuple[str, str | None]], held: Callable[[str], Sequence[str]]) -> list[str]:
    """A `name_hint` for each given filter (column, value) that names nothing the warehouse
    holds; `held(sql)` runs `SELECT DISTINCT column ...` and returns the values (search asks
    the warehouse or its fallback, export its own connection)."""
    hints = []
    for column, value in filters:
        if value is None:
            continue
        hint = name_hint(column, value, held(f"SELECT DISTINCT {column} FROM articles WHERE {column} IS NOT NULL"))
        if hint:
            hints.append(hint)
    return hints


def name_hint(noun: str, value: str, names: Sequence[str]) -> str | None:
    """'no publication is named 'X'; did you mean: Y' when `value` is none of `names` in any
    letter case (the closest ones, or the first ten); None when it is one of them."""
    import difflib

    if value.lower() in (name.lower() for name in names):
        return None
    close = difflib.get_close_matches(value.lower(), [name.lower() for name in names], n=3, cutoff=0.5)
    shown = [name for name in names if name.lower() in close] or sorted(names)[:10]
    return f"no {noun} is named {value!r}; {'did you mean' if close else 'there are'}: {', '.join(shown)}"
