"""A run's fetcher, assembled in one place, and batches of captures fetched concurrently.

`fetcher_from_options` turns the run's options (`--user-agent`, `--rate`, `--archive`, shared
limits) into a limiter and the `Fetcher` that uses it. `fetch_batch` / `fetch_stream` are plain
functions, so the Prefect task in `flows/ingest.py`, the benchmarks and the tests call the same
code; every response goes to the raw archive. Threads are right for this I/O-bound work;
politeness comes from the shared per-host limiter, so more workers never means more requests
per second to a host.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit

from flows.acquire.addresses import AddressPolicy
from flows.acquire.captures import Capture, CaptureRef
from flows.acquire.http import USER_AGENT, Fetcher, RetryPolicy
from flows.acquire.limits import DEFAULT_CDX_RATE, DEFAULT_HOST_LIMITS, DEFAULT_RATE, HostRateLimiter, parse_rates
from flows.acquire.rawarchive import RawArchive
from flows.acquire.responses import PermanentFetchError
from flows.acquire.sessions import SessionPool
from flows.acquire.shared_limits import SharedLimits

# Seconds one attempt (headers and body) may take, default RetryPolicy.total_timeout (120).
ATTEMPT_SECONDS_ENV = "NEWSARCHIVE_ATTEMPT_SECONDS"


def fetcher_from_options(
    *,
    user_agent: str | None = None,
    rates: list[str] | tuple[str, ...] = (),
    archive: str | None = None,
    shared_limits: SharedLimits | None = None,
    allow_private_hosts: bool = False,
    trusted_prefixes: tuple[str, ...] | list[str] = (),
    stop: threading.Event | None = None,
) -> Fetcher:
    """A run's Fetcher from the CLI's `--user-agent` and `--rate` values (see `parse_rates`).

    `--rate R` sets every content host's limit (web.archive.org included); `--rate HOST=R` one
    host's; `--rate HOST#cdx=R` a host's CDX limit (default 0.4/s). The `--archive` prefix's host
    is marked as an archive (its replay URLs are not checked against robots.txt).
    `shared_limits` shares the limits with the run's other processes (Dask workers) instead of
    this process's threads only. Private addresses (addresses.py) are refused unless
    `allow_private_hosts`, except on the origins of `trusted_prefixes` (the user's archive).
    `stop` set: requests in flight end and none start (their captures: reason `interrupted`).
    """
    default, per_host = parse_rates(rates)
    cdx_rate = per_host.pop("cdx", None)
    host_limits = dict(DEFAULT_HOST_LIMITS)
    if default is not None:
        host_limits = {host: default for host in host_limits}
    host_limits.update(per_host)
    default_rate = DEFAULT_RATE if default is None else default
    cdx_rate = DEFAULT_CDX_RATE if cdx_rate is None else cdx_rate
    limiter: HostRateLimiter
    if shared_limits is not None:
        limiter = shared_limits.limiter(default_rate, host_limits, cdx_rate)
    else:
        limiter = HostRateLimiter(default_rate, host_limits, cdx_rate, sleep=_stoppable_sleep(stop))
    archive_hosts = {(urlsplit(archive).hostname or "").lower()} if archive else set()
    policy = AddressPolicy.of(
        allow_private=allow_private_hosts, trusted=[*trusted_prefixes, *([archive] if archive else [])]
    )
    return Fetcher(
        limiter,
        retry=RetryPolicy(total_timeout=_seconds_from_env(ATTEMPT_SECONDS_ENV, RetryPolicy().total_timeout)),
        sessions=SessionPool(user_agent or USER_AGENT, policy=policy),
        archive_hosts=archive_hosts,
        policy=policy,
        stop=stop,
    )


def _seconds_from_env(name: str, default: float) -> float:
    value = os.environ.get(name, "").strip()
    try:
        seconds = float(value) if value else default
    except ValueError:
        raise ValueError(f"{name}={value!r}: expected a number of seconds") from None
    return seconds if seconds > 0 else default


def _stoppable_sleep(stop: threading.Event | None) -> Callable[[float], None]:
    """The limiter's sleep: a wait for a host's turn (up to a capped Retry-After) that a
    stopped run does not sit out."""
    if stop is None:
        return time.sleep

    def sleep(seconds: float) -> None:
        if stop.wait(seconds):
            raise PermanentFetchError("interrupted", "the run was stopped while waiting for the host's turn")

    return sleep


def fetch_one(ref: CaptureRef, fetcher: Fetcher, archive: RawArchive | None) -> Capture:
    """Fetch one capture and archive its response (when there was one)."""
    capture = fetcher.fetch(ref)
    if archive is not None and capture.http_status is not None and _complete(capture):
        capture.warc_file, capture.warc_offset = archive.write(capture)
    return capture


def _complete(capture: Capture) -> bool:
    """A response whose body we hold in full: successes and HTTP error answers, not aborted
    downloads (too large, not HTML: the body was never read)."""
    return capture.error_reason is None or capture.error_reason.startswith("http_")


def fetch_batch(
    refs: list[CaptureRef], fetcher: Fetcher, archive: RawArchive | None, *, max_workers: int = 8
) -> list[Capture]:
    """Fetch `refs` with up to `max_workers` threads; Captures come back in input order."""
    if not refs:
        return []
    workers = max(1, min(max_workers, len(refs)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
        return list(pool.map(lambda ref: fetch_one(ref, fetcher, archive), refs))


_END = object()


def fetch_stream(
    refs: Iterable[CaptureRef],
    fetcher: Fetcher,
    archive: RawArchive | None,
    *,
    max_workers: int = 8,
    batch_size: int = 200,
    buffered_batches: int = 2,
) -> Iterator[list[Capture]]:
    """Fetch a long stream of refs, yielding batches of Captures in input order.

    Unlike calling `fetch_batch` per batch, fetching does not wait for the caller: a feeder
    thread keeps the workers busy while the caller extracts the previous batch, up to
    `buffered_batches * batch_size` captures fetched or in flight and not yet taken (memory
    stays bounded however long the input). `refs` is consumed in the feeder thread, so a
    source that queries a CDX server overlaps with fetching too.
    """
    slots = threading.Semaphore(max(1, buffered_batches) * max(1, batch_size))
    futures: queue.Queue = queue.Queue()
    stop = threading.Event()
    pool = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix="fetch")

    def feed() -> None:
        try:
            for ref in refs:
                while not slots.acquire(timeout=0.1):
                    if stop.is_set():
                        return
                if stop.is_set():
                    return
                futures.put(pool.submit(fetch_one, ref, fetcher, archive))
        except BaseException as error:  # noqa: BLE001 - handed to the consumer, re-raised there
            futures.put(error)
        finally:
            futures.put(_END)

    feeder = threading.Thread(target=feed, name="fetch-feeder", daemon=True)
    feeder.start()
    batch: list[Capture] = []
    try:
        while True:
            item = futures.get()
            if item is _END:
                break
            if isinstance(item, BaseException):
                raise item
            batch.append(item.result())
            slots.release()
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch
    finally:
        stop.set()
        feeder.join(timeout=5)
        pool.shutdown(wait=True, cancel_futures=True)
