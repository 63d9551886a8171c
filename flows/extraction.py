"""The plain-Python steps of a run; `flows/tasks.py` wraps them in Prefect tasks.

A batch of captures becomes articles and ledger rows here. Kept free of Prefect so the same
code serves the flow, `reprocess`, the benchmarks and the tests.

One page is bounded before and while it is extracted, whatever it holds: a body over
`MAX_PAGE_BYTES` is `too_large` without being parsed (a 50 MB single-line page took minutes
and gigabytes), and a page that takes longer than `EXTRACT_SECONDS` (env
NEWSARCHIVE_EXTRACT_SECONDS) is `extract_timeout`, in every run mode. In the main thread of a
process (the extraction pool's workers) SIGALRM interrupts it. Elsewhere (`--processes 1`,
small WARC runs, Prefect and Dask worker threads) a page over `GUARD_MIN_BYTES` is extracted
in a guard process that is killed at the deadline (flows/extractguard.py); a smaller one in
the thread, unbounded but quick (figures at `GUARD_MIN_BYTES`). Binary bodies and deep
nesting are the extractor's own business (`not_html`, libxml2's depth limit).
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import secrets
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import transforms
from flows.acquire.captures import Capture
from flows.extractguard import GuardDied, GuardTimeout, GuardUnavailable, shared_guard
from transforms.language import language_identifier
from transforms.records import Article, CaptureOutcome, Rejection

# The extraction libraries log each page they give up on ("discarding data: URL"); the ledger
# records every such page with its reason, so on a run's terminal they are noise (-v shows them).
EXTRACTOR_LOGGERS = ("trafilatura", "htmldate", "courlan", "justext", "charset_normalizer")


def quiet_extractor_logs(verbose: bool = False) -> None:
    """Extraction libraries' warnings shown only with -v (errors always); processes forked
    after this call inherit it, the guard worker calls it itself."""
    for name in EXTRACTOR_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.ERROR)


def new_run_id(now: datetime | None = None) -> str:
    """Sortable and unique: UTC time of the start plus a random suffix."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def _rejection_for_response(capture: Capture) -> Rejection | None:
    """Outcomes decided before extraction: fetch errors and non-2xx statuses."""
    ref = capture.ref
    if capture.error_reason:
        return Rejection(ref.url, capture.error_reason, capture.error_detail or "", ref.archive_url, ref.captured_at)
    status = capture.http_status
    if status is not None and not 200 <= status < 300:
        return Rejection(
            ref.url, f"http_{status}", f"the response status was {status}", ref.archive_url, ref.captured_at
        )
    return None


# A news page's HTML is well under 2 MB; 4 MB took 25 s and 300 MB to extract here.
MAX_PAGE_BYTES = 4 * 1024 * 1024
EXTRACT_SECONDS = float(os.environ.get("NEWSARCHIVE_EXTRACT_SECONDS") or 60)
# Where SIGALRM cannot bound a page, a larger one goes to the guard process. Measured here
# (2 cores, one extraction at a time, ms; pages from tests/reliability/hostile_corpus.py): the
# slowest shape found, <p><b><i> never closed, took 340-440 at 16 KB and 15,000 at 128 KB while
# join_broken_paragraphs was quadratic there; linear since: 118 at 16 KB, 448 at 64 KB, 885 at
# 128 KB, 1,700 at 256 KB (CPU). <a> lists 290 at 64 KB, 2,000 at 128 KB (trafilatura's own
# work). At 16 KB tables 86, <a> lists 47, <br> lines 44, divs 46,
# distinct paragraphs 41, one line 24, nesting 130, binary 0. Real pages (extraction-dev, 644):
# median 100 KB, 10% under 38 KB, so most go to the guard: its round trip (pickles over a pipe)
# costs 0.06 ms for 100 KB next to 56-114 ms of extraction; its start, once per process and
# only when such a page comes, 0.9 s of CPU and 160 MB. The bundled sample's pages are <= 7 KB.
GUARD_MIN_BYTES = 16 * 1024


class _PageTimeout(BaseException):
    """Raised in the extraction by SIGALRM; a BaseException, so no `except Exception` in a
    library swallows it."""


