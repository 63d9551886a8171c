"""What the runs did, for `newsarchive runs` and `newsarchive rejections`: read-only queries of
the `runs` and `captures` tables (answered from Parquet while a load holds the warehouse)."""

from __future__ import annotations

from warehouse.layout import Location
from warehouse.query import QueryResult, run_query
from warehouse.sqlfiles import sql_text


def list_runs(location: Location, *, limit: int = 20) -> QueryResult:
    """The latest `limit` runs: status, source, start, duration and counts."""
    return run_query(location, sql_text("list_runs.sql"), [limit])


def latest_run_id(location: Location) -> str | None:
    rows = list_runs(location, limit=1).rows
    return rows[0][0] if rows else None


def list_rejections(
    location: Location, *, reason: str | None = None, run_id: str | None = None, limit: int = 100
) -> QueryResult:
    """Rejected captures with reason, detail and URL; only `reason`'s, only `run_id`'s if given."""
    return run_query(location, sql_text("list_rejections.sql"), [reason, run_id, limit])
