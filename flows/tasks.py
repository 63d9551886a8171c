"""The Prefect tasks of a run and the per-process resources they share.

Tasks are coarse (one per batch of a few hundred captures): a Prefect task run has a fixed
cost on the server (bench/README.md). A run's fetcher (with its per-host rate limiter) and raw archive are
shared by every task thread in a process, so limits hold across concurrent batches. Extraction
is CPU-bound: on one machine it runs in a process pool owned by the flow; on a Dask cluster
(`task_runner_for`) each task extracts in its own worker process instead.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.task_runners import ThreadPoolTaskRunner

from flows import progress, stopping
from flows.acquire.captures import Capture, CaptureRef
from flows.acquire.shared_limits import SharedLimits
from flows.extraction import BatchResult, CaptureBatch, extract_batch, prepare_extraction_worker
from flows.options import RunOptions

# A batch extracts in pieces of this many captures (well under a second on two cores), so that
# a stopped run (flows/stopping.py) waits for one piece per running task, not a whole batch.
EXTRACT_PIECE = 64


@dataclass(frozen=True, kw_only=True)
class FetchSettings:
    """What a worker needs to build the run's fetcher (picklable, for Dask workers)."""

    run_id: str
    warc_dir: str  # where the raw responses go
    user_agent: str | None = None
    rates: tuple[str, ...] = ()  # config-file host limits, then `--rate` values
    archive: str | None = None  # its host serves replays: no robots.txt check
    fetch_workers: int = 8
    allow_private_hosts: bool = False  # else loopback/private/link-local hosts are refused
    trusted_prefixes: tuple[str, ...] = ()  # the user's archive: its origin is always allowed
    # Per-host limits shared by every process of the run (Dask workers); None: per process.
    shared_limits: SharedLimits | None = None

    @classmethod
    def of(cls, options: RunOptions, run_id: str, shared_limits: SharedLimits | None) -> FetchSettings:
        return cls(
            run_id=run_id,
            warc_dir=str(options.layout().warc_dir),
            user_agent=options.fetch.user_agent,
            rates=options.fetch.all_rates(),
            archive=options.inputs.archive if options.inputs.cdx_patterns else None,
            fetch_workers=options.fetch.fetch_workers,
            allow_private_hosts=options.fetch.allow_private_hosts,
            trusted_prefixes=(options.inputs.archive,),
            shared_limits=shared_limits,
        )


_resources_lock = threading.Lock()
_fetch_resources: dict[str, tuple[Any, Any]] = {}
_extraction_pool: Executor | None = None


def fetch_resources_for(settings: FetchSettings) -> tuple[Any, Any]:
    """This process's fetcher and raw archive for the run, made on first use."""
    from flows.acquire.fetching import fetcher_from_options
    from flows.acquire.rawarchive import RawArchive

    with _resources_lock:
        if settings.run_id not in _fetch_resources:
            fetcher = fetcher_from_options(
                user_agent=settings.user_agent,
                rates=settings.rates,
                archive=settings.archive,
                shared_limits=settings.shared_limits,
                allow_private_hosts=settings.allow_private_hosts,
                trusted_prefixes=settings.trusted_prefixes,
                stop=stopping.STOP,  # Ctrl-C ends the requests in flight, not only the next ones
            )
            archive = RawArchive(Path(settings.warc_dir), prefix=f"newsarchive-{settings.run_id}")
            _fetch_resources[settings.run_id] = (fetcher, archive)
        return _fetch_resources[settings.run_id]


def close_fetch_resources(run_id: str) -> None:
    with _resources_lock:
        resources = _fetch_resources.pop(run_id, None)
    if resources:
        fetcher, archive = resources
        fetcher.close()
        archive.close()


