"""Pooled `requests` sessions and one HTTP request under timeouts and a size cap.

A session is in use by one thread at a time and goes back to the pool afterwards, so
keep-alive connections outlive a batch; their connections go only to addresses the run's
`AddressPolicy` allows (addresses.py). `send` makes exactly one request (no redirects, no
retries: the fetcher decides those), streams the body and stops it at `max_bytes` or when
`total_timeout` seconds have passed, however slowly the bytes come (deadlines.py), and undoes
the content-codings the server sent although we asked for identity, each capped when inflated.
It raises `TransientFetchError` / `PermanentFetchError`.
"""

from __future__ import annotations

import http
import logging
import queue
import re
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import NoReturn, cast

import brotli
import requests
import urllib3

from flows.acquire import deadlines
from flows.acquire.addresses import AddressPolicy, AddressRefused, GuardedAdapter
from flows.acquire.responses import (
    HTML_MEDIA_TYPES,
    REDIRECT_STATUSES,
    PermanentFetchError,
    Response,
    TransientFetchError,
    header,
    is_html,
)

# Pages first; anything else only so that a server with nothing better still answers.
ACCEPT = f"{HTML_MEDIA_TYPES[0]},{HTML_MEDIA_TYPES[1]};q=0.9,*/*;q=0.5"
_DIGITS = re.compile(r"[0-9]{1,18}")  # ASCII only: str.isdigit() also takes '²' and '٣'
_MAX_CODINGS = 4  # content-codings undone in a row; more is not a page


