"""The Prefect flow: discover → fetch/read → extract → write Parquet → load DuckDB.

Tasks are coarse (one per batch of a few hundred captures): a Prefect task run costs about
25 ms of server CPU, so one task per URL would spend more on bookkeeping than on articles.
Writing happens in the flow, batch by batch, so deduplication against the dataset has one
owner and each batch's Parquet files land atomically: a run killed at any point resumes to the
same final dataset (a capture's ledger row is written after its article, and the ledger says
which captures are done).

Extraction is CPU-bound: on one machine it runs in a process pool owned by the flow, so a run
uses every core while the task threads fetch. On a Dask cluster (`task_runner_for`) each task
extracts in its own worker process instead.
"""

from __future__ import annotations

import hashlib
import logging
import multiprocessing
import os
import threading
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.settings import temporary_settings
from prefect.task_runners import ThreadPoolTaskRunner

from flows.acquire.captures import Capture, CaptureRef
from flows.acquire.shared_limits import SharedLimits, shared_limits_for_run
from flows.acquire.warc import WarcReadError, read_warc
from flows.extraction import (
    ArticleDeduplicator,
    BatchResult,
    CaptureBatch,
    RunTally,
    extract_batch,
    new_run_id,
    prepare_extraction_worker,
)
from transforms import article_id_for
from transforms.records import EXTRACTOR_VERSION, CaptureOutcome, Rejection
from warehouse import db, ledger, parquet, storage
from warehouse.schema import RunRecord

log = logging.getLogger("newsarchive")

SAMPLE_WARC = Path(__file__).parent / "sample" / "archive.warc.gz"
# Captures per task: fetching batches are I/O-bound and stay small; a batch of captures already
# on disk is pure CPU, and bigger batches halve Prefect's per-task cost (bench/pipeline.py).
DEFAULT_FETCH_BATCH_SIZE = 200
DEFAULT_WARC_BATCH_SIZE = 800
# Results of captures read from disk are written together every WRITE_EVERY captures (a Parquet
# file per partition, not per partition per task); fetched results after every batch, so a killed
# run never fetches a capture twice. Both are loaded into DuckDB every LOAD_EVERY articles, so the
# load's memory follows LOAD_EVERY, not the input, and overlaps extraction.
WRITE_EVERY = 2_000
LOAD_EVERY = 4_000  # merges only; the index is updated when the input ends (RunWriter.input_ended)
# What a run's loads may take from the machine they share with the extraction pool (RunWriter.load).
RUN_LOAD_LIMITS = {"threads": 1, "memory_limit": "128MB"}
WAYBACK_PREFIX = "https://web.archive.org/web"


@dataclass
class RunSummary:
    """What `run` prints at the end and what the `runs` table records."""

    run_id: str
    source: str
    started_at: datetime
    finished_at: datetime
    capture_count: int
    skipped_count: int
    article_count: int
    duplicate_count: int
    rejections: dict[str, int]
    total_article_count: int
    earliest_published_at: datetime | None = None
    latest_published_at: datetime | None = None
    errors: list[str] = field(default_factory=list)  # unusable inputs (damaged WARC files, ...)
    task_count: int = 0

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def rejection_count(self) -> int:
        return sum(self.rejections.values())


@dataclass(frozen=True)
class FetchSettings:
    """Everything a worker needs to build the run's fetcher (picklable, for Dask workers)."""

    data_dir: str
    run_id: str
    user_agent: str | None = None
    rates: tuple[str, ...] = ()  # `--rate` values: "N", "HOST=N", "HOST#cdx=N"
    archive: str | None = None  # its host serves replays: no robots.txt check
    fetch_workers: int = 8
    # Per-host limits shared by every process of the run (Dask workers); None: per process.
    shared_limits: SharedLimits | None = None


# -- per-process resources ---------------------------------------------------------------------
# A run's fetcher (with its per-host rate limiter) and raw archive are shared by every task
# thread in a process, so limits hold across concurrent batches; the extraction pool likewise.

