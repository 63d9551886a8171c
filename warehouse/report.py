"""The numbers behind `newsarchive report`: every aggregate computed in DuckDB (sql/report_*.sql).

`collect` reads the warehouse once (or the Parquet views while a load holds it) and returns
small tables of plain values; warehouse/report_charts.py draws them and
warehouse/report_html.py writes the page. The same tables feed the Prefect run artifact
(flows/artifacts.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import duckdb

from warehouse.connection import WarehouseError, WarehouseMissing, one_line
from warehouse.layout import DataLayout, Location
from warehouse.query import read_with
from warehouse.sqlfiles import sql_text

Rows = list[dict[str, Any]]

# name -> SQL file; each becomes a list of row dicts in ReportData.tables
SECTIONS = {
    "monthly": "report_monthly.sql",
    "coverage": "report_coverage.sql",
    "rejections": "report_rejections.sql",
    "authors": "report_authors.sql",
    "sections": "report_sections.sql",
    "runs": "report_runs.sql",
    "latest": "report_latest.sql",
}


@dataclass
class ReportData:
    generated_at: datetime
    source: str  # "warehouse", "parquet" (while a load holds the warehouse) or "none" (nothing yet)
    totals: dict[str, Any]
    tables: dict[str, Rows] = field(default_factory=dict)
    precision_from: str = "derived"  # "column" (published_precision) or "derived" (from the value)

    @property
    def empty(self) -> bool:
        return not self.totals.get("article_count")


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> Rows:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _has_column(con: duckdb.DuckDBPyConnection, table: str, column: str) -> bool:
    return any(row[0] == column for row in con.execute(f"DESCRIBE {table}").fetchall())


def collect(location: Location) -> ReportData:
    """The report's tables. A data directory with no warehouse and no Parquet dataset gives an
    empty report (it says so) rather than an error."""
    layout = DataLayout.of(location)
    now = datetime.now(UTC)

    def work(con: duckdb.DuckDBPyConnection, source: str) -> ReportData:
        totals = _rows(con, sql_text("report_totals.sql"))[0]
        data = ReportData(now, source, totals)
        for name, sql_file in SECTIONS.items():
            data.tables[name] = _rows(con, sql_text(sql_file))
        if _has_column(con, "articles", "published_precision"):
            data.precision_from = "column"
            data.tables["precision"] = _rows(con, sql_text("report_precision.sql"))
        else:
            data.tables["precision"] = _rows(con, sql_text("report_precision_derived.sql"))
        return data

    try:
        return read_with(layout, work)
    except WarehouseMissing:
        return ReportData(now, "none", {"article_count": 0}, {name: [] for name in [*SECTIONS, "precision"]})
    except duckdb.Error as error:
        raise WarehouseError(one_line(error)) from error
