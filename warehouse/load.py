"""Loading the Parquet dataset into DuckDB: only new files, merged one row per key.

Parquet is the source of truth; `warehouse.duckdb` is a derived, queryable copy. `load`
reads only the files not yet in the `loads` ledger and merges them (sql/merge_*.sql, ranked
by sql/rank_*.sql), so deleting the DuckDB file and loading again rebuilds it exactly. The
full-text index follows (warehouse/fts.py), or is deferred to a later load. A writer holds
the file only for the load: readers wait for it or answer from Parquet (warehouse/query.py).

A file that cannot be read (warehouse/unreadable.py) is skipped, named in the summary and in
the `unreadable_files` table, and tried again by the next load; the rest loads.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from warehouse import fts, parquet, storage, unreadable
from warehouse.connection import connect, scalar
from warehouse.layout import DataLayout, Location
from warehouse.schema import RunRecord
from warehouse.sqlfiles import sql_statements
from warehouse.tables import TABLES, ensure_schema, ensure_views
from warehouse.unreadable import READ_ERRORS, UnreadableFile

log = logging.getLogger("newsarchive.warehouse")

# With a memory limit, freed memory above this goes back to the system after each statement
# (DuckDB's default kept an index chunk's memory resident: bench/README.md).
ALLOCATOR_FLUSH_THRESHOLD = "8MB"

_READ_FILES = "read_parquet(?, hive_partitioning = false, union_by_name = true)"
_LOAD_COLUMNS = (
    "file",
    "dataset",
    "row_count",
    "byte_count",
    "modified_ns",
    "sha256",
    "run_id",
    "load_id",
    "loaded_at",
)


@dataclass(frozen=True, slots=True)
class LoadSummary:
    """What one `load` did."""

    new_file_count: int  # Parquet files loaded by this call (all datasets)
    new_article_count: int  # article_ids not in the warehouse before
    replaced_article_count: int  # existing articles replaced by a better-ranked capture
    total_article_count: int
    new_capture_row_count: int
    new_run_count: int
    skipped_file_count: int  # files already loaded and unchanged
    fts_update: str  # "none", "incremental", "rebuild" or "deferred" (update_search_index=False)
    fts_duration_s: float
    duration_s: float
    fts_pending_count: int = 0  # articles not in the search index yet (left by deferred loads)
    # Parquet files skipped because they cannot be read: their rows are not in the warehouse
    unreadable_files: tuple[UnreadableFile, ...] = ()


@dataclass(frozen=True, slots=True)
class _FileFacts:
    path: str  # local path or object-storage URI
    relative: str
    dataset: str
    byte_count: int
    modified_ns: int


@dataclass(frozen=True, slots=True)
class _Pending:
    """A new or changed file to load, with what its footer says."""

    facts: _FileFacts
    sha256: str
    row_count: int
    run_id: str | None


@dataclass
class _Merged:
    """What the merge transaction of one load did."""

    file_count: int = 0
    new_articles: int = 0
    replaced_articles: int = 0
    captures: int = 0
    runs: int = 0
    rebuilt_index: bool = False
    deferred_mode: str = "none"  # what fts.defer answered
    fts_duration_s: float = 0.0


def load(
    location: Location,
    *,
    lock_timeout_s: float | None = None,
    rebuild_index: bool = False,
    update_search_index: bool = True,
    threads: int | None = None,
    memory_limit: str | None = None,
) -> LoadSummary:
    """Load Parquet files not yet in the warehouse and bring the FTS index up to date.

    Cost follows the new files: the merge touches only their keys and the index is updated
    for the changed articles only (a full rebuild when there is no index yet, its settings
    changed, or `rebuild_index`). A second call with no new files changes nothing. The merge
    is one transaction; the index update follows in transactions of fts.FTS_INDEX_CHUNK
    articles (memory stays flat however many articles wait); a crash in between leaves the
    rest in `fts_pending` for the next load.

    With `update_search_index=False` (periodic loads while a run still extracts) the index
    update, most of a load's cost, is deferred: the changed article_ids wait in the table
    `fts_pending`, and the next load that updates the index indexes them too, with the same
    result as if each load had. Until then search does not find those articles (an article
    replaced by a deferred load is taken out of the index at once, so search never returns a
    row for words it no longer contains); everything else sees them at once.

    `threads` and `memory_limit` (e.g. '128MB') bound what this load takes from the machine;
    beyond the memory limit DuckDB spills to a temporary directory next to the warehouse, and
    its allocator hands freed memory back to the system after each statement.
    """
    started = time.perf_counter()
    layout = DataLayout.of(location)
    files = _discover(layout)
    con = connect(layout, read_only=False, lock_timeout_s=lock_timeout_s)
    try:
        _limit_resources(con, threads=threads, memory_limit=memory_limit)
        ensure_schema(con)
        pending, skipped, unreadable_files = _new_files(con, files)
        merged = _merge_retrying(con, pending, unreadable_files, rebuild_index=rebuild_index)
        fts_started = time.perf_counter()
        indexed_count = fts.index_pending(con) if update_search_index or rebuild_index else 0
        fts_duration = merged.fts_duration_s + time.perf_counter() - fts_started
        fts_mode = merged.deferred_mode
        if indexed_count:
            fts_mode = "rebuild" if merged.rebuilt_index else "incremental"
        total = scalar(con, "SELECT count(*) FROM articles")
        fts_pending_count = scalar(con, "SELECT count(*) FROM fts_pending")
        if merged.file_count or fts_mode != "none":
            con.execute("CHECKPOINT")
    finally:
        con.close()
    for item in unreadable_files:  # also in the summary; logged for runs whose loads print none
        log.warning(
            "skipped unreadable Parquet file %s (its rows are not in the warehouse): %s", item.file, item.reason
        )
    return LoadSummary(
        new_file_count=merged.file_count,
        new_article_count=merged.new_articles,
        replaced_article_count=merged.replaced_articles,
        total_article_count=total,
        new_capture_row_count=merged.captures,
        new_run_count=merged.runs,
        skipped_file_count=skipped,
        fts_update=fts_mode,
        fts_duration_s=fts_duration,
        duration_s=time.perf_counter() - started,
        fts_pending_count=fts_pending_count,
        unreadable_files=tuple(unreadable_files),
    )


def record_run(
    location: Location,
    run: RunRecord,
    *,
    lock_timeout_s: float | None = None,
    update_search_index: bool = True,
) -> Path | str:
    """Keep the run's row: as Parquet (`parquet/runs/`, so a rebuild restores it), then in DuckDB.

    Returns the Parquet path (a URI on object storage). The DuckDB part is an ordinary
    incremental load of that file (which also indexes articles deferred by earlier loads,
    unless `update_search_index` is False).
    """
    layout = DataLayout.of(location)
    path = parquet.write_run(layout, run)
    load(layout, lock_timeout_s=lock_timeout_s, update_search_index=update_search_index)
    return path


def _limit_resources(con: duckdb.DuckDBPyConnection, *, threads: int | None, memory_limit: str | None) -> None:
    if threads is not None:
        con.execute(f"SET threads = {int(threads)}")
    if memory_limit is not None:
        con.execute("SET memory_limit = ?", [memory_limit])
        con.execute("SET allocator_flush_threshold = ?", [ALLOCATOR_FLUSH_THRESHOLD])


def _discover(layout: DataLayout) -> list[_FileFacts]:
    facts = []
    for dataset in parquet.DATASETS:
        for stored in parquet.dataset_files(layout, dataset):
            facts.append(_FileFacts(stored.location, stored.relative, dataset, stored.byte_count, stored.modified_ns))
    return facts


def _new_files(
    con: duckdb.DuckDBPyConnection, files: list[_FileFacts]
) -> tuple[dict[str, list[_Pending]], int, list[UnreadableFile]]:
    """(dataset → files to load, count of files skipped as already loaded, unreadable files).

    A file whose size and mtime match the ledger is skipped unread; one touched but with the
    same sha256 only gets its new mtime recorded. A file that cannot be read, or whose Parquet
    footer cannot, is set aside as unreadable.
    """
    known = {
        row[0]: row[1:] for row in con.execute("SELECT file, byte_count, modified_ns, sha256 FROM loads").fetchall()
    }
    pending: dict[str, list[_Pending]] = {dataset: [] for dataset in parquet.DATASETS}
    skipped, unreadable_files = 0, []
    for facts in files:
        previous = known.get(facts.relative)
        if previous is not None and previous[0] == facts.byte_count and previous[1] == facts.modified_ns:
            skipped += 1
            continue
        try:
            sha = storage.file_sha256(facts.path)
            if previous is not None and previous[2] == sha:
                skipped += 1  # touched but identical: remember the new mtime, load nothing
                con.execute("UPDATE loads SET modified_ns = ? WHERE file = ?", [facts.modified_ns, facts.relative])
                continue
            row_count, run_id = unreadable.footer_rows_and_run(facts.path)
        except READ_ERRORS as error:
            unreadable_files.append(UnreadableFile(facts.relative, facts.dataset, unreadable.reason_text(error)))
            continue
        pending[facts.dataset].append(_Pending(facts, sha, row_count, run_id))
    return pending, skipped, unreadable_files


def _merge_retrying(
    con: duckdb.DuckDBPyConnection,
    pending: dict[str, list[_Pending]],
    unreadable_files: list[UnreadableFile],
    *,
    rebuild_index: bool,
) -> _Merged:
    """`_merge_all`; when DuckDB fails on the files, find those whose data cannot be decoded
    (their footers were fine), add them to `unreadable_files` and merge the rest again."""
    while True:
        try:
            return _merge_all(con, pending, unreadable_files, rebuild_index=rebuild_index)
        except duckdb.Error:
            damaged = [
                UnreadableFile(item.facts.relative, dataset, problem)
                for dataset, batch in pending.items()
                for item in batch
                if (problem := unreadable.data_problem(item.facts.path)) is not None
            ]
            if not damaged:
                raise  # not a damaged file: a bug or a full disk, reported as it is
            names = {item.file for item in damaged}
            unreadable_files += damaged
            pending = {
                dataset: [item for item in batch if item.facts.relative not in names]
                for dataset, batch in pending.items()
            }


def _merge_all(
    con: duckdb.DuckDBPyConnection,
    pending: dict[str, list[_Pending]],
    unreadable_files: list[UnreadableFile],
    *,
    rebuild_index: bool,
) -> _Merged:
    """One transaction: merge every dataset's new files, then mark the changed articles for
    the search index (or start a fresh index), and refresh the views when needed. The
    `unreadable_files` table is replaced with this load's findings."""
    merged = _Merged(file_count=sum(len(batch) for batch in pending.values()))
    load_id = uuid.uuid4().hex
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("CREATE OR REPLACE TEMP TABLE fts_changed (article_id VARCHAR)")
        for dataset, batch in pending.items():
            if batch:
                _merge(con, dataset, [item.facts.path for item in batch], merged)
                _record_loads(con, dataset, batch, load_id)
        unreadable.record(con, unreadable_files)
        fts_started = time.perf_counter()
        merged.rebuilt_index = rebuild_index or fts.is_stale(con)
        merged.deferred_mode = fts.defer(con, rebuild=merged.rebuilt_index)
        merged.fts_duration_s = time.perf_counter() - fts_started  # the merge's commit is not index time
        con.execute("DROP TABLE fts_changed")
        ensure_views(con, force=merged.rebuilt_index)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return merged


