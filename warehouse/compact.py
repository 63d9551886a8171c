"""Merge the small Parquet files of each partition into one; keep only the current row of each article.

Every batch of a run writes one file per partition, so a long-lived dataset collects many
small files, which slow down every reader. `compact` rewrites each partition directory that
holds several small files as one file (`part-compact-<digest>.parquet`): written atomically
first, then the sources are removed. If it is killed between the two steps, the rows exist
twice for a moment; readers and loads pick one row per key anyway, and the next `compact`
drops exact duplicate rows while merging, so the dataset converges to the same content.

Articles: a `reprocess` (a newer extraction) or a run that met an earlier capture leaves more
than one row for an article in the Parquet files. The warehouse and the Parquet views pick the
current row (sql/rank_articles.sql), but other Parquet readers would see them all; so compact
also rewrites every file that holds a superseded row (or an exact copy), keeping only the
current rows (sql/compact_winners.sql): after it, each article has one row in the dataset.

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
import pyarrow as pa
import pyarrow.parquet as pq

from warehouse import parquet, storage, unreadable
from warehouse.connection import WarehouseError, connect, one_row
from warehouse.layout import DataLayout, Location
from warehouse.sqlfiles import sql_statements
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
    duplicate_row_count: int  # rows dropped: exact copies (an interrupted compact) and superseded article rows
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
        groups = _partitions(layout, dataset, skipped)
        current = None
        if dataset == "articles":
            current, superseded_in = _current_article_rows(layout, skipped)
            for path in superseded_in:  # rewritten even alone, or when large
                groups.setdefault(path.parent, [])
                if path not in groups[path.parent]:
                    groups[path.parent].append(path)
        for directory, files in sorted(groups.items()):
            partition_count += 1
            source_count += len(files)
            if dry_run:
                continue
            new_path, row_count, dropped = _merge_files(dataset, directory, sorted(files), current)
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


def _current_article_rows(layout: DataLayout, skipped: list[UnreadableFile]) -> tuple[pa.Table, list[Path]]:
    """(keys of the current row of every article, the files holding any other row)."""
    dataset_root = Path(parquet.dataset_dir(layout, "articles"))
    unreadable_names = {item.file for item in skipped}
    files = [
        str(p)
        for p in parquet.list_files(layout, "articles")
        if _ledger_name(dataset_root, "articles", p) not in unreadable_names
    ]
    if not files:
        return pa.table({"row_key": pa.array([], pa.string())}), []
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute("SET VARIABLE article_files = ?", [files])
        for statement in sql_statements("compact_winners.sql"):
            con.execute(statement)
        current = con.execute("SELECT row_key FROM current_rows").fetch_arrow_table()
        rewrite = [Path(row[0]) for row in con.execute("SELECT filename FROM files_to_rewrite ORDER BY 1").fetchall()]
    finally:
        con.close()
    return current, rewrite


def _merge_files(dataset: str, directory: Path, files: list[Path], current: pa.Table | None) -> tuple[Path, int, int]:
    """The files as one, sorted; exact copies dropped, and for articles every row not `current`."""
    schema = parquet.SCHEMAS[dataset]
    source_rows = sum(pq.read_metadata(path).num_rows for path in files)
    con = duckdb.connect(":memory:")
    keep = ""
    try:
        con.execute("SET TimeZone = 'UTC'")
        if current is not None:
            con.register("current_rows", current)
            keep = (
                " WHERE md5(concat_ws('|', article_id, CAST(captured_at AS VARCHAR), extractor_version,"
                " coalesce(run_id, ''), content_hash, url)) IN (SELECT row_key FROM current_rows)"
            )
        table = con.execute(
            f"SELECT DISTINCT * FROM read_parquet(?, hive_partitioning = false, union_by_name = true){keep} ORDER BY {SORT_KEYS[dataset]}",
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
