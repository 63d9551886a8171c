"""Whether a run has anything to do, answered before any Prefect server or flow starts.

A rerun of WARC files (or of the bundled sample) that the ledger says are done needs only the
ledger and the files' capture ids (or the URL + second ids older datasets gave WARC records):
`newsarchive run` answers it in about the time of a query.
Fetch runs cannot know without asking their sources, so they always start the flow.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from flows.options import RunOptions

if TYPE_CHECKING:
    from flows.acquire.captures import Capture

SAMPLE_WARC = Path(__file__).parent / "sample" / "archive.warc.gz"


def warc_paths(options: RunOptions) -> list[str]:
    """The WARC files a sample or WARC run reads."""
    return [str(SAMPLE_WARC)] if options.inputs.kind == "sample" else list(options.inputs.warc_paths)


def _captures(options: RunOptions) -> Iterator[Capture]:
    """Every capture of the run's WARC files (or the sample), in order; `WarcReadError` when
    one of them cannot be read (the flow then runs and reports it)."""
    from flows.acquire.warc import read_warc

    for path in warc_paths(options):
        yield from read_warc(path, source=options.inputs.kind)


def done_capture_count(options: RunOptions) -> int | None:
    """The number of captures in the run's WARC files when the ledger has every one of them
    done; None when there may be work (a capture not done, a fetch run, --refresh, an
    unreadable file: the flow then runs and reports)."""
    from flows.acquire.warc import WarcReadError
    from warehouse import ledger

    if options.inputs.kind == "fetch" or options.refresh or options.replace:
        return None
    done = ledger.completed_capture_ids(options.layout())
    if not done:
        return None
    count = 0
    try:
        for capture in _captures(options):
            if not capture.ref.is_done_in(done):
                return None
            count += 1
    except WarcReadError:
        return None
    return count


def captures_to_do(options: RunOptions, limit: int) -> list[Capture] | None:
    """The captures of a WARC or sample run that the ledger does not have done, when there are
    at most `limit` of them (reading stops at the first one past it, so a big file costs no
    more than `limit` records); None for fetch runs (their sources are not asked here), bigger
    inputs and unreadable files (the flow reports them)."""
    from flows.acquire.warc import WarcReadError
    from warehouse import ledger

    if options.inputs.kind == "fetch":
        return None
    done = set() if options.refresh or options.replace else ledger.completed_capture_ids(options.layout())
    todo: list[Capture] = []
    try:
        for capture in _captures(options):
            if not capture.ref.is_done_in(done):
                todo.append(capture)
                if len(todo) > limit:
                    return None
    except WarcReadError:
        return None
    return todo


def dataset_article_count(options: RunOptions) -> int:
    from warehouse import ledger

    return len(ledger.article_ids(options.layout()))
