"""The Prefect flow: discover → fetch/read → extract → write Parquet → load DuckDB.

Tasks are coarse (one per batch of a few hundred captures): a Prefect task run costs about
25 ms of server CPU, so one task per URL would spend more on bookkeeping than on articles.
Writing happens in the flow, batch by batch, so deduplication against the dataset has one
owner and each batch's Parquet files land atomically: a run killed at any point resumes to the
same final dataset.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.task_runners import ThreadPoolTaskRunner

from flows.captures import Capture
from flows.pipeline import ArticleDeduplicator, BatchResult, RunTally, extract_batch, new_run_id
from flows.warc import WarcReadError, read_warc
from transforms.records import EXTRACTOR_VERSION
from warehouse import db, ledger, parquet
from warehouse.schema import RunRecord

log = logging.getLogger("newsarchive")

SAMPLE_WARC = Path(__file__).parent / "sample" / "archive.warc.gz"
DEFAULT_BATCH_SIZE = 200


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

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def rejection_count(self) -> int:
        return sum(self.rejections.values())


def _batches(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@task(name="extract-batch", task_run_name="extract {label}", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
def extract_batch_task(label: str, captures: list[Capture], run_id: str) -> BatchResult:
    return extract_batch(captures, run_id=run_id)


def _write(data_dir: Path, batch: BatchResult, run_id: str) -> None:
    """Articles first, then the ledger rows: a ledger row is the commit mark of its capture."""
    if batch.articles:
        parquet.write_articles(data_dir, batch.articles, run_id=run_id)
    if batch.outcomes:
        parquet.write_captures(data_dir, batch.outcomes, run_id=run_id)


def _pending(captures: Iterable[Capture], done_ids: set[str], tally: RunTally) -> Iterator[Capture]:
    for capture in captures:
        if capture.ref.capture_id in done_ids:
            tally.skipped_count += 1
            continue
        yield capture


def _warc_captures(paths: list[str], source: str, errors: list[str]) -> Iterator[Capture]:
    """Captures of every file in turn; a damaged file ends with an error noted, not a crash,
    after everything readable before the damage has been yielded (so it is kept)."""
    for path in paths:
        try:
            yield from read_warc(path, source=source)
        except WarcReadError as error:
            log.warning("%s", error)
            errors.append(str(error))


@flow(name="ingest-archive", flow_run_name="ingest-{source}", log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=2))
def ingest(
    source: str = "sample",
    warc_paths: list[str] | None = None,
    data_dir: str = "data",
    batch_size: int = DEFAULT_BATCH_SIZE,
    refresh: bool = False,
    load: bool = True,
    max_in_flight: int = 4,
) -> RunSummary:
    """Ingest captures from the bundled sample or WARC files into the Parquet dataset and DuckDB."""
    started_at = datetime.now(timezone.utc)
    root = Path(data_dir)
    run_id = new_run_id(started_at)
    tally = RunTally()
    errors: list[str] = []
    if source == "sample":
        captures = _warc_captures([str(SAMPLE_WARC)], "sample", errors)
    elif source == "warc":
        captures = _warc_captures(list(warc_paths or []), "warc", errors)
    else:
        raise ValueError(f"unknown source {source!r}")

    done_ids = set() if refresh else ledger.completed_capture_ids(root)
    dedupe = ArticleDeduplicator(ledger.article_ids(root))
    in_flight: list[PrefectFuture] = []

    def drain(limit: int) -> None:
        while len(in_flight) > limit:
            batch = in_flight.pop(0).result()
            batch = dedupe.filter(batch)
            _write(root, batch, run_id)
            tally.add(batch)
            log.info("batch done: %d captures, %d new articles so far", tally.capture_count, tally.article_count)

    first = 0
    for batch in _batches(_pending(captures, done_ids, tally), batch_size):
        label = f"{source} {first + 1}-{first + len(batch)}"
        first += len(batch)
        in_flight.append(extract_batch_task.submit(label, batch, run_id))
        drain(max_in_flight)
    drain(0)

    loaded = db.load(root) if load else None
    total = loaded.total_article_count if loaded else len(dedupe.seen)
    summary = RunSummary(
        run_id=run_id,
        source=source,
        started_at=started_at,
        finished_at=datetime.now(timezone.utc),
        capture_count=tally.capture_count,
        skipped_count=tally.skipped_count,
        article_count=tally.article_count,
        duplicate_count=tally.duplicate_count,
        rejections=dict(tally.rejections),
        total_article_count=total,
        earliest_published_at=tally.earliest_published_at,
        latest_published_at=tally.latest_published_at,
        errors=errors,
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
        new_article_count=loaded.new_article_count if loaded else None,
        duration_s=summary.duration_s,
        extractor_version=EXTRACTOR_VERSION,
        parameters={"warc_paths": warc_paths, "batch_size": batch_size, "refresh": refresh},
    )
    if load:
        db.record_run(root, run_record)
    else:
        parquet.write_run(root, run_record)
    _publish_summary(summary)
    return summary


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
        f"| duration | {summary.duration_s:.1f} s |",
    ]
    if summary.capture_count and summary.duration_s > 0:
        lines.append(f"| throughput | {summary.capture_count / summary.duration_s:.1f} captures/s |")
    if summary.earliest_published_at:
        lines.append(f"| new date range | {summary.earliest_published_at:%Y-%m-%d} – {summary.latest_published_at:%Y-%m-%d} |")
    if summary.errors:
        lines += ["", "**Unusable input:**", ""] + [f"- {error}" for error in summary.errors]
    if summary.rejections:
        lines += ["", "| rejection reason | count |", "|---|---|"]
        lines += [f"| {reason} | {count} |" for reason, count in sorted(summary.rejections.items())]
    create_markdown_artifact(markdown="\n".join(lines), key="run-summary", description=f"newsarchive run {summary.run_id}")
