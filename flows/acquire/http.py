"""The polite fetcher: a run's limiter, pooled sessions, retries, redirects and robots.txt.

Archives block clients that ignore their limits, so politeness is the default, not an option.
The `Fetcher` composes parts with one job each: the run's per-host limiter (limits.py,
shared_limits.py; built by `fetching.fetcher_from_options`, never here), a `SessionPool` and
`send` (sessions.py: one request under timeouts and a size cap), a `RetryPolicy` (exponential
backoff with jitter; `Retry-After` on 429/503 blocks the host for every worker, a 429 halves
its rate for the rest of the run), redirects followed by hand (each hop rate-limited,
robots-checked and recorded, capped) and a `RobotsCache` for live hosts.

`Fetcher.fetch(ref)` never raises for network problems: it returns a `Capture` whose
`error_reason` says what went wrong. `Fetcher.get(url)` is the lower-level call used by
sources (CDX, sitemaps); it raises `TransientFetchError` / `PermanentFetchError`.
"""

from __future__ import annotations

import http.client
import logging
import random
import threading
import time
from dataclasses import dataclass, replace
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _dist_version
from urllib.parse import urljoin, urlsplit

import requests

from flows.acquire.addresses import AddressPolicy, AddressRefused, resolve_public
from flows.acquire.archive import WAYBACK_HOST
from flows.acquire.captures import Capture, CaptureRef
from flows.acquire.limits import HostRateLimiter
from flows.acquire.responses import (
    BACKOFF_STATUSES,
    REDIRECT_STATUSES,
    TRANSIENT_STATUSES,
    FetchError,
    PermanentFetchError,
    Response,
    TransientFetchError,
    parse_http_date,
    parse_retry_after,
)
from flows.acquire.robots import ROBOTS_MAX_BYTES, RobotsCache
from flows.acquire.sessions import SessionPool, send
from transforms.urls import original_url_from_link

try:  # the installed distribution's version; a source checkout falls back to pyproject's
    VERSION = _dist_version("newsarchive")
except PackageNotFoundError:
    VERSION = "0.1.0"

log = logging.getLogger(__name__)