def _merge(con: duckdb.DuckDBPyConnection, dataset: str, paths: list[str], merged: _Merged) -> None:
    """Merge one dataset's new files. The common case (keys all new, none twice) is a plain
    INSERT from the files, a single copy like CREATE TABLE AS; otherwise sql/merge_<dataset>.sql
    ranks old and new rows per key."""
    keys = ", ".join(TABLES[dataset][1])
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE incoming_keys AS SELECT {keys}, count(*) AS row_count FROM {_READ_FILES} GROUP BY ALL",
        [paths],
    )
    repeated = scalar(con, "SELECT coalesce(max(row_count), 0) > 1 FROM incoming_keys")
    clashing = scalar(con, f"SELECT count(*) FROM {dataset} SEMI JOIN incoming_keys USING ({keys})")
    before = scalar(con, f"SELECT count(*) FROM {dataset}")
    if not repeated and not clashing:
        con.execute(f"INSERT INTO {dataset} BY NAME SELECT * FROM {_READ_FILES}", [paths])
        changed_keys = "incoming_keys"
    else:
        con.execute(f"CREATE OR REPLACE TEMP TABLE incoming AS SELECT * FROM {_READ_FILES}", [paths])
        for statement in sql_statements(f"merge_{dataset}.sql"):
            con.execute(statement)
        con.execute("DROP TABLE incoming")
        changed_keys = "winners"
    changed = scalar(con, f"SELECT count(*) FROM {changed_keys}")
    added = scalar(con, f"SELECT count(*) FROM {dataset}") - before
    if dataset == "articles":
        con.execute(f"INSERT INTO fts_changed SELECT article_id FROM {changed_keys}")
        merged.new_articles += added
        merged.replaced_articles += changed - added
    elif dataset == "captures":
        merged.captures += changed
    else:
        merged.runs += changed
    con.execute("DROP TABLE IF EXISTS winners")
    con.execute("DROP TABLE incoming_keys")


def _record_loads(con: duckdb.DuckDBPyConnection, dataset: str, batch: list[_Pending], load_id: str) -> None:
    """One row per loaded file in the `loads` ledger, in one statement from an Arrow table
    (executemany would run a statement per row: see bench/README.md)."""
    loaded_at = datetime.now(UTC)
    rows = []
    for item in batch:
        facts = item.facts
        values = (
            facts.relative,
            dataset,
            item.row_count,
            facts.byte_count,
            facts.modified_ns,
            item.sha256,
            item.run_id,
            load_id,
            loaded_at,
        )
        rows.append(dict(zip(_LOAD_COLUMNS, values, strict=True)))
    new_loads = pa.Table.from_pylist(rows)
    con.register("new_loads", new_loads)
    try:
        con.execute("INSERT OR REPLACE INTO loads SELECT * FROM new_loads")
    finally:
        con.unregister("new_loads")