def _can_alarm() -> bool:
    """Only the main thread of a process gets signals: the extraction pool's workers'."""
    return hasattr(signal, "SIGALRM") and threading.current_thread() is threading.main_thread()


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    """Raise `_PageTimeout` in this thread after `seconds`, where a signal can (`_can_alarm`)."""
    if not _can_alarm() or seconds <= 0:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise _PageTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def extract_capture(capture: Capture) -> Article | Rejection:
    """One capture to an article or a rejection; never raises."""
    rejection = _rejection_for_response(capture)
    if rejection is not None:
        return rejection
    ref = capture.ref
    if len(capture.body) > MAX_PAGE_BYTES:
        detail = f"{len(capture.body)} bytes of page (extraction takes at most {MAX_PAGE_BYTES})"
        return Rejection(ref.url, "too_large", detail, ref.archive_url, ref.captured_at)
    if len(capture.body) > GUARD_MIN_BYTES and EXTRACT_SECONDS > 0 and not _can_alarm():
        guarded = _extract_guarded(capture)
        if guarded is not None:
            return guarded
    try:
        with _time_limit(EXTRACT_SECONDS):
            return _extract_page(capture)
    except _PageTimeout:
        return _timeout_rejection(capture)


def _extract_page(capture: Capture) -> Article | Rejection:
    """The extraction itself, with no limit (run in the guard process too)."""
    ref = capture.ref
    return transforms.extract(
        capture.body,
        capture.final_url or ref.url,  # a redirect to the home page is then seen as one
        captured_at=capture.captured_at,
        archive_url=ref.archive_url,
        content_type=capture.content_type,
        headers=capture.headers,
    )


def _extract_guarded(capture: Capture) -> Article | Rejection | None:
    """`_extract_page` in this process's guard process, killed at the deadline; None when
    there is no guard process (it could not start): then the caller extracts here."""
    ref = capture.ref
    try:
        return shared_guard(prepare_extraction_worker).call(_extract_page, capture, EXTRACT_SECONDS)
    except GuardTimeout:
        return _timeout_rejection(capture)
    except GuardDied as error:
        return Rejection(ref.url, "extraction_error", str(error), ref.archive_url, ref.captured_at)
    except GuardUnavailable:
        return None


def _timeout_rejection(capture: Capture) -> Rejection:
    ref = capture.ref
    detail = f"extraction took longer than {EXTRACT_SECONDS:g} s ({len(capture.body)} bytes)"
    return Rejection(ref.url, "extract_timeout", detail, ref.archive_url, ref.captured_at)


class CaptureBatch:
    """A batch handed to a Prefect task. A plain object, not a list: Prefect walks list and
    dataclass parameters element by element (~0.3 ms per capture, most of its overhead here);
    an opaque holder costs nothing and still pickles for Dask."""

    __slots__ = ("items",)

    def __init__(self, items: list):
        self.items = items

    def __getstate__(self):
        return self.items

    def __setstate__(self, items):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)


@dataclass
class BatchResult:
    """What one batch produced: articles (not yet deduplicated) and one ledger row per capture."""

    articles: list[Article] = field(default_factory=list)
    outcomes: list[CaptureOutcome] = field(default_factory=list)


def outcome_row(capture: Capture, result: Article | Rejection, *, run_id: str, duration_ms: int) -> CaptureOutcome:
    ref = capture.ref
    article = result if isinstance(result, Article) else None
    rejection = result if isinstance(result, Rejection) else None
    return CaptureOutcome(
        capture_id=ref.capture_id,
        url=ref.url,
        archive_url=ref.archive_url,
        captured_at=ref.captured_at,
        status="article" if article else "rejected",
        reason=rejection.reason if rejection else None,
        detail=rejection.detail if rejection else None,
        http_status=capture.http_status,
        content_type=capture.content_type,
        byte_count=len(capture.body),
        attempt_count=capture.attempt_count,
        duration_ms=capture.duration_ms + duration_ms,
        warc_file=capture.warc_file,
        warc_offset=capture.warc_offset,
        article_id=article.article_id if article else None,
        source=ref.source,
        run_id=run_id,
        recorded_at=datetime.now(UTC),
    )