# Honest about what we are; operators should add a contact with --user-agent / user_agent.
USER_AGENT = f"newsarchive/{VERSION} (news archive research crawler; python-requests)"
ROBOTS_AGENT = "newsarchive"  # the product token robots.txt rules are matched against
# Hosts that serve archived captures: robots.txt of the live site does not apply to them.
KNOWN_ARCHIVE_HOSTS = frozenset({WAYBACK_HOST})
DEFAULT_MAX_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How long one attempt may take and how often, and how long to wait between attempts."""

    max_retries: int = 4  # attempts after the first
    backoff_base: float = 1.0  # seconds before the first retry, doubled each time, with jitter
    backoff_max: float = 120.0
    default_retry_after: float = 30.0  # a 429 without Retry-After
    max_retry_after: float = 300.0  # a longer Retry-After is cut to this
    connect_timeout: float = 10.0
    read_timeout: float = 30.0  # between two bytes
    total_timeout: float = 120.0  # for the whole body

    def delay(self, attempt: int, error: FetchError, rng: random.Random) -> float:
        """Seconds to wait before attempt `attempt + 1` after a transient `error`."""
        delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        delay *= rng.uniform(0.5, 1.5)  # jitter: workers do not retry in lockstep
        if error.retry_after is not None:
            return min(error.retry_after, self.max_retry_after)
        if error.response is not None and error.response.status == 429:
            return max(delay, self.default_retry_after)
        return delay


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


class Fetcher:
    """Fetch captures politely. One instance per run, shared by all worker threads."""

    def __init__(
        self,
        limiter: HostRateLimiter,
        *,
        retry: RetryPolicy | None = None,
        sessions: SessionPool | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_redirects: int = 10,
        respect_robots: bool = True,
        archive_hosts: set[str] | frozenset[str] = frozenset(),
        policy: AddressPolicy | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self.limiter = limiter
        self.retry = retry or RetryPolicy()
        # Which addresses may be reached (addresses.py); default: public ones only.
        self.policy = policy or (sessions.policy if sessions else AddressPolicy())
        if sessions is not None:
            sessions.policy = self.policy
        self.sessions = sessions or SessionPool(USER_AGENT, policy=self.policy)
        self.stop = stop  # set when the run is stopped: requests in flight end, none start
        self.max_bytes = max_bytes
        self.max_redirects = max_redirects
        self.respect_robots = respect_robots
        # Hosts whose URLs are archive replays (robots.txt of the live site does not apply).
        self.archive_hosts = {h.lower() for h in archive_hosts} | KNOWN_ARCHIVE_HOSTS
        # robots.txt rules are matched against the product token: "newsarchive" by default.
        self.robots_agent = (self.user_agent.split("/", 1)[0].split() or [ROBOTS_AGENT])[0]
        self.robots = RobotsCache(self._get_robots_txt, limiter, self.robots_agent)
        self._random = random.Random()

    @property
    def user_agent(self) -> str:
        return self.sessions.user_agent

    def close(self) -> None:
        self.sessions.close()
        self.limiter.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def fetch(self, ref: CaptureRef) -> Capture:
        """Fetch one capture: the raw `id_` archive URL, or the live URL. Never raises for
        network problems: a failure is a `Capture` with `error_reason` set."""
        started = time.monotonic()
        try:
            response = self.get(ref.archive_url or ref.url, archived=ref.archive_url is not None, html_only=True)
        except (ValueError, LookupError, http.client.HTTPException) as error:
            # Bytes from a hostile server that a library could not parse: a reason, not a crash
            # of the batch (and of every rerun that meets this URL).
            log.warning("fetching %s: unusable response: %r", ref.url, error)
            detail = f"{ref.url}: unusable response ({error!r})"[:1000]
            return Capture(ref=ref, error_reason="bad_response", error_detail=detail, attempt_count=1)
        except FetchError as error:
            capture = Capture(
                ref=ref,
                error_reason=error.reason,
                error_detail=error.detail,
                attempt_count=error.attempt_count,
                duration_ms=int((time.monotonic() - started) * 1000),
            )
            if error.response is not None:  # an HTTP error answer: keep what it said
                _fill(capture, error.response)
            return capture
        capture = Capture(ref=ref, attempt_count=response.attempt_count)
        _fill(capture, response)
        capture.duration_ms = int((time.monotonic() - started) * 1000)
        return capture

    def get(
        self,
        url: str,
        *,
        params: dict | list | None = None,
        kind: str = "content",
        archived: bool | None = None,
        html_only: bool = False,
        max_bytes: int | None = None,
    ) -> Response:
        """GET `url` with retries. Returns a 2xx `Response`; raises `PermanentFetchError` or,
        once retries are used up, `TransientFetchError` (both carry `attempt_count`)."""
        if params:
            url = str(requests.Request("GET", url, params=params).prepare().url)
        if archived is None:
            archived = kind == "cdx" or _host(url) in self.archive_hosts
        started = time.monotonic()
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._follow(
                    url, kind=kind, archived=archived, html_only=html_only, max_bytes=max_bytes or self.max_bytes
                )
                return replace(response, attempt_count=attempt, duration_ms=int((time.monotonic() - started) * 1000))
            except PermanentFetchError as error:
                error.attempt_count = attempt
                raise
            except TransientFetchError as error:
                error.attempt_count = attempt
                error.kind = kind
                if attempt > self.retry.max_retries:
                    raise
                self._back_off(error, attempt)

    def _get_robots_txt(self, robots_url: str) -> Response:
        return self.get(robots_url, archived=True, max_bytes=ROBOTS_MAX_BYTES)

    def _back_off(self, error: TransientFetchError, attempt: int) -> None:
        delay = self.retry.delay(attempt, error, self._random)
        status = error.response.status if error.response is not None else None
        if error.response is None or status not in BACKOFF_STATUSES:
            if self.stop is not None and self.stop.wait(delay):
                raise PermanentFetchError("interrupted", "the run was stopped") from error
            if self.stop is None:
                time.sleep(delay)
            return
        # The server asked us to slow down: every worker holds off the host that said so
        # (after redirects, not necessarily the first one). The retry's `acquire` waits.
        host = _host(error.response.final_url)
        self.limiter.block(host, delay)
        if status == 429:
            # Too many requests: the limit was too high for this server; halve it for the
            # rest of the run (never below one request a minute).
            kind = "cdx" if error.kind == "cdx" else "content"
            rate = self.limiter.rate_for(host, kind)
            if rate is not None and rate != float("inf"):
                rate = self.limiter.slow_down(host, max(rate / 2, 1 / 60), kind)
            log.warning("HTTP 429 from %s: all workers wait %.1f s, then %s req/s", host, delay, rate)
        else:
            log.warning("HTTP %s from %s: all workers wait %.1f s", status, host, delay)

    def _follow(self, url: str, *, kind: str, archived: bool, html_only: bool, max_bytes: int) -> Response:
        """One attempt: the request plus every redirect hop."""
        redirects: list[str] = []
        current = url
        while True:
            self._check_address(current, resolve=not archived and self.respect_robots)
            if not archived and self.respect_robots:
                self.robots.check(current)
            response = self._send(current, kind=kind, html_only=html_only, max_bytes=max_bytes)
            location = response.header("Location")
            if response.status in REDIRECT_STATUSES and location:
                redirects.append(current)
                if len(redirects) > self.max_redirects:
                    raise PermanentFetchError(
                        "too_many_redirects", f"more than {self.max_redirects} redirects, last {current}"
                    )
                current = _redirect_target(current, location)
                continue
            response = replace(response, url=url, redirects=tuple(redirects))
            if 200 <= response.status < 300:
                return response
            status = response.status
            detail = f"HTTP {status} from {current}"
            if status in TRANSIENT_STATUSES:
                retry_after = parse_retry_after(response.header("Retry-After"))
                raise TransientFetchError(f"http_{status}", detail, response=response, retry_after=retry_after)
            raise PermanentFetchError(f"http_{status}", detail, response=response)

    def _check_address(self, url: str, *, resolve: bool) -> None:
        """Refuse a URL whose host is not to be reached (addresses.py) before anything is
        sent, robots.txt included. The connection checks again, on the address it dials:
        this early look (`resolve`: with DNS, for live hosts) only gives the right reason."""
        refusal = self.policy.refusal(url)
        if refusal is None and resolve:
            host, port = _host(url), urlsplit(url).port
            if not self.policy.trusts(urlsplit(url).scheme, host, port):
                try:
                    resolve_public(host, port or 0)
                except AddressRefused as error:
                    refusal = str(error)
                except OSError:
                    pass  # the request itself says what is wrong with the name
        if refusal is not None:
            raise PermanentFetchError("private_address", f"{url}: {refusal} (--allow-private-hosts allows it)")

    def _send(self, url: str, *, kind: str, html_only: bool, max_bytes: int) -> Response:
        """One HTTP request on a pooled session, once the limiter lets it leave."""
        if self.stop is not None and self.stop.is_set():
            raise PermanentFetchError("interrupted", f"{url}: the run was stopped")
        with self.sessions.session() as session:
            self.limiter.acquire(_host(url), kind)
            timeout = (self.retry.connect_timeout, self.retry.read_timeout)
            return send(
                session,
                url,
                timeout=timeout,
                total_timeout=self.retry.total_timeout,
                html_only=html_only,
                max_bytes=max_bytes,
                stop=self.stop,
            )


def _redirect_target(current: str, location: str) -> str:
    """Where a redirect points; a Location that is not an http(s) URL is a rejection."""
    try:
        target = urljoin(current, location.strip())
        parts = urlsplit(target)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as error:
        raise PermanentFetchError("bad_redirect", f"{current}: unusable Location {location[:200]!r}: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PermanentFetchError("bad_redirect", f"{current}: redirect to a non-http(s) URL {location[:200]!r}")
    return target


def _fill(capture: Capture, response: Response) -> None:
    """Copy a response into a capture (status, headers, body, redirects, archive metadata)."""
    capture.http_status = response.status
    capture.headers = dict(response.headers)
    capture.content_type = response.content_type
    capture.body = response.body
    capture.final_url = response.final_url
    capture.redirects = response.redirects
    capture.request_headers = dict(response.request_headers)
    capture.reason_phrase = response.reason_phrase
    capture.fetched_at = response.fetched_at
    capture.original_url = original_url_from_link(response.header("Link"))
    capture.memento_at = parse_http_date(response.header("Memento-Datetime"))
