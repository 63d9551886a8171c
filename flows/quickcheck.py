"""Whether a run has anything to do, answered before any Prefect server or flow starts.

A rerun of WARC files (or of the bundled sample) that the ledger says are done needs only the
ledger and the files' capture ids (or the URL + second ids older datasets gave WARC records):
`newsarchive run` answers it in about the time of a query.
Fetch runs cannot know without asking their sources, so they always start the flow.
"""

from __future__ import annotations

from pathlib import Path

from flows.options import RunOptions

SAMPLE_WARC = Path(__file__).parent / "sample" / "archive.warc.gz"


def warc_paths(options: RunOptions) -> list[str]:
    """The WARC files a sample or WARC run reads."""
    return [str(SAMPLE_WARC)] if options.inputs.kind == "sample" else list(options.inputs.warc_paths)


def done_capture_count(options: RunOptions) -> int | None:
    """The number of captures in the run's WARC files when the ledger has every one of them
    done; None when there may be work (a capture not done, a fetch run, --refresh, an
    unreadable file: the flow then runs and reports)."""
    from flows.acquire.warc import WarcReadError, read_warc
    from warehouse import ledger

    if options.inputs.kind == "fetch" or options.refresh or options.replace:
        return None
    done = ledger.completed_capture_ids(options.layout())
    if not done:
        return None
    count = 0
    try:
        for path in warc_paths(options):
            for capture in read_warc(path, source=options.inputs.kind):
                if not capture.ref.is_done_in(done):
                    return None
                count += 1
    except WarcReadError:
        return None
    return count


def has_little_to_do(options: RunOptions, limit: int) -> bool:
    """True when the run's WARC files (or the sample) hold at most `limit` captures the ledger
    does not have done: reading stops at the first capture past the limit, so a big file costs
    no more than `limit` records. False for fetch runs (their sources are not asked here) and
    for unreadable files (the flow reports them)."""
    from flows.acquire.warc import WarcReadError, read_warc
    from warehouse import ledger

    if options.inputs.kind == "fetch":
        return False
    done = set() if options.refresh or options.replace else ledger.completed_capture_ids(options.layout())
    todo = 0
    try:
        for path in warc_paths(options):
            for capture in read_warc(path, source=options.inputs.kind):
                todo += not capture.ref.is_done_in(done)
                if todo > limit:
                    return False
    except WarcReadError:
        return False
    return True


def dataset_article_count(options: RunOptions) -> int:
    from warehouse import ledger

    return len(ledger.article_ids(options.layout()))
