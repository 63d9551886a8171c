"""What sources yield and what fetching (or a WARC file) produces.

`CaptureRef` says where a capture is (discover); `Capture` holds its raw bytes and how they
were obtained (fetch, or read from a WARC). A capture that could not be obtained is still a
`Capture`, with `error_reason` set and no body: every input is accounted for. Every source
shares `url_problem` (is this a usable http(s) URL?), `archived_ref` and `SourceError` (a
source that cannot be read at all).
"""

from __future__ import annotations

import hashlib
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from flows.acquire.archive import parse_timestamp, raw_capture_url


class SourceError(Exception):
    """A source that cannot be read at all (bad option, missing file, unreachable server)."""


def url_problem(url: str) -> str | None:
    """Why `url` is not a usable http(s) URL, or None when it is."""
    if any(ch.isspace() for ch in url):
        return "contains whitespace"
    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as error:
        return f"unparsable ({error})"
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme!r} is not http(s)" if parts.scheme else "no http(s) scheme"
    host = parts.hostname or ""
    if not host:
        return "no host"
    if "." not in host and host != "localhost" and ":" not in host:
        return f"host {host!r} is not a domain name"
    return None


@dataclass(slots=True)
class CaptureRef:
    """Where to find one capture of one URL. Treated as a value: nothing changes a ref once
    made. (Not a frozen dataclass: its __init__ costs 4x a plain one's, 2.7 vs 0.7 µs, and the
    WARC reader makes one per record, within a budget of a few µs per record.)"""

    url: str  # the original URL of the page
    archive_url: str | None = None  # raw (`id_`) URL in an archive; None for live URLs / WARC
    captured_at: datetime | None = None  # the archive's capture time, UTC
    source: str = "urls"  # sample | warc | urls | cdx | sitemap
    digest: str | None = None  # payload digest where the source gives one (CDX)
    http_status: int | None = None  # status the archive recorded, where known
    mime: str | None = None  # mime type the archive recorded, where known
    published_hint: datetime | None = None  # sitemap lastmod / news:publication_date
    stored_capture_id: str | None = None  # the id a WARC we wrote recorded (reprocess keeps it)
    record_key: str | None = None  # a WARC record's WARC-Record-ID, or `file@offset` (ARC, no id)

    @property
    def capture_id(self) -> str:
        """Stable across runs: the same capture always gets the same id. A record read from a
        WARC or ARC file is identified by its record (two records of one URL in the same second
        are two captures); a capture to fetch by its URL and capture time."""
        if self.stored_capture_id:
            return self.stored_capture_id
        if self.record_key:
            return hashlib.sha256(f"record\n{self.record_key}".encode()).hexdigest()[:32]
        return self.legacy_capture_id

    def is_done_in(self, done_ids: Container[str]) -> bool:
        """Whether the ledger's done capture ids hold this capture: under its id, or, for a
        WARC record, under the id datasets written before records had ids of their own gave it
        (URL + capture second), so a rerun over such a dataset does nothing again."""
        if self.capture_id in done_ids:
            return True
        return self.record_key is not None and not self.stored_capture_id and self.legacy_capture_id in done_ids

    @property
    def legacy_capture_id(self) -> str:
        """URL + capture second: the id of fetched captures, and of WARC records before
        records had ids of their own (a rerun over an older dataset skips what it did)."""
        when = self.captured_at.strftime("%Y%m%d%H%M%S") if self.captured_at else ""
        key = f"{self.archive_url or self.url}\n{when}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


@dataclass(slots=True)
class Capture:
    """A capture's raw response, or the reason it could not be had."""

    ref: CaptureRef
    body: bytes = b""
    http_status: int | None = None
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    final_url: str | None = None  # after redirects
    redirects: tuple[str, ...] = ()
    attempt_count: int = 0
    duration_ms: int = 0
    warc_file: str | None = None
    warc_offset: int | None = None
    error_reason: str | None = None  # set when no usable response was obtained
    error_detail: str | None = None
    # Filled by the fetcher (flows/acquire/http.py); None for captures read from WARC files.
    request_headers: dict[str, str] = field(default_factory=dict)
    reason_phrase: str | None = None  # the status line's text ("OK", "Not Found")
    fetched_at: datetime | None = None  # when the response arrived, UTC
    original_url: str | None = None  # from the archive's `Link: <...>; rel="original"`
    memento_at: datetime | None = None  # from the archive's `Memento-Datetime`, UTC

    @property
    def captured_at(self) -> datetime:
        return self.ref.captured_at or self.memento_at or self.fetched_at or datetime.now(UTC)


def archived_ref(prefix: str, timestamp: str, original: str, *, source: str, **extra: Any) -> CaptureRef:
    """The ref of one archived capture, addressed in the raw `id_` form."""
    return CaptureRef(
        url=original,
        archive_url=raw_capture_url(prefix, timestamp, original),
        captured_at=parse_timestamp(timestamp),
        source=source,
        **extra,
    )
