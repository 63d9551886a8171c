"""Opening the DuckDB warehouse: read-write or read-only, with the extensions it needs.

DuckDB allows one process at a time on the file, so `connect` retries while another process
holds it and then raises `WarehouseBusy`; a read-only open of a missing file raises
`WarehouseMissing`. Every connection gets the fts extension (DuckDB cannot download it here)
and UTC; read-write ones (loads, which read the Parquet files) also get httpfs with the S3
secret when the Parquet dataset is on object storage. Read-only ones read only the file: the
readers of warehouse/query.py lock them down (warehouse/sandbox.py).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import duckdb
import duckdb_extension_fts

from warehouse import storage
from warehouse.layout import DataLayout, Location

FTS_EXTENSION = (
    Path(duckdb_extension_fts.__file__).parent / "extensions" / f"v{duckdb.__version__}" / "fts.duckdb_extension"
)
WRITE_LOCK_TIMEOUT_S = 60.0
READ_LOCK_TIMEOUT_S = 2.0


class WarehouseError(Exception):
    """A problem with the warehouse the user can act on (one line, no traceback)."""


class WarehouseBusy(WarehouseError):
    """Another process holds the DuckDB file; transient: retry later."""


class WarehouseMissing(WarehouseError):
    """Neither a warehouse nor a Parquet dataset exists yet."""


def warehouse_path(location: Location) -> Path:
    return DataLayout.of(location).warehouse_path


def prepare(con: duckdb.DuckDBPyConnection, layout: DataLayout | None = None) -> duckdb.DuckDBPyConnection:
    """Per-connection setup: the fts extension, UTC, no progress bar, and httpfs when the
    layout's Parquet dataset is on object storage."""
    extension = str(FTS_EXTENSION).replace("'", "''")
    con.execute(f"LOAD '{extension}'")
    if layout is not None:
        storage.prepare_duckdb(con, [layout.parquet_root])
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET enable_progress_bar = false")  # it would print into the CLI's output
    return con


def _is_lock_error(error: Exception) -> bool:
    return "lock" in str(error).lower()


def connect(location: Location, *, read_only: bool, lock_timeout_s: float | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse, retrying while another process holds the file.

    Raises WarehouseBusy after `lock_timeout_s`, WarehouseMissing for a read-only open of a
    warehouse that does not exist.
    """
    layout = DataLayout.of(location)
    path = layout.warehouse_path
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
        return prepare(con, None if read_only else layout)


def one_row(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> tuple[Any, ...]:
    """The first row of `sql`; a WarehouseError naming the SQL when it returns none."""
    row = con.execute(sql, params).fetchone()
    if row is None:
        raise WarehouseError(f"expected a row, got none from: {one_line(sql)}")
    return row


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] | None = None) -> Any:
    """The first value of the first row of `sql` (a count, a flag); WarehouseError when there is no row."""
    return one_row(con, sql, params)[0]


def one_line(error: Exception | str) -> str:
    return " ".join(str(error).split())
