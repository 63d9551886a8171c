"""Merge the small Parquet files of each partition into one, without changing the data.

Every batch of a run writes one file per partition, so a long-lived dataset collects many
small files, which slow down every reader. `compact` rewrites each partition directory that
holds several small files as one file (`part-compact-<digest>.parquet`): written atomically
first, then the sources are removed. If it is killed between the two steps, the rows exist
twice for a moment; readers and loads pick one row per key anyway, and the next `compact`
drops exact duplicate rows while merging, so the dataset converges to the same content.

The runs dataset is left alone: one file per run, rewritten in place when a run records again.
A file that cannot be read (warehouse/unreadable.py) is neither merged nor removed: it stays
where it is, for someone to look at, and the summary names it.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from warehouse import parquet, storage, unreadable
from warehouse.connection import WarehouseError, connect, one_row
from warehouse.layout import DataLayout, Location
from warehouse.tables import ensure_schema
from warehouse.unreadable import UnreadableFile

COMPACTED_DATASETS = ("articles", "captures")
# Files at least this large are left as they are; smaller ones in a partition are merged.
SMALL_FILE_BYTES = 64 * 1024 * 1024
# Sort keys of each dataset, so a compacted file's row order does not depend on file order.
SORT_KEYS = {"articles": "article_id, captured_at, run_id, content_hash", "captures": "capture_id, run_id, recorded_at"}


@dataclass(frozen=True, slots=True)
class CompactSummary:
    partition_count: int  # partitions rewritten
    source_file_count: int  # files merged away
    written_file_count: int
    row_count: int  # rows in the written files
    duplicate_row_count: int  # exact duplicate rows dropped (left by an interrupted compact)
    ledger_updated: bool  # whether the warehouse's loads ledger was told (else the next load re-reads the rows)
    unreadable_files: tuple[UnreadableFile, ...] = ()  # small files left as they are: they cannot be read


def _partitions(layout: DataLayout, dataset: str, skipped: list[UnreadableFile]) -> dict[Path, list[Path]]:
    """Partition directory → its small files that can be read (read whole: compaction reads them
    anyway), where there are several; the unreadable ones go to `skipped`."""
    groups: dict[Path, list[Path]] = defaultdict(list)
    dataset_root = Path(parquet.dataset_dir(layout, dataset))
    for path in parquet.list_files(layout, dataset):
        if path.stat().st_size >= SMALL_FILE_BYTES:
            continue
        problem = unreadable.data_problem(str(path))
        if problem is None:
            groups[path.parent].append(path)
        else:
            skipped.append(UnreadableFile(_ledger_name(dataset_root, dataset, path), dataset, problem))
    return {directory: files for directory, files in groups.items() if len(files) > 1}


def compact(location: Location, *, dry_run: bool = False) -> CompactSummary:
    """Merge small files partition by partition. `dry_run` only counts what would be merged.

    Works on a local Parquet dataset only (object stores have no cheap in-place rewrite).
    """
    layout = DataLayout.of(location)
    partition_count = source_count = written = rows_written = duplicates = 0
    replaced: list[tuple[str, Path, list[str]]] = []  # (dataset, new file, source files as the ledger names them)
    skipped: list[UnreadableFile] = []
    for dataset in COMPACTED_DATASETS:
        dataset_root = Path(parquet.dataset_dir(layout, dataset))
        for directory, files in sorted(_partitions(layout, dataset, skipped).items()):
            partition_count += 1
            source_count += len(files)
            if dry_run:
                continue
            new_path, row_count, dropped = _merge_files(dataset, directory, files)
            written += 1
            rows_written += row_count
            duplicates += dropped
            for path in files:
                if path != new_path:
                    path.unlink()
            sources = [_ledger_name(dataset_root, dataset, p) for p in files if p != new_path]
            replaced.append((dataset, new_path, sources))
    ledger_updated = bool(replaced) and _update_ledger(layout, replaced)
    return CompactSummary(
        partition_count, source_count, written, rows_written, duplicates, ledger_updated, tuple(skipped)
    )


def _ledger_name(dataset_root: Path, dataset: str, path: Path) -> str:
    """A file's name in the loads ledger: `parquet/<dataset>/...` wherever the dataset lives."""
    return f"parquet/{dataset}/{path.relative_to(dataset_root).as_posix()}"


def _merge_files(dataset: str, directory: Path, files: list[Path]) -> tuple[Path, int, int]:
    schema = parquet.SCHEMAS[dataset]
    source_rows = sum(pq.read_metadata(path).num_rows for path in files)
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        table = con.execute(
            f"SELECT DISTINCT * FROM read_parquet(?, hive_partitioning = false, union_by_name = true) ORDER BY {SORT_KEYS[dataset]}",
            [[str(path) for path in files]],
        ).fetch_arrow_table()
    finally:
        con.close()
    table = parquet.conform(table, schema)
    digest = hashlib.sha256("\n".join(sorted(p.name for p in files)).encode()).hexdigest()[:12]
    new_path = directory / f"part-compact-{digest}.parquet"
    parquet.write_table(new_path, table)
    return new_path, table.num_rows, source_rows - table.num_rows


def _update_ledger(layout: DataLayout, replaced: list[tuple[str, Path, list[str]]]) -> bool:
    """Tell the warehouse the merged files hold rows it already has, so `load` skips them.

    Only when every source file was loaded; best effort (a busy or absent warehouse just
    means the next load reads the merged files once more, which changes nothing).
    """
    try:
        con = connect(layout, read_only=False, lock_timeout_s=5)
    except WarehouseError:
        return False
    try:
        ensure_schema(con)
        con.execute("BEGIN TRANSACTION")
        for dataset, path, sources in replaced:
            loaded = one_row(
                con,
                "SELECT count(*), any_value(run_id), any_value(load_id) FROM loads WHERE file IN (SELECT unnest(?))",
                [sources],
            )
            if loaded[0] != len(sources):
                continue
            new_file = _ledger_name(Path(parquet.dataset_dir(layout, dataset)), dataset, path)
            stat = path.stat()
            con.execute("DELETE FROM loads WHERE file IN (SELECT unnest(?))", [sources])
            con.execute(
                "INSERT OR REPLACE INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())",
                [
                    new_file,
                    dataset,
                    pq.read_metadata(path).num_rows,
                    stat.st_size,
                    stat.st_mtime_ns,
                    storage.file_sha256(path),
                    None,
                    "compact",
                ],
            )
        con.execute("COMMIT")
    finally:
        con.close()
    return True