class _NoHeaderParsingTracebacks(logging.Filter):
    """urllib3 logs a traceback when a response's headers do not parse (a hostile server, or
    an attempt its deadline cut mid-headers); the fetch says what happened as a reason."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Failed to parse headers")


logging.getLogger("urllib3.connection").addFilter(_NoHeaderParsingTracebacks())


class SessionPool:
    """`requests.Session`s sending our User-Agent, handed out one per thread at a time."""

    def __init__(self, user_agent: str, *, pool_size: int = 16, policy: AddressPolicy | None = None) -> None:
        self.user_agent = user_agent
        self.pool_size = pool_size
        self.policy = policy or AddressPolicy()  # default: public addresses only
        self._idle: queue.SimpleQueue[requests.Session] = queue.SimpleQueue()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        adapter = GuardedAdapter(
            self.policy, pool_connections=self.pool_size, pool_maxsize=self.pool_size, max_retries=0
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        # Identity: the bytes we keep in the WARC are the bytes the server sent.
        session.headers.update({"User-Agent": self.user_agent, "Accept-Encoding": "identity", "Accept": ACCEPT})
        with self._lock:
            self._sessions.append(session)
        return session

    @contextmanager
    def session(self) -> Iterator[requests.Session]:
        """An idle pooled session (kept open between batches and threads), or a new one."""
        try:
            session = self._idle.get_nowait()
        except queue.Empty:
            session = self._new_session()
        try:
            yield session
        finally:
            self._idle.put(session)

    def close(self) -> None:
        with self._lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._idle = queue.SimpleQueue()


def send(
    session: requests.Session,
    url: str,
    *,
    timeout: tuple[float, float],
    total_timeout: float,
    html_only: bool,
    max_bytes: int,
    stop: threading.Event | None = None,
) -> Response:
    """One GET, redirects not followed; the body read in full under the caps. The attempt is
    over after `total_timeout` seconds (headers and body, however slowly they come: see
    deadlines.py) or as soon as `stop` is set (`PermanentFetchError('interrupted')`)."""
    with deadlines.attempt(total_timeout, stop) as attempt:
        try:
            return _send(session, url, timeout=timeout, html_only=html_only, max_bytes=max_bytes, attempt=attempt)
        except (TransientFetchError, PermanentFetchError) as error:
            if attempt.ended is None or error.reason in ("too_large", "not_html", "private_address"):
                raise
            _raise_ended(attempt, url, total_timeout, error)


def _raise_ended(attempt: deadlines.Attempt, url: str, total_timeout: float, error: Exception) -> NoReturn:
    if attempt.ended == "stopped":
        raise PermanentFetchError("interrupted", f"{url}: the run was stopped") from error
    raise TransientFetchError("timeout", f"{url}: not complete after {total_timeout:g} s") from error


def _send(
    session: requests.Session,
    url: str,
    *,
    timeout: tuple[float, float],
    html_only: bool,
    max_bytes: int,
    attempt: deadlines.Attempt,
) -> Response:
    fetched_at = datetime.now(UTC)
    try:
        raw = session.get(url, stream=True, allow_redirects=False, timeout=timeout)
    except AddressRefused as error:
        raise PermanentFetchError("private_address", f"{url}: {error} (--allow-private-hosts allows it)") from None
    except requests.exceptions.Timeout as error:
        raise TransientFetchError("timeout", f"{url}: {error}") from error
    except requests.exceptions.InvalidURL as error:
        raise PermanentFetchError("invalid_url", f"{url}: {error}") from error
    except requests.exceptions.ConnectionError as error:
        raise TransientFetchError("connection_error", f"{url}: {error}") from error
    except requests.exceptions.RequestException as error:
        raise PermanentFetchError("connection_error", f"{url}: {error}") from error
    except ValueError as error:
        # requests reads a redirect's Location even with allow_redirects=False (to offer the
        # next request); an unparsable one (`http://[::1`) raises here, not in our code.
        raise PermanentFetchError("bad_redirect", f"{url}: unusable redirect ({error})") from None
    with raw:
        headers = dict(raw.headers.items())
        status = raw.status_code

        def response(body: bytes) -> Response:
            return Response(
                url=url,
                final_url=url,
                status=status,
                reason_phrase=raw.reason or _phrase(status),
                headers=headers,
                body=body,
                request_headers=cast(dict[str, str], dict(raw.request.headers)),
                fetched_at=fetched_at,
            )

        if status in REDIRECT_STATUSES:
            return response(b"")
        content_type = header(headers, "Content-Type")
        # An unknown type is let through: extraction decides from the bytes.
        if 200 <= status < 300 and html_only and content_type and not is_html(content_type):
            raise PermanentFetchError("not_html", f"{url}: Content-Type {content_type}", response=response(b""))
        declared = _content_length(headers)
        if declared is not None and declared > max_bytes:
            raise PermanentFetchError("too_large", f"{url}: Content-Length {declared} > {max_bytes}")
        body = _read_body(raw, url, declared, max_bytes)
        if attempt.ended is not None:  # the watchdog cut the socket: what came is not the whole body
            raise TransientFetchError("timeout", f"{url}: body not complete in time")
        return response(decode_body(body, header(headers, "Content-Encoding"), url, max_bytes))


def _read_body(raw: requests.Response, url: str, declared: int | None, max_bytes: int) -> bytes:
    chunks: list[bytes] = []
    received = 0
    try:
        for chunk in raw.raw.stream(64 * 1024, decode_content=False):
            received += len(chunk)
            if received > max_bytes:
                raise PermanentFetchError("too_large", f"{url}: body exceeds {max_bytes} bytes")
            chunks.append(chunk)
    except urllib3.exceptions.ReadTimeoutError as error:
        raise TransientFetchError("timeout", f"{url}: read timed out after {received} bytes") from error
    except (urllib3.exceptions.ProtocolError, urllib3.exceptions.IncompleteRead) as error:
        if declared is not None and received < declared:
            raise TransientFetchError("truncated", f"{url}: got {received} of {declared} bytes") from error
        raise TransientFetchError("connection_error", f"{url}: {error}") from error
    except (OSError, urllib3.exceptions.HTTPError) as error:
        raise TransientFetchError("connection_error", f"{url}: {error}") from error
    if declared is not None and received < declared:
        raise TransientFetchError("truncated", f"{url}: got {received} of {declared} bytes")
    return b"".join(chunks)


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _content_length(headers: dict[str, str]) -> int | None:
    """Content-Length when it is one plain number (anything else is ignored, never trusted)."""
    value = header(headers, "Content-Length")
    if value is None or "chunked" in (header(headers, "Transfer-Encoding") or "").lower():
        return None
    value = value.strip()
    return int(value) if _DIGITS.fullmatch(value) else None


def decode_body(body: bytes, content_encoding: str | None, url: str, max_bytes: int) -> bytes:
    """Undo the content-codings a server applied although we asked for identity (`gzip`,
    `deflate`, `br`, several in a row), each inflated under `max_bytes` (bombs are `too_large`).
    An unknown coding is left as it is: extraction then sees bytes that are not a page."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    for coding in reversed(codings[:_MAX_CODINGS]):
        if coding in ("gzip", "x-gzip", "deflate"):
            body = _inflate(body, coding, url, max_bytes)
        elif coding == "br":
            body = _unbrotli(body, url, max_bytes)
        elif coding != "identity":
            break
    return body


def _inflate(body: bytes, coding: str, url: str, max_bytes: int) -> bytes:
    decompressor = zlib.decompressobj(47 if "gzip" in coding else zlib.MAX_WBITS)
    try:
        decoded = decompressor.decompress(body, max_bytes + 1)
    except zlib.error as error:
        raise PermanentFetchError("decode_error", f"{url}: bad {coding} body: {error}") from error
    if len(decoded) > max_bytes:
        raise PermanentFetchError("too_large", f"{url}: decoded body exceeds {max_bytes} bytes")
    return decoded


def _unbrotli(body: bytes, url: str, max_bytes: int) -> bytes:
    decompressor = brotli.Decompressor()
    try:
        decoded = decompressor.process(body, output_buffer_limit=max_bytes + 1)
    except brotli.error as error:
        raise PermanentFetchError("decode_error", f"{url}: bad br body: {error}") from error
    if len(decoded) > max_bytes or not decompressor.can_accept_more_data():
        raise PermanentFetchError("too_large", f"{url}: decoded body exceeds {max_bytes} bytes")
    if not decompressor.is_finished():
        raise PermanentFetchError("decode_error", f"{url}: truncated br body")
    return decoded