_resources_lock = threading.Lock()
_fetch_resources: dict[str, tuple] = {}
_extraction_pool: Executor | None = None


def _fetch_resources_for(settings: FetchSettings):
    from flows.acquire.http import fetcher_from_options
    from flows.acquire.rawarchive import RawArchive

    with _resources_lock:
        if settings.run_id not in _fetch_resources:
            fetcher = fetcher_from_options(
                user_agent=settings.user_agent,
                rates=settings.rates,
                archive=settings.archive,
                shared_limits=settings.shared_limits,
            )
            archive = RawArchive(Path(settings.data_dir) / "warc", prefix=f"newsarchive-{settings.run_id}")
            _fetch_resources[settings.run_id] = (fetcher, archive)
        return _fetch_resources[settings.run_id]


def _close_fetch_resources(run_id: str) -> None:
    with _resources_lock:
        resources = _fetch_resources.pop(run_id, None)
    if resources:
        fetcher, archive = resources
        fetcher.close()
        archive.close()


def _start_extraction_pool(processes: int) -> None:
    """Processes for CPU-bound extraction; 'spawn' because forking a process that runs
    Prefect's threads can deadlock."""
    global _extraction_pool
    if processes > 1:
        _extraction_pool = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=prepare_extraction_worker,
        )


def _current_extraction_pool() -> Executor | None:
    """This process's extraction pool; None in a Dask worker, which extracts by itself.

    Task bodies call this instead of naming the global: Dask pickles a task's function by value
    with the globals it names, and a ProcessPoolExecutor cannot be pickled.
    """
    return _extraction_pool


def _stop_extraction_pool() -> None:
    global _extraction_pool
    if _extraction_pool is not None:
        _extraction_pool.shutdown(cancel_futures=True)
        _extraction_pool = None


# -- tasks -------------------------------------------------------------------------------------


