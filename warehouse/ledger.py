"""What has been done already, read from the Parquet dataset (never from DuckDB).

A run asks these before fetching, so they must work while another process is loading the
DuckDB file (which then cannot be opened at all): they read the Parquet files with an
in-memory DuckDB instead. A damaged file does not stop the run: when a read fails, every file
is checked (warehouse/unreadable.py), the unreadable ones are logged by name and left out, and
the read is made again.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

import duckdb

from warehouse import parquet, storage, unreadable
from warehouse.layout import DataLayout, Location
from warehouse.sqlfiles import sql_text

log = logging.getLogger("newsarchive.warehouse")

# Rejection reasons worth another try in a later run; every other outcome is final.
TRANSIENT_REASONS = frozenset(
    {
        "timeout",
        "connection_error",
        "truncated",
        "robots_unreachable",
        "http_408",
        "http_425",
        "http_429",
    }
)
_HTTP_5XX = re.compile(r"http_5\d\d")


def is_transient(reason: str | None) -> bool:
    """True for failures a later run may overcome (timeouts, 429, 5xx); False for final outcomes."""
    return reason is not None and (reason in TRANSIENT_REASONS or bool(_HTTP_5XX.fullmatch(reason)))


def _reader(files: list[str]) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that can read `files` (local, or on object storage)."""
    return storage.prepare_duckdb(duckdb.connect(":memory:"), files)


def _read(
    location: Location, dataset: str, query: Callable[[duckdb.DuckDBPyConnection, list[str]], list[tuple]]
) -> list[tuple]:
    """`query(con, files)` over the dataset's files; [] when it has none. When it fails, the
    files that cannot be read (footer or data) are logged, left out, and it runs once more."""
    files = parquet.file_locations(location, dataset)
    if not files:
        return []
    try:
        return _read_once(files, query)
    except duckdb.Error:
        readable, skipped = unreadable.readable_files(DataLayout.of(location), dataset, decode_all=True)
        if not skipped:
            raise  # not a damaged file: a bug, reported as it is
    for item in skipped:
        log.warning("skipped unreadable Parquet file %s: %s", item.file, item.reason)
    files = [stored.location for stored in readable]
    return _read_once(files, query) if files else []


def _read_once(files: list[str], query: Callable[[duckdb.DuckDBPyConnection, list[str]], list[tuple]]) -> list[tuple]:
    con = _reader(files)
    try:
        return query(con, files)
    finally:
        con.close()


def _latest_outcomes(location: Location) -> list[tuple[str, str, str | None]]:
    def query(con: duckdb.DuckDBPyConnection, files: list[str]) -> list[tuple]:
        con.execute("SET VARIABLE captures_files = ?", [files])
        return con.execute(sql_text("latest_outcomes.sql")).fetchall()

    return _read(location, "captures", query)


def completed_capture_ids(location: Location) -> set[str]:
    """capture_ids whose latest outcome is an article or a permanent rejection (skip them)."""
    return {
        capture_id
        for capture_id, status, reason in _latest_outcomes(location)
        if status == "article" or not is_transient(reason)
    }


def transient_failures(location: Location) -> dict[str, str]:
    """capture_id → reason, for captures whose latest outcome is a transient failure (retry them)."""
    return {
        capture_id: reason
        for capture_id, status, reason in _latest_outcomes(location)
        if status != "article" and reason is not None and is_transient(reason)
    }


def committed_article_ids(location: Location) -> set[str]:
    """Every article_id some capture's ledger row says it became: the articles whose writing
    was committed (an article file written by a run killed before its ledger rows is not)."""
    rows = _rows(
        location,
        "captures",
        "SELECT DISTINCT article_id FROM read_parquet(?, hive_partitioning = false) WHERE status = 'article'",
    )
    return {row[0] for row in rows}


def article_ids(location: Location) -> set[str]:
    """Every article_id in the articles Parquet dataset."""
    return set(article_hashes(location))


def article_hashes(location: Location) -> dict[str, str]:
    """article_id → content_hash for every article in the Parquet dataset (one row per id)."""
    return dict(
        _rows(
            location,
            "articles",
            "SELECT article_id, min(content_hash) FROM read_parquet(?, hive_partitioning = false) GROUP BY article_id",
        )
    )


def source_cursor(location: Location, source_name: str) -> datetime | None:
    """The latest capture time any run of the configured source `source_name` ingested, or None.

    Incremental state, like dlt's: a row in the runs dataset, so it survives a rebuild.
    """
    rows = _rows(
        location,
        "runs",
        "SELECT max(cursor_captured_at) FROM read_parquet(?, hive_partitioning = false, union_by_name = true)"
        " WHERE source_name = ?",
        source_name,
    )
    return rows[0][0] if rows else None


def warc_files(location: Location) -> list[str]:
    """Every WARC file the ledger says holds a capture's raw response (for `reprocess`)."""
    rows = _rows(
        location,
        "captures",
        "SELECT DISTINCT warc_file FROM read_parquet(?, hive_partitioning = false) WHERE warc_file IS NOT NULL ORDER BY 1",
    )
    return [row[0] for row in rows]


def _rows(location: Location, dataset: str, sql: str, *params: object) -> list[tuple]:
    """The rows of `sql` over the dataset's files (bound to its first `?`); [] when it has none."""
    return _read(location, dataset, lambda con, files: con.execute(sql, [files, *params]).fetchall())
