"""What has been done already, read from the Parquet dataset (never from DuckDB).

A run asks these before fetching, so they must work while another process is loading the
DuckDB file (which then cannot be opened at all): they read the Parquet files with an
in-memory DuckDB instead.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from warehouse import db, parquet, storage

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


def _latest_outcomes(data_dir: Path) -> list[tuple[str, str, str | None]]:
    files = parquet.file_locations(data_dir, "captures")
    if not files:
        return []
    con = _reader(files)
    try:
        con.execute("SET VARIABLE captures_files = ?", [files])
        return con.execute(db.sql_text("latest_outcomes.sql")).fetchall()
    finally:
        con.close()


def completed_capture_ids(data_dir: Path) -> set[str]:
    """capture_ids whose latest outcome is an article or a permanent rejection (skip them)."""
    return {
        capture_id
        for capture_id, status, reason in _latest_outcomes(data_dir)
        if status == "article" or not is_transient(reason)
    }


def transient_failures(data_dir: Path) -> dict[str, str]:
    """capture_id → reason, for captures whose latest outcome is a transient failure (retry them)."""
    return {
        capture_id: reason
        for capture_id, status, reason in _latest_outcomes(data_dir)
        if status != "article" and is_transient(reason)
    }


def article_ids(data_dir: Path) -> set[str]:
    """Every article_id in the articles Parquet dataset."""
    return set(article_hashes(data_dir))


def article_hashes(data_dir: Path) -> dict[str, str]:
    """article_id → content_hash for every article in the Parquet dataset (one row per id)."""
    return dict(
        _rows(
            data_dir,
            "articles",
            "SELECT article_id, min(content_hash) FROM read_parquet(?, hive_partitioning = false) GROUP BY article_id",
        )
    )


def source_cursor(data_dir: Path, source_name: str):
    """The latest capture time any run of the configured source `source_name` ingested, or None.

    Incremental state, like dlt's: a row in the runs dataset, so it survives a rebuild.
    """
    rows = _rows(
        data_dir,
        "runs",
        "SELECT max(cursor_captured_at) FROM read_parquet(?, hive_partitioning = false, union_by_name = true)"
        " WHERE source_name = ?",
        source_name,
    )
    return rows[0][0] if rows else None


def warc_files(data_dir: Path) -> list[str]:
    """Every WARC file the ledger says holds a capture's raw response (for `reprocess`)."""
    rows = _rows(
        data_dir,
        "captures",
        "SELECT DISTINCT warc_file FROM read_parquet(?, hive_partitioning = false) WHERE warc_file IS NOT NULL ORDER BY 1",
    )
    return [row[0] for row in rows]


def _rows(data_dir: Path, dataset: str, sql: str, *params) -> list[tuple]:
    """The rows of `sql` over the dataset's files (bound to its first `?`); [] when it has none."""
    files = parquet.file_locations(data_dir, dataset)
    if not files:
        return []
    con = _reader(files)
    try:
        return con.execute(sql, [files, *params]).fetchall()
    finally:
        con.close()
