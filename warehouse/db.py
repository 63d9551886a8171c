"""The warehouse's public entry: open it, load it, query it.

`<data-dir>/warehouse.duckdb` is a DuckDB copy of the Parquet dataset, loaded incrementally
and rebuildable from it. Each job has its own module; this one re-exports what callers use,
so `from warehouse import db` then `db.load(...)`, `db.query(...)` is all most need:

    connection.py  open read-write / read-only, lock retry, WarehouseError and kin
    tables.py      tables from the Arrow schema, views and macros
    load.py        load new Parquet files (LoadSummary), record a run
    fts.py         the full-text index, updated incrementally
    query.py       read-only SQL, with the Parquet fallback while a load holds the file

Every function takes a `DataLayout` or a data directory (the Parquet dataset then in
`<data-dir>/parquet`).
"""

from __future__ import annotations

from warehouse.connection import WarehouseBusy, WarehouseError, WarehouseMissing, connect, warehouse_path
from warehouse.layout import DataLayout, Location
from warehouse.load import LoadSummary, load, record_run
from warehouse.query import QueryRefused, QueryResult, open_for_reading, parquet_connection, query, run_query

__all__ = [
    "DataLayout",
    "LoadSummary",
    "Location",
    "QueryRefused",
    "QueryResult",
    "WarehouseBusy",
    "WarehouseError",
    "WarehouseMissing",
    "connect",
    "load",
    "open_for_reading",
    "parquet_connection",
    "query",
    "record_run",
    "run_query",
    "warehouse_path",
]
