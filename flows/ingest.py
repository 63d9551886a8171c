"""The Prefect flows: `ingest` (discover → submit batches → write → load → record),
`load-warehouse` and `reprocess-captures`.

Writing happens in the flow, batch by batch (flows/writer.py), so deduplication has one owner
and each batch's Parquet files land atomically; the batch tasks are in flows/tasks.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice
from pathlib import Path

from prefect import flow
from prefect.artifacts import create_markdown_artifact
from prefect.context import FlowRunContext
from prefect.futures import PrefectFuture
from prefect.settings import temporary_settings

from flows import artifacts, progress, stopping
from flows.acquire.captures import Capture, CaptureRef
from flows.acquire.shared_limits import shared_limits_for_run
from flows.acquire.warc import WarcInput, WarcReadError, read_warc
from flows.extraction import BatchResult, CaptureBatch, input_rejection_row, new_run_id
from flows.options import LoadOptions, RunOptions
from flows.progress import RunProgress
from flows.quickcheck import SAMPLE_WARC
from flows.summary import RunSummary, run_record, summary_markdown
from flows.tasks import (
    FetchSettings,
    close_fetch_resources,
    default_processes,
    extract_batch_task,
    fetch_batch_task,
    fetch_resources_for,
    start_extraction_pool,
    stop_extraction_pool,
    task_runner_for,
)
from flows.writer import RUN_LOAD_LIMITS, RunWriter
from transforms import article_id_for
from transforms.records import Rejection
from warehouse import db, ledger, parquet, storage
from warehouse.layout import DataLayout

log = logging.getLogger("newsarchive")

SAMPLE_RUN = RunOptions()  # no inputs: the bundled sample archive into ./data
DEFAULT_LOAD = LoadOptions()


@dataclass
class Run:
    """One run as its steps hand it on: the options in effect and what the steps share."""

    options: RunOptions  # with the defaults for its source kind and an incremental window filled in
    run_id: str
    started_at: datetime
    writer: RunWriter
    fetch: FetchSettings | None  # None: nothing to fetch
    done_ids: set[str]  # captures the ledger says are done
    errors: list[str] = field(default_factory=list)  # unusable inputs, reported at the end
    other_records: dict[str, int] = field(default_factory=dict)  # WARC records that are not captures, by type
    cursor_at: datetime | None = None  # the latest capture seen
    task_count: int = 0
    submitted_count: int = 0  # captures handed to tasks, and input lines recorded as rejections

    @property
    def layout(self) -> DataLayout:
        return self.writer.layout


def _flow_run_name() -> str:
    context = FlowRunContext.get()
    options = ((context.parameters or {}) if context else {}).get("options") or SAMPLE_RUN
    return f"ingest-{RunOptions.model_validate(options).inputs.kind}"


@flow(
    name="ingest-archive",
    flow_run_name=_flow_run_name,
    log_prints=False,
    task_runner=task_runner_for(),
)
def ingest(options: RunOptions = SAMPLE_RUN) -> RunSummary:
    """Ingest captures into the Parquet dataset and the DuckDB warehouse.

    `options.inputs` says what: WARC files, URL lists, CDX patterns and sitemaps to fetch, or
    (none of them) the bundled sample archive. An incremental source continues after the latest
    capture its earlier runs ingested (state kept in the `runs` table).

    A run stopped by Ctrl-C/SIGTERM (`newsarchive run`, flows/stopping.py) keeps what it finished
    and is recorded as `interrupted`; one that raises is recorded as `failed`, then re-raises.
    """
    stopping.reclaim_sigterm()
    run = start_run(options)
    try:
        submit_batches(run, pending(run, discover(run)))
        stopped = stopping.requested()  # a stop during the final load comes too late to matter
        total = None if stopped else final_load(run)
    except Exception as error:
        _record_failure(run, error)
        raise
    summary = record_run(run, total, status="interrupted" if stopped else "completed")
    create_markdown_artifact(
        markdown=summary_markdown(summary), key="run-summary", description=f"newsarchive run {summary.run_id}"
    )
    artifacts.publish(run.layout)  # the report's summary charts as Prefect artifacts (flows/artifacts.py)
    return summary


def _effective(options: RunOptions, layout: DataLayout) -> RunOptions:
    """The options with their defaults resolved, and an incremental source's window starting
    after its latest ingested capture."""
    inputs, tuning = options.inputs, options.tuning
    if inputs.incremental and inputs.source_name and not options.refresh:
        cursor = ledger.source_cursor(layout, inputs.source_name)
        if cursor is not None:
            after = (cursor.astimezone(UTC) + timedelta(seconds=1)).strftime("%Y%m%d%H%M%S")
            inputs = inputs.model_copy(update={"date_from": max(inputs.date_from or "", after)})
            log.info("incremental: %s continues after %s", inputs.source_name, cursor.isoformat())
    tuning = tuning.model_copy(
        update={
            "batch_size": options.batch_size(),
            "write_every": options.write_every(),
            "processes": tuning.processes or default_processes(),
        }
    )
    return options.model_copy(update={"inputs": inputs, "tuning": tuning})


def start_run(options: RunOptions) -> Run:
    """A run id, the options in effect, what the ledger says is done and the writer."""
    started_at = datetime.now(UTC)
    run_id = new_run_id(started_at)
    layout = options.layout()
    options = _effective(options, layout)
    fetch = None
    if options.inputs.kind == "fetch":
        fetch = FetchSettings.of(options, run_id, shared_limits_for_run(run_id))
    writer = RunWriter(
        layout,
        run_id,
        known={} if options.replace else ledger.article_hashes(layout),
        load=options.load,
        write_every=options.tuning.write_every or 1,
        load_every=options.tuning.load_every,
    )
    done_ids = set() if options.refresh else ledger.completed_capture_ids(layout)
    return Run(options=options, run_id=run_id, started_at=started_at, writer=writer, fetch=fetch, done_ids=done_ids)


def discover(run: Run) -> Iterator[Capture | CaptureRef | Rejection]:
    """Captures read from WARC files, or references to captures to fetch; lazily."""
    inputs = run.options.inputs
    if inputs.kind == "sample":
        return _warc_captures(run, [str(SAMPLE_WARC)], "sample")
    if inputs.kind == "warc":
        return _warc_captures(run, inputs.warc_paths, "warc")
    from flows.acquire.discovery import discover as discover_captures

    assert run.fetch is not None
    fetcher, _ = fetch_resources_for(run.fetch)
    found = discover_captures(**inputs.discovery_arguments(), fetcher=fetcher)
    return _guarded(found, run.errors)


def pending(run: Run, items: Iterable[Capture | CaptureRef | Rejection]) -> Iterator[Capture | CaptureRef]:
    """What is left to do: captures not done before. Invalid input lines become ledger rows;
    under the first/last policy a later capture of a URL that already has its article (an
    incremental window's recaptures) is not fetched."""
    options, tally = run.options, run.writer.tally
    one_per_url = options.inputs.kind == "fetch" and options.inputs.capture_policy != "all"
    one_per_url = one_per_url and not (options.refresh or options.replace)
    for item in items:
        if isinstance(item, Rejection):
            row = input_rejection_row(item, source=options.inputs.kind, run_id=run.run_id)
            if row.capture_id in run.done_ids:
                tally.skipped_count += 1
            else:
                run.writer.add(BatchResult(outcomes=[row]), hold=True)
                run.submitted_count += 1
            continue
        ref = item.ref if isinstance(item, Capture) else item
        if ref.captured_at and (run.cursor_at is None or ref.captured_at > run.cursor_at):
            run.cursor_at = ref.captured_at
        if ref.is_done_in(run.done_ids) or one_per_url and article_id_for(ref.url) in run.writer.dedupe.seen:
            tally.skipped_count += 1
            continue
        yield item


def submit_batches(run: Run, items: Iterable[Capture | CaptureRef]) -> None:
    """One task per batch, at most `max_in_flight` unwritten at a time; each result goes to
    the writer as it comes back, in order."""
    tuning, label = run.options.tuning, run.options.inputs.kind
    in_flight: list[PrefectFuture[BatchResult]] = []
    start_extraction_pool(tuning.processes or 1)
    try:
        first = 0
        for batch in _batches(items, tuning.batch_size or 1):
            if stopping.requested():
                break
            name = f"{label} {first + 1}-{first + len(batch)}"
            first += len(batch)
            run.submitted_count += len(batch)
            if isinstance(batch[0], Capture):
                in_flight.append(extract_batch_task.submit(name, CaptureBatch(batch), run.run_id))
            else:
                assert run.fetch is not None  # made by start_run for every fetch run
                in_flight.append(fetch_batch_task.submit(name, CaptureBatch(batch), run.fetch))
            run.task_count += 1
            _drain(run, in_flight, tuning.max_in_flight)
        run.writer.input_ended(still_extracting=bool(in_flight))
        _drain(run, in_flight, 0)
        run.writer.flush()
    finally:
        stop_extraction_pool()
        close_fetch_resources(run.run_id)
        if run.fetch is not None and run.fetch.shared_limits is not None:
            run.fetch.shared_limits.forget()  # the run's entries in the Dask scheduler's memory


def _drain(run: Run, in_flight: list[PrefectFuture[BatchResult]], limit: int) -> None:
    tally = run.writer.tally
    while len(in_flight) > limit:
        run.writer.add(in_flight.pop(0).result())
        log.info("%d captures done, %d new articles", tally.capture_count, tally.article_count)
        total = run.submitted_count if run.writer.input_done else None
        progress.publish(
            RunProgress(tally.capture_count, total, tally.article_count, tally.rejection_count, tally.skipped_count)
        )


def final_load(run: Run) -> int:
    """The `load-warehouse` sub-flow brings DuckDB and its search index up to date; returns the
    warehouse's article count (without a load, the dataset's)."""
    if not run.options.load:
        return len(run.writer.dedupe.seen)
    # Without a heartbeat of its own (its parent's goes on): Prefect 3.9 polls a flow's heartbeat
    # thread once a second and waits for it at the end of every flow run.
    with temporary_settings(updates={"flows.heartbeat_frequency": None}):
        loaded = load_warehouse(
            LoadOptions(data_dir=run.options.data_dir, parquet_uri=run.options.parquet_uri, **RUN_LOAD_LIMITS)
        )
    run.writer.loaded(loaded, indexed=True)
    return loaded.total_article_count


def record_run(run: Run, total_article_count: int | None, *, status: str = "completed") -> RunSummary:
    """The run's summary, recorded in the `runs` table (or its Parquet file, without a load).

    A completed run with unusable input, or whose every capture failed transiently, is `failed`.
    A run that did not complete has had no final load (`total_article_count` None): its row is
    loaded without the search index update, which the next run's load does."""
    options = run.options
    tally = run.writer.tally
    summary = RunSummary.from_tally(
        tally,
        run_id=run.run_id,
        source=options.inputs.kind,
        started_at=run.started_at,
        finished_at=datetime.now(UTC),
        total_article_count=len(run.writer.dedupe.seen) if total_article_count is None else total_article_count,
        new_article_count=run.writer.new_article_count if options.load else None,
        source_name=options.inputs.source_name,
        cursor_captured_at=run.cursor_at,
        task_count=run.task_count,
        errors=run.errors,
        other_records=dict(run.other_records),
        options=options.model_dump(mode="json"),
        status=status,
        transient_failure_count=sum(n for reason, n in tally.rejections.items() if ledger.is_transient(reason)),
    )
    if status == "completed" and (summary.errors or summary.all_failed_transiently):
        summary.status = "failed"  # some input was unusable, or nothing got through: exit status 1
    if options.load:
        db.record_run(run.layout, run_record(summary), update_search_index=total_article_count is not None)
    else:
        parquet.write_run(run.layout, run_record(summary))
    return summary


def _record_failure(run: Run, error: Exception) -> None:
    """Keep what a failing run finished and record it as `failed` with its error; a failure
    to do so is logged, and the run's own error is what the caller raises."""
    run.errors.append(f"{type(error).__name__}: {error}".splitlines()[0])
    try:
        run.writer.flush()
        record_run(run, None, status="failed")
    except Exception as record_error:  # the original error matters more than this one
        log.warning("could not record the failed run %s: %s", run.run_id, record_error)


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _warc_captures(run: Run, paths: list[str], source: str) -> Iterator[Capture]:
    """Captures of every file in turn; a file that cannot be read (or stops being readable) is
    noted in the run's errors, after everything readable in it has been yielded, and the next
    file is read. Revisits resolve across all the files, and then against the WARC files of
    captures already in the dataset."""
    shared = WarcInput(other_records=run.other_records)
    for path in paths:
        try:
            yield from read_warc(path, source=source, shared=shared)
        except WarcReadError as error:
            log.info("%s", error)  # `run` prints the run's errors at its end
            run.errors.append(str(error))
    yield from shared.finish(_dataset_warcs(run, paths))


def _dataset_warcs(run: Run, paths: list[str]) -> Iterator[str]:
    """The WARC files of captures already in the dataset (read only when a revisit is open)."""
    for path in ledger.warc_files(run.layout):
        if path not in paths and (storage.is_remote(path) or Path(path).is_file()):
            yield path


def _guarded(items: Iterable, errors: list[str]) -> Iterator:
    """A source that fails part-way (CDX server gone, sitemap unreachable) ends the discovery
    with an error noted; everything found before it is still processed."""
    from flows.acquire.discovery import SourceError

    try:
        yield from items
    except SourceError as error:
        log.info("%s", error)  # `run` prints the run's errors at its end
        errors.append(str(error))


def _load_run_name() -> str:
    context = FlowRunContext.get()
    options = ((context.parameters or {}) if context else {}).get("options") or DEFAULT_LOAD
    return f"load {LoadOptions.model_validate(options).data_dir}"


@flow(name="load-warehouse", flow_run_name=_load_run_name, log_prints=False)
def load_warehouse(options: LoadOptions = DEFAULT_LOAD) -> db.LoadSummary:
    """Load the Parquet files not yet in DuckDB and bring the search index up to date.

    The last step of every ingest run (a sub-flow there), and a flow of its own: after runs
    with `load=False`, or as a deployment that loads a dataset other machines write.
    """
    summary = db.load(
        options.layout(),
        rebuild_index=options.rebuild_index,
        threads=options.threads,
        memory_limit=options.memory_limit,
    )
    log.info(
        "loaded %d files: %d new articles, %d in the warehouse",
        summary.new_file_count,
        summary.new_article_count,
        summary.total_article_count,
    )
    return summary


@flow(name="reprocess-captures", flow_run_name="reprocess {data_dir}", log_prints=False)
def reprocess_captures(
    data_dir: str = "data", parquet_uri: str | None = None, processes: int | None = None
) -> RunSummary:
    """Extract every stored capture again from the raw WARC files the ledger names, offline.

    Runs `ingest-archive` as a sub-flow over those files with `replace`: the warehouse then
    keeps, for each article, the row of the newest extractor version.
    """
    layout = DataLayout(Path(data_dir), parquet_uri)
    paths = [path for path in ledger.warc_files(layout) if storage.is_remote(path) or Path(path).is_file()]
    if not paths:
        raise FileNotFoundError(
            f"no stored WARC files to reprocess under {layout.data_dir} (run `newsarchive run` first)"
        )
    options = RunOptions.build(
        warc_paths=paths, data_dir=data_dir, parquet_uri=parquet_uri, processes=processes, refresh=True, replace=True
    )
    return ingest(options)
