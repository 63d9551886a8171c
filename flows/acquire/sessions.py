"""Pooled `requests` sessions and one HTTP request under timeouts and a size cap.

A session is in use by one thread at a time and goes back to the pool afterwards, so
keep-alive connections outlive a batch. `send` makes exactly one request (no redirects, no
retries: the fetcher decides those), streams the body and stops it at `max_bytes` or after
`total_timeout` seconds, and undoes a content-encoding the server sent although we asked for
identity. It raises `TransientFetchError` / `PermanentFetchError`.
"""

from __future__ import annotations

import http
import queue
import threading
import time
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import cast

import requests
import urllib3

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


class SessionPool:
    """`requests.Session`s sending our User-Agent, handed out one per thread at a time."""

    def __init__(self, user_agent: str, *, pool_size: int = 16) -> None:
        self.user_agent = user_agent
        self.pool_size = pool_size
        self._idle: queue.SimpleQueue[requests.Session] = queue.SimpleQueue()
        self._sessions: list[requests.Session] = []
        self._lock = threading.Lock()

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=self.pool_size, pool_maxsize=self.pool_size, max_retries=0
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
) -> Response:
    """One GET, redirects not followed; the body read in full under the caps."""
    fetched_at = datetime.now(UTC)
    started = time.monotonic()
    try:
        raw = session.get(url, stream=True, allow_redirects=False, timeout=timeout)
    except requests.exceptions.Timeout as error:
        raise TransientFetchError("timeout", f"{url}: {error}") from error
    except requests.exceptions.InvalidURL as error:
        raise PermanentFetchError("invalid_url", f"{url}: {error}") from error
    except requests.exceptions.ConnectionError as error:
        raise TransientFetchError("connection_error", f"{url}: {error}") from error
    except requests.exceptions.RequestException as error:
        raise PermanentFetchError("connection_error", f"{url}: {error}") from error
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
        body = _read_body(raw, url, declared, max_bytes, started, total_timeout)
        encoding = (header(headers, "Content-Encoding") or "identity").strip().lower()
        if encoding not in ("identity", ""):
            body = _decode(body, encoding, url, max_bytes)
        return response(body)


def _read_body(
    raw: requests.Response, url: str, declared: int | None, max_bytes: int, started: float, total_timeout: float
) -> bytes:
    chunks: list[bytes] = []
    received = 0
    try:
        for chunk in raw.raw.stream(64 * 1024, decode_content=False):
            received += len(chunk)
            if received > max_bytes:
                raise PermanentFetchError("too_large", f"{url}: body exceeds {max_bytes} bytes")
            if time.monotonic() - started > total_timeout:
                raise TransientFetchError("timeout", f"{url}: body not complete after {total_timeout} s")
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
    value = header(headers, "Content-Length")
    if value is None or "chunked" in (header(headers, "Transfer-Encoding") or "").lower():
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _decode(body: bytes, encoding: str, url: str, max_bytes: int) -> bytes:
    """Undo gzip/deflate a server sent although we asked for identity; capped against bombs."""
    if encoding not in ("gzip", "x-gzip", "deflate"):
        return body
    decompressor = zlib.decompressobj(47 if "gzip" in encoding else zlib.MAX_WBITS)
    try:
        decoded = decompressor.decompress(body, max_bytes + 1)
    except zlib.error as error:
        raise PermanentFetchError("decode_error", f"{url}: bad {encoding} body: {error}") from error
    if len(decoded) > max_bytes:
        raise PermanentFetchError("too_large", f"{url}: decoded body exceeds {max_bytes} bytes")
    return decoded