@task(name="extract-batch", task_run_name="extract {label}", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def extract_batch_task(label: str, batch: CaptureBatch, run_id: str) -> BatchResult:
    """Captures already in hand (WARC files): extract them."""
    return extract_batch(batch.items, run_id=run_id, executor=_current_extraction_pool())


@task(name="fetch-batch", task_run_name="fetch {label}", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_batch_task(label: str, batch: CaptureBatch, settings: FetchSettings) -> BatchResult:
    """Fetch a batch politely (threads within the shared per-host limits), keep every response
    in the raw WARC archive, then extract."""
    from flows.acquire.fetching import fetch_batch

    fetcher, archive = _fetch_resources_for(settings)
    captures = fetch_batch(batch.items, fetcher, archive, max_workers=settings.fetch_workers)
    return extract_batch(captures, run_id=settings.run_id, executor=_current_extraction_pool())


# -- the flow ----------------------------------------------------------------------------------


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _write(data_dir: Path, batch: BatchResult, run_id: str) -> None:
    """Articles first, then the ledger rows: a ledger row is the commit mark of its capture."""
    if batch.articles:
        parquet.write_articles(data_dir, batch.articles, run_id=run_id)
    if batch.outcomes:
        parquet.write_captures(data_dir, batch.outcomes, run_id=run_id)


class RunWriter:
    """The write side of a run: deduplicates task results against the dataset, buffers them,
    writes them as Parquet (articles, then their ledger rows: a ledger row is the commit mark of
    its capture) and loads DuckDB every `load_every` new articles."""

    def __init__(
        self, root: Path, run_id: str, *, known: dict[str, str], load: bool, write_every: int, load_every: int
    ):
        self.root, self.run_id = root, run_id
        self.write_every = write_every
        self.dedupe = ArticleDeduplicator(known)
        self.tally = RunTally()
        self.unwritten = BatchResult()
        self.unloaded_count = 0  # written, not yet in DuckDB
        self.unindexed_count = 0  # in DuckDB, not yet in the search index
        self.new_article_count = 0
        self.loading = load
        self.load_every = load_every
        self.input_done = False

    def add(self, batch: BatchResult, *, hold: bool = False) -> None:
        """`hold`: only buffer (rows that cost nothing to redo, e.g. invalid input lines).
        Batches that finish after the input ended are written as usual but not loaded: the
        run's final load follows them, and a load just before it would only add its fixed cost
        to the end of the run."""
        batch = self.dedupe.filter(batch)
        self.unwritten.articles.extend(batch.articles)
        self.unwritten.outcomes.extend(batch.outcomes)
        self.tally.add(batch)
        if not hold and len(self.unwritten.outcomes) >= self.write_every:
            self.flush()
            if self.loading and not self.input_done and self.unloaded_count >= self.load_every:
                self.load()

    def flush(self) -> None:
        if self.unwritten.outcomes:
            _write(self.root, self.unwritten, self.run_id)
            self.unloaded_count += len(self.unwritten.articles)
            self.unwritten = BatchResult()

    def input_ended(self, *, still_extracting: bool) -> None:
        """Called once no batch is left to submit. While the last ones still extract, load and
        index what is written now, on the flow's thread, so that the final load (after the
        extraction pool has stopped, with nothing to overlap it) has only those batches left."""
        self.input_done = True
        self.flush()
        if still_extracting and self.loading and (self.unloaded_count or self.unindexed_count):
            self.load(index=True)

    def load(self, *, index: bool = False, final: bool = False) -> int:
        """Load what is written; returns the warehouse's article count. Loads during the run
        merge the rows only; the one when the input ends (`index`) and the final load, the
        `load-warehouse` sub-flow, bring the search index up to date.

        A run's loads use one DuckDB thread and 128 MB of DuckDB memory (RUN_LOAD_LIMITS):
        during the run the extraction pool has the cores, and at the end the index update gains
        no time from a second thread; unbounded, indexing a chunk of 10,000 articles kept ~280 MB
        more resident than the memory the run itself needs (bench/pipeline.py).
        """
        if final:
            # Without a heartbeat of its own (its parent's goes on): Prefect 3.9 polls a flow's
            # heartbeat thread once a second and waits for it at the end of every flow run.
            with temporary_settings(updates={"flows.heartbeat_frequency": None}):
                loaded = load_warehouse(str(self.root), **RUN_LOAD_LIMITS)
        else:
            loaded = db.load(self.root, update_search_index=index, **RUN_LOAD_LIMITS)
        self.new_article_count += loaded.new_article_count
        self.unindexed_count = 0 if index or final else self.unindexed_count + self.unloaded_count
        self.unloaded_count = 0
        return loaded.total_article_count


def _warc_captures(paths: list[str], source: str, errors: list[str]) -> Iterator[Capture]:
    """Captures of every file in turn; a damaged file ends with an error noted, not a crash,
    after everything readable before the damage has been yielded (so it is kept)."""
    for path in paths:
        try:
            yield from read_warc(path, source=source)
        except WarcReadError as error:
            log.warning("%s", error)
            errors.append(str(error))


def _rejection_row(rejection: Rejection, *, source: str, run_id: str) -> CaptureOutcome:
    """A ledger row for an input that never became a capture (an invalid line in a URL list)."""
    key = f"{rejection.url}\n{rejection.reason}\n{rejection.detail}"
    return CaptureOutcome(
        capture_id=hashlib.sha256(key.encode("utf-8")).hexdigest()[:32],
        url=rejection.url,
        archive_url=rejection.archive_url,
        captured_at=rejection.captured_at,
        status="rejected",
        reason=rejection.reason,
        detail=rejection.detail,
        http_status=None,
        content_type=None,
        byte_count=0,
        attempt_count=0,
        duration_ms=0,
        warc_file=None,
        warc_offset=None,
        article_id=None,
        source=source,
        run_id=run_id,
        recorded_at=datetime.now(UTC),
    )


def _guarded(items: Iterable, errors: list[str]) -> Iterator:
    """A source that fails part-way (CDX server gone, sitemap unreachable) ends the discovery
    with an error noted; everything found before it is still processed."""
    from flows.acquire.discovery import SourceError

    try:
        yield from items
    except SourceError as error:
        log.warning("%s", error)
        errors.append(str(error))


def _ref(item) -> CaptureRef:
    return item.ref if isinstance(item, Capture) else item


def default_processes() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


@flow(
    name="ingest-archive",
    flow_run_name="ingest-{source}",
    log_prints=False,
    task_runner=ThreadPoolTaskRunner(max_workers=4),
)
def ingest(
    source: str = "sample",
    warc_paths: list[str] | None = None,
    url_files: list[str] | None = None,
    cdx_patterns: list[str] | None = None,
    sitemaps: list[str] | None = None,
    archive: str = WAYBACK_PREFIX,
    date_from: str | None = None,
    date_to: str | None = None,
    capture_policy: str = "first",
    data_dir: str = "data",
    batch_size: int | None = None,
    refresh: bool = False,
    load: bool = True,
    user_agent: str | None = None,
    host_rates: dict[str, float] | None = None,
    rates: list[str] | None = None,
    fetch_workers: int = 8,
    processes: int | None = None,
    max_in_flight: int = 4,
    source_name: str | None = None,
    incremental: bool = False,
    replace: bool = False,
    write_every: int | None = None,
    load_every: int = LOAD_EVERY,
) -> RunSummary:
    """Ingest captures into the Parquet dataset and the DuckDB warehouse.

    `source` is `sample` (the bundled archive), `warc` (`warc_paths`) or `fetch` (`url_files`,
    `cdx_patterns` against `archive` within `date_from`/`date_to`, `sitemaps`). With
    `host_rates` (requests/s per host, from a config file) and `rates` (`--rate` values: `N`,
    `HOST=N`, `HOST#cdx=N`) set the politeness limits. With
    `incremental` and a `source_name`, a CDX query starts after the latest capture that source's
    earlier runs ingested (state kept in the `runs` table). `replace` (reprocessing) writes
    articles even when their id is already in the dataset; the warehouse keeps the row of the
    newest extractor.
    """
    started_at = datetime.now(UTC)
    root = Path(data_dir)
    run_id = new_run_id(started_at)
    tally = RunTally()
    errors: list[str] = []
    if incremental and source_name and not refresh:
        cursor = ledger.source_cursor(root, source_name)
        if cursor is not None:
            cursor = cursor.astimezone(UTC)
            date_from = max(date_from or "", (cursor + timedelta(seconds=1)).strftime("%Y%m%d%H%M%S"))
            log.info("incremental: %s continues after %s", source_name, cursor.isoformat())

    # Per-host limits from a config file, then `--rate` values (later ones win).
    all_rates = tuple(f"{host}={rate}" for host, rate in (host_rates or {}).items()) + tuple(rates or ())
    settings = FetchSettings(
        str(root),
        run_id,
        user_agent,
        all_rates,
        archive if cdx_patterns else None,
        fetch_workers,
        shared_limits_for_run(run_id) if source == "fetch" else None,
    )
    if source == "sample":
        items: Iterable = _warc_captures([str(SAMPLE_WARC)], "sample", errors)
    elif source == "warc":
        items = _warc_captures(list(warc_paths or []), "warc", errors)
    elif source == "fetch":
        from flows.acquire.discovery import discover

        fetcher, _ = _fetch_resources_for(settings)
        items = discover(
            urls=url_files or [],
            cdx=cdx_patterns or [],
            archive=archive,
            from_=date_from,
            to=date_to,
            capture_policy=capture_policy,
            sitemaps=sitemaps or [],
            fetcher=fetcher,
        )
    else:
        raise ValueError(f"unknown source {source!r}: expected sample, warc or fetch")

    done_ids = set() if refresh else ledger.completed_capture_ids(root)
    if write_every is None:
        write_every = 1 if source == "fetch" else WRITE_EVERY
    writer = RunWriter(
        root,
        run_id,
        known={} if replace else ledger.article_hashes(root),
        load=load,
        write_every=write_every,
        load_every=load_every,
    )
    tally, dedupe = writer.tally, writer.dedupe
    in_flight: list[PrefectFuture] = []
    cursor_at: datetime | None = None
    task_count = 0

    def drain(limit: int) -> None:
        while len(in_flight) > limit:
            writer.add(in_flight.pop(0).result())
            log.info("%d captures done, %d new articles", tally.capture_count, tally.article_count)

    one_per_url = source == "fetch" and capture_policy != "all" and not (refresh or replace)

    def pending() -> Iterator:
        nonlocal cursor_at
        for item in _guarded(items, errors):
            if isinstance(item, Rejection):
                row = _rejection_row(item, source=source, run_id=run_id)
                if row.capture_id in done_ids:
                    tally.skipped_count += 1
                    continue
                writer.add(BatchResult(outcomes=[row]), hold=True)
                continue
            ref = _ref(item)
            if ref.captured_at and (cursor_at is None or ref.captured_at > cursor_at):
                cursor_at = ref.captured_at
            if ref.capture_id in done_ids or one_per_url and article_id_for(ref.url) in dedupe.seen:
                # Done before; or, under the first/last policy, a later capture of a URL that
                # already has its article (an incremental window's recaptures): not fetched.
                tally.skipped_count += 1
                continue
            yield item

    processes = default_processes() if processes is None else processes
    if batch_size is None:
        batch_size = DEFAULT_FETCH_BATCH_SIZE if source == "fetch" else DEFAULT_WARC_BATCH_SIZE
    _start_extraction_pool(processes)
    try:
        first = 0
        for batch in _batches(pending(), batch_size):
            label = f"{source} {first + 1}-{first + len(batch)}"
            first += len(batch)
            if isinstance(batch[0], Capture):
                in_flight.append(extract_batch_task.submit(label, CaptureBatch(batch), run_id))
            else:
                in_flight.append(fetch_batch_task.submit(label, CaptureBatch(batch), settings))
            task_count += 1
            drain(max_in_flight)
        writer.input_ended(still_extracting=bool(in_flight))
        drain(0)
        writer.flush()
    finally:
        _stop_extraction_pool()
        _close_fetch_resources(run_id)
        if settings.shared_limits is not None:
            settings.shared_limits.forget()  # the run's entries in the Dask scheduler's memory

    total = writer.load(final=True) if load else len(dedupe.seen)
    summary = RunSummary(
        run_id=run_id,
        source=source_name or source,
        started_at=started_at,
        finished_at=datetime.now(UTC),
        capture_count=tally.capture_count,
        skipped_count=tally.skipped_count,
        article_count=tally.article_count,
        duplicate_count=tally.duplicate_count,
        rejections=dict(tally.rejections),
        total_article_count=total,
        earliest_published_at=tally.earliest_published_at,
        latest_published_at=tally.latest_published_at,
        errors=errors,
        task_count=task_count,
    )
    run_record = RunRecord.create(
        run_id=run_id,
        source=source,
        started_at=started_at,
        finished_at=summary.finished_at,
        capture_count=summary.capture_count,
        article_count=summary.article_count,
        rejection_count=summary.rejection_count,
        rejections=summary.rejections,
        new_article_count=writer.new_article_count if load else None,
        duration_s=summary.duration_s,
        extractor_version=EXTRACTOR_VERSION,
        parameters={
            "warc_paths": warc_paths,
            "url_files": url_files,
            "cdx_patterns": cdx_patterns,
            "sitemaps": sitemaps,
            "archive": archive,
            "date_from": date_from,
            "date_to": date_to,
            "capture_policy": capture_policy,
            "batch_size": batch_size,
            "refresh": refresh,
            "replace": replace,
            "processes": processes,
        },
        source_name=source_name,
        cursor_captured_at=cursor_at,
    )
    if load:
        db.record_run(root, run_record)
    else:
        parquet.write_run(root, run_record)
    _publish_summary(summary)
    return summary


@flow(name="load-warehouse", flow_run_name="load {data_dir}", log_prints=False)
def load_warehouse(
    data_dir: str = "data", rebuild_index: bool = False, threads: int | None = None, memory_limit: str | None = None
) -> db.LoadSummary:
    """Load the Parquet files not yet in DuckDB and bring the search index up to date.

    The last step of every ingest run (a sub-flow there), and a flow of its own: after runs
    with `load=False`, or as a deployment that loads a dataset other machines write.
    `threads` and `memory_limit` (e.g. '128MB') bound DuckDB (default: a thread per core,
    80% of the RAM).
    """
    summary = db.load(Path(data_dir), rebuild_index=rebuild_index, threads=threads, memory_limit=memory_limit)
    log.info(
        "loaded %d files: %d new articles, %d in the warehouse",
        summary.new_file_count,
        summary.new_article_count,
        summary.total_article_count,
    )
    return summary


@flow(name="reprocess-captures", flow_run_name="reprocess {data_dir}", log_prints=False)
def reprocess_captures(data_dir: str = "data", processes: int | None = None) -> RunSummary:
    """Extract every stored capture again from the raw WARC files the ledger names, offline.

    Runs `ingest-archive` as a sub-flow over those files with `replace`: the warehouse then
    keeps, for each article, the row of the newest extractor version.
    """
    root = Path(data_dir)
    paths = [path for path in ledger.warc_files(root) if storage.is_remote(path) or Path(path).is_file()]
    if not paths:
        raise FileNotFoundError(f"no stored WARC files to reprocess under {root} (run `newsarchive run` first)")
    return ingest(source="warc", warc_paths=paths, data_dir=data_dir, refresh=True, replace=True, processes=processes)


def task_runner_for(*, dask_address: str | None = None, dask_workers: int | None = None):
    """The task runner for a run: threads by default; Dask (an existing cluster's address, or a
    local cluster of `dask_workers` processes) when the work outgrows one machine."""
    if dask_address or dask_workers:
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1, "processes": True})
    return ThreadPoolTaskRunner(max_workers=4)


