"""Counts and field coverage of the warehouse, for `newsarchive stats` (and anyone else)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from warehouse import parquet, unreadable
from warehouse.connection import WarehouseError, one_line, scalar
from warehouse.layout import DataLayout, Location
from warehouse.query import read_with
from warehouse.sqlfiles import sql_text
from warehouse.storage import StoredFile


@dataclass(frozen=True, slots=True)
class DatasetFiles:
    file_count: int
    byte_count: int


@dataclass
class WarehouseStats:
    source: str  # "warehouse" or "parquet" (while a load holds the warehouse)
    article_count: int
    publication_count: int
    author_count: int
    undated_count: int
    earliest_published_at: datetime | None
    latest_published_at: datetime | None
    capture_count: int
    rejection_count: int
    run_count: int
    publications: list[tuple] = field(default_factory=list)  # (publication, count, earliest, latest)
    rejections: list[tuple] = field(default_factory=list)  # (reason, count, percent)
    field_coverage: list[tuple] = field(default_factory=list)  # (field, filled, total, percent)
    last_run: tuple | None = None  # (run_id, source, finished_at, article_count, new_article_count)
    files: dict[str, DatasetFiles] = field(default_factory=dict)
    warehouse_byte_count: int | None = None
    # articles loaded but not in the search index yet (loads that deferred it); None from Parquet
    search_pending_count: int | None = None
    # Parquet files that cannot be read, skipped (their rows are missing): (file, reason)
    unreadable_files: list[tuple[str, str]] = field(default_factory=list)


def collect(location: Location) -> WarehouseStats:
    """One short read (warehouse or Parquet fallback) plus a walk of the dataset's files."""
    layout = DataLayout.of(location)
    listed = {dataset: parquet.dataset_files(layout, dataset) for dataset in parquet.DATASETS}
    files = {
        dataset: DatasetFiles(len(stored), sum(f.byte_count for f in stored)) for dataset, stored in listed.items()
    }
    warehouse = layout.warehouse_path

    def work(con: duckdb.DuckDBPyConnection, source: str) -> WarehouseStats:
        last_run = con.execute(
            "SELECT run_id, source, finished_at, article_count, new_article_count FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1"
        ).fetchone()
        pending = None
        if source == "warehouse" and _has_table(con, "fts_pending"):  # absent until this version's first load
            pending = scalar(con, "SELECT count(*) FROM fts_pending")
        return WarehouseStats(
            source=source,
            **_totals(con),
            publications=con.execute(sql_text("stats_publications.sql")).fetchall(),
            rejections=con.execute(
                "SELECT reason, capture_count, capture_percent FROM rejections_by_reason"
            ).fetchall(),
            field_coverage=con.execute("SELECT * FROM field_coverage").fetchall(),
            last_run=last_run,
            files=files,
            warehouse_byte_count=warehouse.stat().st_size if warehouse.exists() else None,
            search_pending_count=pending,
            unreadable_files=_unreadable(con, source, listed),
        )

    try:
        return read_with(layout, work)
    except duckdb.Error as error:
        raise WarehouseError(one_line(error)) from error


def _unreadable(
    con: duckdb.DuckDBPyConnection, source: str, listed: dict[str, list[StoredFile]]
) -> list[tuple[str, str]]:
    """(file, reason) of the dataset's unreadable files: those the last load (or the Parquet
    fallback) found, and, from the warehouse, any file not loaded yet whose footer fails now."""
    found: dict[str, str] = {}
    if _has_table(con, "unreadable_files"):  # absent until a warehouse's first load by this version
        found.update(con.execute("SELECT file, reason FROM unreadable_files").fetchall())
    if source == "warehouse" and _has_table(con, "loads"):
        loaded = set(con.execute("SELECT file, byte_count, modified_ns FROM loads").fetchall())
        for stored in (stored for files in listed.values() for stored in files):
            if (stored.relative, stored.byte_count, stored.modified_ns) not in loaded:
                problem = unreadable.footer_problem(stored.location)
                if problem is not None:
                    found[stored.relative] = problem
    present = {stored.relative for files in listed.values() for stored in files}
    return sorted((file, reason) for file, reason in found.items() if file in present)


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(
        scalar(con, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = ?", [name])
    )


def _totals(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The headline counts of sql/stats_totals.sql by column name (each names a WarehouseStats field)."""
    cursor = con.execute(sql_text("stats_totals.sql"))
    row = cursor.fetchone()
    if row is None or cursor.description is None:
        raise WarehouseError("sql/stats_totals.sql returned no row")
    return dict(zip([d[0] for d in cursor.description], row, strict=True))
