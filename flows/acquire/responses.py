"""What one HTTP exchange yields: a `Response`, or a typed error that says whether to retry.

Transient errors (timeouts, connection errors, truncated bodies, 429, 5xx) are retried by the
fetcher; permanent ones (404/410 and other 4xx, not HTML, too large, robots.txt) become a
capture's `error_reason` at once. Also here: header lookup in any case, `Retry-After`, and
the one rule for "is this a page?" (`is_html`) that the fetcher and CDX selection share.
"""

from __future__ import annotations

import email.utils
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from transforms.decode import media_type

# The media types of pages. Extraction accepts a wider set (transforms/decode.py reads text
# and XML types too): this is what acquisition asks for and keeps.
HTML_MEDIA_TYPES = ("text/html", "application/xhtml+xml")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
BACKOFF_STATUSES = frozenset({429, 503})  # the whole host backs off, not just one worker
_DELTA_SECONDS = re.compile(r"[0-9]{1,12}")


def is_html(content_type: str | None) -> bool:
    """True when a Content-Type (or CDX mime) names a page: `text/html; charset=...` etc."""
    return media_type(content_type) in HTML_MEDIA_TYPES


class FetchError(Exception):
    """A fetch that did not produce a usable response; `reason` is a rejection reason."""

    def __init__(
        self, reason: str, detail: str = "", *, response: Response | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.response = response  # the HTTP error response, when there was one (kept in WARC)
        self.retry_after = retry_after
        self.attempt_count = 0
        self.kind = "content"  # or "cdx": which limit the failed request counted against


class TransientFetchError(FetchError):
    """Worth retrying: timeouts, connection errors, truncated bodies, 429 and 5xx."""


class PermanentFetchError(FetchError):
    """Retrying will not help: 404/410 and other 4xx, not HTML, too large, robots, redirect loops."""


@dataclass(frozen=True, slots=True)
class Response:
    """One complete HTTP response, body as received (after any content-encoding is undone)."""

    url: str  # what was asked for
    final_url: str  # after redirects
    status: int
    reason_phrase: str
    headers: dict[str, str]
    body: bytes
    redirects: tuple[str, ...] = ()  # every URL that answered with a redirect, in order
    request_headers: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime | None = None
    attempt_count: int = 1
    duration_ms: int = 0

    def header(self, name: str, default: str | None = None) -> str | None:
        """A response header by name, whatever case the server wrote it in."""
        return header(self.headers, name, default)

    @property
    def content_type(self) -> str | None:
        return self.header("Content-Type")


def header(headers: dict[str, str], name: str, default: str | None = None) -> str | None:
    """Look a header up case-insensitively (headers keep the server's spelling, for the WARC)."""
    value = headers.get(name)
    if value is not None:
        return value
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return default


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None for
    anything else: a header is the server's word, never a reason to crash (`²` passes
    `str.isdigit()` and fails `int()`; only ASCII digits count here). The fetcher caps the wait."""
    if not value:
        return None
    value = value.strip()
    if _DELTA_SECONDS.fullmatch(value):
        return float(value)
    when = _http_date(value)
    if when is None:
        return None
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def parse_http_date(value: str | None) -> datetime | None:
    """An HTTP date header (`Memento-Datetime`) as a UTC datetime, or None."""
    if not value:
        return None
    return _http_date(value)


def _http_date(value: str) -> datetime | None:
    if len(value) > 100:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