def prepare_extraction_worker() -> None:
    """Initializer of an extraction process: the code is imported by now, so move what exists
    to the permanent generation. Python's full collections then no longer walk the modules'
    objects each time the chunks of captures and results trigger one.

    Ctrl-C in a terminal reaches every process of the group: the worker ignores it (and
    SIGTERM), and the run that owns the pool stops cleanly (flows/stopping.py) and shuts it down."""
    language_identifier()  # loaded before the freeze, like the modules
    gc.freeze()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def timed_extract(capture: Capture) -> tuple[Article | Rejection, int]:
    started = time.perf_counter()
    outcome = extract_capture(capture)
    return outcome, int((time.perf_counter() - started) * 1000)


def extract_batch(captures: list[Capture], *, run_id: str, executor: Executor | None = None) -> BatchResult:
    """Extract every capture of a batch; each one ends as an article or a rejection row.

    With an `executor` (a process pool), extraction, which is CPU-bound, runs on every core.
    """
    result = BatchResult()
    timed: Iterator[tuple[Article | Rejection, int]]
    if executor is None:
        timed = map(timed_extract, captures)
    else:
        timed = executor.map(timed_extract, captures, chunksize=max(1, len(captures) // 8))
    for capture, (outcome, elapsed_ms) in zip(captures, timed, strict=True):
        if isinstance(outcome, Article):
            outcome = _with_run(outcome, run_id)
            result.articles.append(outcome)
        result.outcomes.append(outcome_row(capture, outcome, run_id=run_id, duration_ms=elapsed_ms))
    return result


def _with_run(article: Article, run_id: str) -> Article:
    return replace(article, run_id=run_id)


class ArticleDeduplicator:
    """Keeps one article per `article_id` across a run and against the existing dataset, and
    links exact copies (same `content_hash` under another URL: syndication, URL variants).

    The first capture of a URL that is written wins; later captures of the same URL are
    recorded in the ledger with status `duplicate` and the id of the article they repeat. An
    article whose text another article already has is kept, with `duplicate_of` naming it.
    """

    def __init__(self, known: dict[str, str]):
        """`known`: article_id → content_hash of the articles already in the dataset."""
        self.seen = set(known)
        self.first_with_hash: dict[str, str] = {}
        for article_id, content_hash in sorted(known.items()):
            self.first_with_hash.setdefault(content_hash, article_id)

    def filter(self, batch: BatchResult) -> BatchResult:
        articles = iter(batch.articles)  # one per outcome with status "article", in order
        kept: list[Article] = []
        outcomes: list[CaptureOutcome] = []
        for row in batch.outcomes:
            if row.status == "article":
                article = next(articles)
                if article.article_id in self.seen:
                    row = _as_duplicate(row)
                else:
                    self.seen.add(article.article_id)
                    original = self.first_with_hash.setdefault(article.content_hash, article.article_id)
                    if original != article.article_id and article.duplicate_of is None:
                        article = replace(article, duplicate_of=original)
                    kept.append(article)
            outcomes.append(row)
        return BatchResult(kept, outcomes)


def _as_duplicate(row: CaptureOutcome) -> CaptureOutcome:
    return replace(
        row,
        status="duplicate",
        reason="duplicate_url",
        detail="an article with this canonical URL is already in the dataset",
    )


@dataclass
class RunTally:
    """Counts for the run summary."""

    capture_count: int = 0
    article_count: int = 0
    duplicate_count: int = 0
    skipped_count: int = 0
    rejections: Counter = field(default_factory=Counter)
    earliest_published_at: datetime | None = None
    latest_published_at: datetime | None = None

    def add(self, batch: BatchResult) -> None:
        self.capture_count += len(batch.outcomes)
        self.article_count += len(batch.articles)
        for row in batch.outcomes:
            if row.status == "rejected":
                self.rejections[row.reason] += 1
            elif row.status == "duplicate":
                self.duplicate_count += 1
        for article in batch.articles:
            when = article.published_at
            if when is None:
                continue
            if self.earliest_published_at is None or when < self.earliest_published_at:
                self.earliest_published_at = when
            if self.latest_published_at is None or when > self.latest_published_at:
                self.latest_published_at = when

    @property
    def rejection_count(self) -> int:
        return sum(self.rejections.values())


def input_rejection_row(rejection: Rejection, *, source: str, run_id: str) -> CaptureOutcome:
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
