"""What a run did: `RunSummary` (what `run` prints), its row in the `runs` table and its
markdown artifact in the Prefect UI, each made from the one before in one step."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flows.extraction import RunTally
from transforms.records import EXTRACTOR_VERSION
from warehouse.schema import RunRecord


@dataclass
class RunSummary:
    """The counts of the run's tally plus what the flow adds around it."""

    run_id: str
    source: str  # what was ingested: sample, warc or fetch
    started_at: datetime
    finished_at: datetime
    total_article_count: int  # in the warehouse (or the dataset, without a load) after the run
    capture_count: int = 0
    article_count: int = 0
    duplicate_count: int = 0
    skipped_count: int = 0
    rejections: dict[str, int] = field(default_factory=dict)
    earliest_published_at: datetime | None = None
    latest_published_at: datetime | None = None
    new_article_count: int | None = None  # new in the warehouse; None when the run did not load
    source_name: str | None = None
    cursor_captured_at: datetime | None = None  # the latest capture seen (incremental runs start after it)
    task_count: int = 0
    errors: list[str] = field(default_factory=list)  # unusable inputs (damaged WARC files, ...)
    other_records: dict[str, int] = field(default_factory=dict)  # WARC records that are not captures, by type
    options: dict[str, Any] = field(default_factory=dict)  # the run's options, as JSON values
    status: str = "completed"  # or "interrupted" (Ctrl-C/SIGTERM), "failed"
    transient_failure_count: int = 0  # rejections worth another try (timeouts, 429, 5xx)

    @classmethod
    def from_tally(cls, tally: RunTally, **fields: Any) -> RunSummary:
        counts = dataclasses.asdict(tally)
        counts["rejections"] = dict(tally.rejections)
        return cls(**counts, **fields)

    @property
    def duration_s(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()

    @property
    def rejection_count(self) -> int:
        return sum(self.rejections.values())

    @property
    def label(self) -> str:
        return self.source_name or self.source

    @property
    def all_failed_transiently(self) -> bool:
        """Every capture the run processed failed with an error a later run may overcome."""
        return self.capture_count > 0 and self.transient_failure_count == self.capture_count

    def as_json(self) -> dict[str, Any]:
        """What `run --format json` prints: every field, timestamps as ISO 8601, plus the
        duration and rejection total."""
        values = {name: _plain(value) for name, value in dataclasses.asdict(self).items() if name != "options"}
        values.update(duration_s=round(self.duration_s, 3), rejection_count=self.rejection_count)
        return values


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def run_record(summary: RunSummary) -> RunRecord:
    """The run's row in the `runs` table."""
    return RunRecord.create(
        run_id=summary.run_id,
        source=summary.source,
        started_at=summary.started_at,
        finished_at=summary.finished_at,
        capture_count=summary.capture_count,
        article_count=summary.article_count,
        rejection_count=summary.rejection_count,
        rejections=summary.rejections,
        new_article_count=summary.new_article_count,
        duration_s=summary.duration_s,
        extractor_version=EXTRACTOR_VERSION,
        parameters=summary.options,
        source_name=summary.source_name,
        cursor_captured_at=summary.cursor_captured_at if summary.status == "completed" else None,
        status=summary.status,
        error="; ".join(summary.errors) or None,
    )


def summary_markdown(summary: RunSummary) -> str:
    """The numbers `run` prints, as the markdown of the run's Prefect artifact."""
    lines = [
        f"# Run {summary.run_id}",
        "",
        "| measure | value |",
        "|---|---|",
        f"| source | {summary.label} |",
        f"| status | {summary.status} |",
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
    if summary.earliest_published_at and summary.latest_published_at:
        lines.append(
            f"| new date range | {summary.earliest_published_at:%Y-%m-%d} – {summary.latest_published_at:%Y-%m-%d} |"
        )
    if summary.other_records:
        others = ", ".join(f"{kind} {count}" for kind, count in sorted(summary.other_records.items()))
        lines.append(f"| WARC records that are not captures | {others} |")
    if summary.errors:
        lines += ["", "**Unusable input:**", ""] + [f"- {error}" for error in summary.errors]
    if summary.rejections:
        lines += ["", "| rejection reason | count |", "|---|---|"]
        lines += [f"| {reason} | {count} |" for reason, count in sorted(summary.rejections.items())]
    return "\n".join(lines)
