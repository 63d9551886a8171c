"""Discover a run's captures: every source its options name, in option order, each capture once.

Sources, one module each: URL list files (urllists.py), CDX queries against an archive
(cdx.py), sitemaps (sitemaps.py). Every source yields `CaptureRef`s; an input entry that
cannot be used becomes a `Rejection` with a reason (never silently dropped). A source that
cannot be read at all (missing file, unreachable CDX server, unparsable sitemap) raises
`SourceError` with a one-line message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from flows.acquire.archive import WAYBACK_PREFIX, check_timestamp
from flows.acquire.captures import CaptureRef, SourceError
from flows.acquire.cdx import cdx_endpoint, check_capture_policy, query_cdx
from flows.acquire.http import Fetcher
from flows.acquire.sitemaps import read_sitemap
from flows.acquire.urllists import read_url_list
from transforms.records import Rejection

__all__ = ["SourceError", "cdx_endpoint", "discover"]


def discover(
    *,
    urls: Iterable[str | Path] = (),
    cdx: Iterable[str] = (),
    archive: str = WAYBACK_PREFIX,
    from_: str | None = None,
    to: str | None = None,
    capture_policy: str = "first",
    sitemaps: Iterable[str] = (),
    fetcher: Fetcher,
) -> Iterator[CaptureRef | Rejection]:
    """Every capture the run's options point at, in option order: `--urls` files, `--cdx`
    patterns (against `--archive`, `--from`/`--to`, `--capture-policy`), `--sitemap` URLs.

    Options are checked when called, before anything is read, so a bad `--from` raises
    SourceError at once; sources are read lazily as the result is iterated. The same capture
    named twice is yielded once.
    """
    try:
        check_timestamp(from_, "--from")
        check_timestamp(to, "--to")
    except ValueError as error:
        raise SourceError(str(error)) from None
    check_capture_policy(capture_policy, "--capture-policy")
    urls, cdx, sitemaps = list(urls), list(cdx), list(sitemaps)
    if cdx:
        cdx_endpoint(archive)
    for path in urls:
        if not Path(path).is_file():
            raise SourceError(f"URL list not found: {path}")

    def every_item() -> Iterator[CaptureRef | Rejection]:
        for path in urls:
            yield from read_url_list(path)
        for pattern in cdx:
            yield from query_cdx(
                pattern, archive=archive, from_=from_, to=to, capture_policy=capture_policy, fetcher=fetcher
            )
        for sitemap in sitemaps:
            yield from read_sitemap(sitemap, fetcher)

    return _once_each(every_item())


def _once_each(items: Iterator[CaptureRef | Rejection]) -> Iterator[CaptureRef | Rejection]:
    seen: set[str] = set()
    for item in items:
        if isinstance(item, CaptureRef):
            if item.capture_id in seen:
                continue
            seen.add(item.capture_id)
        yield item
