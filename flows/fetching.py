"""Fetch a batch of captures concurrently and keep every response in the raw archive.

A plain function, so the Prefect task in `flows/ingest.py`, the benchmarks and the tests call
the same code. Threads are right for this I/O-bound work; politeness comes from the fetcher's
shared per-host limiter, so more workers never means more requests per second to a host.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from flows.captures import Capture, CaptureRef
from flows.http import Fetcher
from flows.rawarchive import RawArchive


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


def fetch_batch(refs: list[CaptureRef], fetcher: Fetcher, archive: RawArchive | None, *,
                max_workers: int = 8) -> list[Capture]:
    """Fetch `refs` with up to `max_workers` threads; Captures come back in input order."""
    if not refs:
        return []
    workers = max(1, min(max_workers, len(refs)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
        return list(pool.map(lambda ref: fetch_one(ref, fetcher, archive), refs))
