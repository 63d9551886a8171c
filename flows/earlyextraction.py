"""A small WARC or sample run's extraction, started by `newsarchive run` before its flow.

A run with at most a few hundred captures to do (flows/cli/run.py: SMALL_RUN_CAPTURES) spends
its first seconds importing Prefect and creating its flow run; the command has read its
captures by then (to know that the run is small). Here one extraction process is forked from
the command at that moment and starts on those captures at once. Forked, not spawned: the
extractor is imported already, so the worker costs milliseconds instead of seconds of imports,
and no Prefect thread runs yet (forking a process that runs them can deadlock). The flow's
`extract-batch` task then takes its results (`EarlyExtraction.map`, through flows/tasks.py's
pool) and extracts anything else (a capture that differs from the one read here) in the same
process; every capture still goes through the task and ends in the ledger as before. In the
worker's main thread the per-page time limit (SIGALRM) holds, as in any extraction pool.

One process, not one per core: on the sample (78 captures, 2 cores) it has loaded the language
model and extracted everything by the time the flow asks, and two processes cost ~0.8 s more
CPU (a second model, three processes on two cores) for a slower run on a busy machine
(interleaved runs: median wall 6.2 s with one, 8.2 s with two, 7.8 s extracting in the run's
own process; bench/README.md).

This module imports no Prefect: the command uses it before the flow's imports.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from typing import Any

from flows.acquire.captures import Capture
from flows.extraction import prepare_extraction_worker, timed_extract
from flows.options import RunOptions
from flows.quickcheck import captures_to_do

EARLY_PROCESSES = 1  # see above
_STOP_SIGNALS = {signal.SIGINT, signal.SIGTERM}
PARENT_CHECK_S = 0.5

_early: EarlyExtraction | None = None


def start_if_small(options: RunOptions, limit: int) -> RunOptions | None:
    """For a run with at most `limit` captures to do: start their extraction (where processes
    can be forked; else the run extracts in its own process) and return the options with the
    run's one extraction process; None for any other run."""
    captures = captures_to_do(options, limit)
    if captures is None:
        return None
    processes = early_processes()
    if processes:
        start(captures, processes)
    return options.model_copy(update={"tuning": options.tuning.model_copy(update={"processes": max(1, processes)})})


def early_processes() -> int:
    """How many processes `start` forks: none where processes cannot be forked (the run then
    extracts in its own process)."""
    return EARLY_PROCESSES if "fork" in multiprocessing.get_all_start_methods() else 0


def start(captures: list[Capture], processes: int = EARLY_PROCESSES) -> None:
    """Fork `processes` extraction workers now and hand them every capture. Call it before
    any thread of Prefect's starts and before the data directory's lock is taken (a worker
    would otherwise hold the lock's descriptor too)."""
    global _early
    pool = ProcessPoolExecutor(
        max_workers=processes,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_prepare_forked_worker,
        initargs=(os.getpid(),),
    )
    # The workers are forked by the first submit. A Ctrl-C or SIGTERM in that moment waits
    # (blocked) until they ignore such signals: otherwise a worker would run the command's
    # exit-at-once handler and print its one line a second time.
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, _STOP_SIGNALS)
    try:
        _early = EarlyExtraction(pool, captures)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def take() -> EarlyExtraction | None:
    """The early extraction started by this process, handed over once (to the flow's pool)."""
    global _early
    early, _early = _early, None
    return early


def stop() -> None:
    """End an early extraction nobody took (the run did not go ahead): the workers end, the
    captures not extracted yet are dropped."""
    early = take()
    if early is not None:
        early.shutdown(wait=True, cancel_futures=True)


def _prepare_forked_worker(parent_pid: int) -> None:
    """A forked worker: ignore Ctrl-C and SIGTERM (then let them through: they were blocked
    while forking), end when the command's process is gone (it may exit at once on a signal,
    without shutting the pool down), then the usual preparation of an extraction process."""
    for signum in _STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOP_SIGNALS)
    threading.Thread(target=_exit_with_parent, args=(parent_pid,), daemon=True, name="parent-watch").start()
    prepare_extraction_worker()


def _exit_with_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(PARENT_CHECK_S)
    os._exit(0)


def _key(capture: Capture) -> tuple[str, str | None, int | None]:
    return capture.ref.capture_id, capture.warc_file, capture.warc_offset


class EarlyExtraction(Executor):
    """A process pool whose workers started on the run's captures before the flow asked.

    `map(timed_extract, captures)` (what flows/extraction.py's `extract_batch` calls) gives,
    for each capture equal to one handed to `start`, that extraction's result, and submits the
    others; anything else goes to the pool as it is."""

    def __init__(self, pool: ProcessPoolExecutor, captures: list[Capture]) -> None:
        self._pool = pool
        self._started: dict[tuple[str, str | None, int | None], tuple[Capture, Future]] = {}
        for capture in captures:
            self._started[_key(capture)] = (capture, pool.submit(timed_extract, capture))

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        return self._pool.submit(fn, *args, **kwargs)

    def map(
        self, fn: Callable[..., Any], *iterables: Iterable[Any], timeout: float | None = None, chunksize: int = 1
    ) -> Iterator[Any]:
        if fn is not timed_extract or len(iterables) != 1:
            return self._pool.map(fn, *iterables, timeout=timeout, chunksize=chunksize)
        captures = list(iterables[0])
        futures = [self._claim(capture) for capture in captures]
        return (future.result(timeout) for future in futures)

    def _claim(self, capture: Capture) -> Future:
        """The extraction started for this very capture, or a new one."""
        started = self._started.pop(_key(capture), None)
        if started is not None and started[0] == capture:
            return started[1]
        if started is not None:
            started[1].cancel()
        return self._pool.submit(timed_extract, capture)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._started.clear()
        self._pool.shutdown(wait=wait, cancel_futures=cancel_futures)
