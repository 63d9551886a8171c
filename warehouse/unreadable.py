"""Damaged Parquet files: found, named and skipped, never a crash and never silent.

A file of the dataset that cannot be read (truncated by a full disk, overwritten, bit rot)
is left out by `load`, by the Parquet fallback and by `stats`, each of which reports it as an
`UnreadableFile`. Two checks: the footer (cheap: schema and row count, catches truncated and
foreign files), and a full decode of every column, which `load` runs only to find the culprit
when DuckDB fails on a batch whose footers were fine.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse import parquet, storage
from warehouse.layout import DataLayout
from warehouse.storage import StoredFile

# What reading a damaged file raises: IO errors, and pyarrow's (ArrowInvalid is a ValueError).
READ_ERRORS = (OSError, ValueError, pa.ArrowException)


@dataclass(frozen=True, slots=True)
class UnreadableFile:
    """A Parquet file of the dataset that was skipped because it cannot be read."""

    file: str  # 'parquet/<dataset>/...', as the loads ledger names files
    dataset: str
    reason: str  # the reader's error, on one line


def reason_text(error: BaseException) -> str:
    return " ".join(str(error).split()) or type(error).__name__


def footer_rows_and_run(location: str) -> tuple[int, str | None]:
    """Row count and the writing run's id, from the file's footer (raises READ_ERRORS)."""
    with storage.open_input(location) as handle:
        metadata = pq.read_metadata(handle)
    value = (metadata.metadata or {}).get(b"newsarchive.run_id")
    return metadata.num_rows, value.decode("utf-8") if value else None


def footer_problem(location: str) -> str | None:
    """Why the file's footer cannot be read, or None when it can."""
    try:
        footer_rows_and_run(location)
    except READ_ERRORS as error:
        return reason_text(error)
    return None


def data_problem(location: str) -> str | None:
    """Why some column of the file cannot be decoded, or None when all can (reads the whole file)."""
    try:
        with storage.open_input(location) as handle:
            pq.read_table(handle)
    except READ_ERRORS as error:
        return reason_text(error)
    return None


def readable_files(
    layout: DataLayout, dataset: str, *, decode_all: bool = False
) -> tuple[list[StoredFile], list[UnreadableFile]]:
    """The dataset's files whose footer reads (with `decode_all`: whose every column decodes),
    and the ones that do not."""
    readable, unreadable = [], []
    for stored in parquet.dataset_files(layout, dataset):
        problem = footer_problem(stored.location)
        if problem is None and decode_all:
            problem = data_problem(stored.location)
        if problem is None:
            readable.append(stored)
        else:
            unreadable.append(UnreadableFile(stored.relative, dataset, problem))
    return readable, unreadable


def record(con: duckdb.DuckDBPyConnection, unreadable: list[UnreadableFile]) -> None:
    """Replace the rows of the `unreadable_files` table (sql/tables.sql) with `unreadable`."""
    con.execute("DELETE FROM unreadable_files")
    if unreadable:
        con.executemany(
            "INSERT INTO unreadable_files VALUES (?, ?, ?, current_timestamp)",
            [(item.file, item.dataset, item.reason) for item in unreadable],
        )
