"""Counts and field coverage of the warehouse, for `newsarchive stats` (and anyone else)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb

from warehouse import parquet
from warehouse.connection import WarehouseError, scalar
from warehouse.layout import DataLayout, Location
from warehouse.query import open_for_reading
from warehouse.sqlfiles import sql_text


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


def collect(location: Location) -> WarehouseStats:
    """One short read (warehouse or Parquet fallback) plus a walk of the dataset's files."""
    layout = DataLayout.of(location)
    with open_for_reading(layout) as (con, source):
        totals = _totals(con)
        publications = con.execute(sql_text("stats_publications.sql")).fetchall()
        rejections = con.execute("SELECT reason, capture_count, capture_percent FROM rejections_by_reason").fetchall()
        coverage = con.execute("SELECT * FROM field_coverage").fetchall()
        last_run = con.execute(
            "SELECT run_id, source, finished_at, article_count, new_article_count FROM runs ORDER BY started_at DESC, run_id DESC LIMIT 1"
        ).fetchone()
        pending = None
        has_pending_table = scalar(
            con, "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' AND table_name = 'fts_pending'"
        )
        if source == "warehouse" and has_pending_table:  # absent until a warehouse's first load by this version
            pending = scalar(con, "SELECT count(*) FROM fts_pending")
    files = {}
    for dataset in parquet.DATASETS:
        stored = parquet.dataset_files(layout, dataset)
        files[dataset] = DatasetFiles(len(stored), sum(f.byte_count for f in stored))
    warehouse = layout.warehouse_path
    return WarehouseStats(
        source=source,
        **totals,
        publications=publications,
        rejections=rejections,
        field_coverage=coverage,
        last_run=last_run,
        files=files,
        warehouse_byte_count=warehouse.stat().st_size if warehouse.exists() else None,
        search_pending_count=pending,
    )


def _totals(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    """The headline counts of sql/stats_totals.sql by column name (each names a WarehouseStats field)."""
    cursor = con.execute(sql_text("stats_totals.sql"))
    row = cursor.fetchone()
    if row is None or cursor.description is None:
        raise WarehouseError("sql/stats_totals.sql returned no row")
    return dict(zip([d[0] for d in cursor.description], row, strict=True))
