"""`newsarchive run --dry-run`: what a run would fetch or read, without fetching, extracting,
writing or starting Prefect. Discovery runs for real (CDX and sitemap queries, politely), and the
ledger says which captures are done already."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from flows.acquire.captures import CaptureRef
from flows.options import RunOptions
from flows.quickcheck import warc_paths


@dataclass
class Plan:
    """The captures a run would process (`todo`), those the ledger has done, and the inputs
    that are unusable."""

    todo: list[CaptureRef] = field(default_factory=list)
    done_count: int = 0
    invalid_count: int = 0  # input lines that would be recorded as rejections
    errors: list[str] = field(default_factory=list)


def plan_run(options: RunOptions) -> Plan:
    from flows.acquire.discovery import SourceError
    from flows.acquire.warc import WarcReadError
    from transforms.records import Rejection
    from warehouse import ledger

    plan = Plan()
    done = set() if options.refresh else ledger.completed_capture_ids(options.layout())
    try:
        for item in _discovered(options):
            if isinstance(item, Rejection):
                plan.invalid_count += 1
            elif item.capture_id in done:
                plan.done_count += 1
            else:
                plan.todo.append(item)
    except (SourceError, WarcReadError) as error:
        plan.errors.append(str(error))
    return plan


def _discovered(options: RunOptions) -> Iterator:
    inputs = options.inputs
    if inputs.kind != "fetch":
        from flows.acquire.warc import read_warc

        for path in warc_paths(options):
            yield from (capture.ref for capture in read_warc(path, source=inputs.kind))
        return
    from flows.acquire.discovery import discover
    from flows.acquire.fetching import fetcher_from_options

    fetcher = fetcher_from_options(
        user_agent=options.fetch.user_agent,
        rates=options.fetch.all_rates(),
        archive=inputs.archive if inputs.cdx_patterns else None,
        allow_private_hosts=options.fetch.allow_private_hosts,
        trusted_prefixes=(inputs.archive,),
    )
    try:
        yield from discover(**inputs.discovery_arguments(), fetcher=fetcher)
    finally:
        fetcher.close()