def _publish_summary(summary: RunSummary) -> None:
    """A markdown artifact in the Prefect UI with the numbers `run` prints."""
    lines = [
        f"# Run {summary.run_id}",
        "",
        "| measure | value |",
        "|---|---|",
        f"| source | {summary.source} |",
        f"| captures processed | {summary.capture_count} |",
        f"| captures skipped (already done) | {summary.skipped_count} |",
        f"| new articles | {summary.article_count} |",
        f"| duplicate captures | {summary.duplicate_count} |",
        f"| rejections | {summary.rejection_count} |",
        f"| articles in warehouse | {summary.total_article_count} |",
        f"| tasks | {summary.task_count} |",
        f"| duration | {summary.duration_s:.1f} s |",
    ]
    if summary.capture_count and summary.duration_s > 0:
        lines.append(f"| throughput | {summary.capture_count / summary.duration_s:.1f} captures/s |")
    if summary.earliest_published_at:
        lines.append(
            f"| new date range | {summary.earliest_published_at:%Y-%m-%d} – {summary.latest_published_at:%Y-%m-%d} |"
        )
    if summary.errors:
        lines += ["", "**Unusable input:**", ""] + [f"- {error}" for error in summary.errors]
    if summary.rejections:
        lines += ["", "| rejection reason | count |", "|---|---|"]
        lines += [f"| {reason} | {count} |" for reason, count in sorted(summary.rejections.items())]
    create_markdown_artifact(
        markdown="\n".join(lines), key="run-summary", description=f"newsarchive run {summary.run_id}"
    )