def default_processes() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def start_extraction_pool(processes: int) -> None:
    """Processes for CPU-bound extraction: the ones `newsarchive run` forked for a small run
    before Prefect started (flows/earlyextraction.py, already extracting), else new ones;
    'spawn' because forking a process that runs Prefect's threads can deadlock."""
    global _extraction_pool
    from flows import earlyextraction

    _extraction_pool = earlyextraction.take()
    if _extraction_pool is None and processes > 1:
        _extraction_pool = ProcessPoolExecutor(
            max_workers=processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=prepare_extraction_worker,
        )
        # Start the workers now (they import the extractor for seconds), while the first batch
        # is read or fetched, not when its extraction (or a stopped run's last one) waits for them.
        _extraction_pool.submit(os.getpid)


def _current_extraction_pool() -> Executor | None:
    """This process's extraction pool; None in a Dask worker, which extracts by itself.

    Task bodies call this instead of naming the global: Dask pickles a task's function by value
    with the globals it names, and a ProcessPoolExecutor cannot be pickled.
    """
    return _extraction_pool


def stop_extraction_pool() -> None:
    global _extraction_pool
    if _extraction_pool is not None:
        _extraction_pool.shutdown(cancel_futures=True)
        _extraction_pool = None


@task(name="extract-batch", task_run_name="extract {label}", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def extract_batch_task(label: str, batch: CaptureBatch, run_id: str) -> BatchResult:
    """Captures already in hand (WARC files): extract them (those extracted before the run was
    asked to stop)."""
    return _extract_until_stopped(batch.items, run_id)


@task(name="fetch-batch", task_run_name="fetch {label}", retries=2, retry_delay_seconds=5, cache_policy=NO_CACHE)
def fetch_batch_task(label: str, batch: CaptureBatch, settings: FetchSettings) -> BatchResult:
    """Fetch a batch politely (threads within the shared per-host limits), keep every response
    in the raw WARC archive, then extract. Once the run is asked to stop, no new request starts
    and the captures fetched so far are extracted and returned."""
    fetcher, archive = fetch_resources_for(settings)
    captures = fetch_until_stopped(batch.items, fetcher, archive, max_workers=settings.fetch_workers)
    # Every capture fetched is extracted, stop or not: its response is in the raw archive already
    # and a later run would not fetch it again, so its ledger row must be written now.
    return extract_batch(captures, run_id=settings.run_id, executor=_current_extraction_pool())


def fetch_until_stopped(refs: list[CaptureRef], fetcher: Any, archive: Any, *, max_workers: int) -> list[Capture]:
    """`fetch_batch` (flows/acquire/fetching.py) that starts no request after a stop: the
    captures fetched, in input order (fewer than `refs` when stopped)."""
    from flows.acquire.fetching import fetch_one

    def fetch(ref: CaptureRef) -> Capture | None:
        if stopping.requested():
            return None
        capture = fetch_one(ref, fetcher, archive)
        if capture.error_reason == "interrupted":
            return None  # cut short by the stop: not done, the next run fetches it
        progress.note_processed()
        return capture

    if not refs:
        return []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(refs))), thread_name_prefix="fetch") as pool:
        return [capture for capture in pool.map(fetch, refs) if capture is not None]


def _extract_until_stopped(captures: list[Capture], run_id: str) -> BatchResult:
    """Extract piece by piece; after a stop, what the pieces done so far gave."""
    result = BatchResult()
    for start in range(0, len(captures), EXTRACT_PIECE):
        if stopping.requested():
            break
        piece = extract_batch(
            captures[start : start + EXTRACT_PIECE], run_id=run_id, executor=_current_extraction_pool()
        )
        result.articles.extend(piece.articles)
        result.outcomes.extend(piece.outcomes)
        progress.note_processed(len(piece.outcomes))
    return result


def task_runner_for(*, dask_address: str | None = None, dask_workers: int | None = None) -> Any:
    """The task runner for a run: threads by default; Dask (an existing cluster's address, or a
    local cluster of `dask_workers` processes) when the work outgrows one machine."""
    if dask_address or dask_workers:
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": dask_workers, "threads_per_worker": 1, "processes": True})
    return ThreadPoolTaskRunner(max_workers=4)
