"""The polite HTTP fetcher: pooled sessions, per-host rate limits shared by all workers.

Archives block clients that ignore their limits (the Internet Archive blocks an IP for an hour
after ignored 429s, doubling on repeat), so politeness is the default, not an option:

- pooled `requests.Session`s, one in use per worker thread at a time, an honest User-Agent;
- a per-host limiter shared by every thread of a run: requests to a host are spaced at least
  `1 / rate` seconds apart (CDX queries have their own, slower, limit);
- `Retry-After` on 429/503 blocks the whole host for every worker, not just the one told
  (a 429 without it waits `default_retry_after`), and a 429 halves the host's rate for the
  rest of the run;
- exponential backoff with jitter for timeouts, connection errors, truncated bodies and 5xx;
- connect/read timeouts, a total time per attempt, a maximum body size (streamed, stopped);
- redirects followed by hand (each hop rate-limited, robots-checked and recorded, capped);
- robots.txt respected for live hosts (archives serve captures, not the live site).

`Fetcher.fetch(ref)` never raises for network problems: it returns a `Capture` whose
`error_reason` says what went wrong. `Fetcher.get(url)` is the lower-level call used by
sources (CDX, sitemaps); it raises `TransientFetchError` / `PermanentFetchError`.
"""

from __future__ import annotations

import email.utils
import http
import logging
import queue
import random
import threading
import time
import zlib
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests
import urllib3

from flows.acquire.captures import Capture, CaptureRef

if TYPE_CHECKING:
    from flows.acquire.shared_limits import SharedLimits

try:  # the installed distribution's version; a source checkout falls back to pyproject's
    from importlib.metadata import version as _dist_version

    VERSION = _dist_version("newsarchive")
except Exception:  # noqa: BLE001 - PackageNotFoundError, or metadata unreadable
    VERSION = "0.1.0"

log = logging.getLogger(__name__)

# Honest about what we are; operators should add a contact with --user-agent / user_agent.
USER_AGENT = f"newsarchive/{VERSION} (news archive research crawler; python-requests)"
ROBOTS_AGENT = "newsarchive"  # the product token robots.txt rules are matched against

# Requests per second. The Internet Archive's staff ask for about 60 CDX requests a minute at
# most (its own clients default to ~24/min) and tolerate ~8 content fetches a second.
DEFAULT_RATE = 2.0
DEFAULT_CDX_RATE = 0.4
DEFAULT_HOST_LIMITS: dict[str, float] = {"web.archive.org": 4.0}
# Hosts that serve archived captures: robots.txt of the live site does not apply to them.
KNOWN_ARCHIVE_HOSTS = frozenset({"web.archive.org"})

HTML_TYPES = ("text/html", "application/xhtml+xml")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
BACKOFF_STATUSES = frozenset({429, 503})  # the whole host backs off, not just one worker


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
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    now = time.time() if now is None else now
    return max(0.0, when.timestamp() - now)


def parse_rates(values: list[str] | tuple[str, ...]) -> tuple[float | None, dict[str, float]]:
    """`--rate` values: `R` (every host), `HOST=R` (one host), `cdx=R` (CDX queries).

    Returns (rate for every host or None, {host: rate}). Raises ValueError on bad input.
    """
    default: float | None = None
    per_host: dict[str, float] = {}
    for value in values:
        host, _, rate_text = value.rpartition("=")
        try:
            rate = float(rate_text)
        except ValueError:
            raise ValueError(
                f"bad --rate {value!r}: expected REQUESTS_PER_SECOND or HOST=REQUESTS_PER_SECOND"
            ) from None
        if rate <= 0:
            raise ValueError(f"bad --rate {value!r}: the rate must be positive")
        if host:
            per_host[host.lower()] = rate
        else:
            default = rate
    return default, per_host


class _Slot:
    __slots__ = ("lock", "interval", "next_at")

    def __init__(self, interval: float) -> None:
        self.lock = threading.Lock()
        self.interval = interval
        self.next_at = 0.0


class HostRateLimiter:
    """Per-host request spacing shared by all threads, plus host-wide back-off.

    Each (host, kind) has a slot; `acquire` holds the slot's lock until the slot's next send
    time has come, then books the next one `interval` later. A thread that wakes late (sleep
    overshoot, the GIL) is credited up to `catch_up` seconds so the rate does not erode, but
    never more: any `n + 1` consecutive requests to a host span at least `n * interval -
    catch_up`. `safety` widens the interval (4 %: 40 ms a second, less the 10 ms catch-up) so
    that jitter between our send and the server's clock (thread scheduling on a busy machine)
    never lets a server count more than `rate` requests in any one second.
    """

    def __init__(
        self,
        default_rate: float | None = DEFAULT_RATE,
        host_limits: dict[str, float] | None = None,
        cdx_rate: float | None = DEFAULT_CDX_RATE,
        safety: float = 0.04,
        catch_up: float = 0.01,
    ) -> None:
        self.catch_up = catch_up
        self.default_rate = default_rate
        self.host_limits = {host.lower(): rate for host, rate in (host_limits or {}).items()}
        self.cdx_rate = cdx_rate
        self.safety = safety
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._blocked_until: dict[str, float] = {}
        self._lock = threading.Lock()

    def rate_for(self, host: str, kind: str = "content") -> float | None:
        """Requests per second allowed for `host`; None means no limit."""
        if kind == "cdx":
            return self.host_limits.get(f"{host}#cdx", self.cdx_rate)
        return self.host_limits.get(host, self.default_rate)

    def _interval(self, rate: float | None) -> float:
        if rate is None or rate == float("inf"):
            return 0.0
        return (1.0 / rate) * (1.0 + self.safety)

    def _slot(self, host: str, kind: str) -> _Slot:
        key = (host, kind)
        with self._lock:
            slot = self._slots.get(key)
            if slot is None:
                slot = self._slots[key] = _Slot(self._interval(self.rate_for(host, kind)))
            return slot

    def slow_down(self, host: str, rate: float, kind: str = "content") -> float | None:
        """Lower a host's rate (robots.txt Crawl-delay, a 429); never raises it. Returns the
        rate now in force."""
        with self._lock:
            current = self.rate_for(host, kind)
            if current is None or current == float("inf") or rate < current:
                self.host_limits[f"{host}#cdx" if kind == "cdx" else host] = rate
                slot = self._slots.get((host, kind))
                if slot is not None:
                    slot.interval = self._interval(rate)
                return rate
            return current

    def block(self, host: str, seconds: float) -> None:
        """Every worker waits `seconds` before its next request to `host` (429/503)."""
        until = time.monotonic() + seconds
        with self._lock:
            if until > self._blocked_until.get(host, 0.0):
                self._blocked_until[host] = until

    def blocked_for(self, host: str) -> float:
        """Seconds until `host` may be asked again after a 429/503 (0 when not blocked)."""
        with self._lock:
            return max(0.0, self._blocked_until.get(host, 0.0) - time.monotonic())

    def acquire(self, host: str, kind: str = "content") -> float:
        """Wait until a request to `host` may leave; returns the seconds waited."""
        started = time.monotonic()
        slot = self._slot(host, kind)
        with slot.lock:
            while True:
                now = time.monotonic()
                ready_at = max(slot.next_at, self._blocked_until.get(host, 0.0))
                if ready_at <= now:
                    break
                time.sleep(ready_at - now)
            late = min(max(0.0, now - ready_at), self.catch_up, slot.interval)
            slot.next_at = now + slot.interval - late
        return now - started

    def close(self) -> None:
        """Nothing to release here; shared limiters (flows/acquire/shared_limits.py) close their clients."""


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _host_port(url: str) -> str:
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    return f"{host}:{parts.port}" if parts.port else host


def _is_html(content_type: str | None) -> bool:
    if not content_type:
        return True  # unknown before download: let extraction decide from the bytes
    return content_type.split(";", 1)[0].strip().lower() in HTML_TYPES


def _parse_http_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class Fetcher:
    """Fetch captures politely. One instance per run, shared by all worker threads."""

    def __init__(
        self,
        *,
        user_agent: str = USER_AGENT,
        host_limits: dict[str, float] | None = None,
        default_rate: float | None = DEFAULT_RATE,
        cdx_rate: float | None = DEFAULT_CDX_RATE,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
        total_timeout: float = 120.0,
        max_bytes: int = 20 * 1024 * 1024,
        max_retries: int = 4,
        backoff_base: float = 1.0,
        backoff_max: float = 120.0,
        max_retry_after: float = 600.0,
        default_retry_after: float = 30.0,
        max_redirects: int = 10,
        respect_robots: bool = True,
        archive_hosts: set[str] | None = None,
        limiter: HostRateLimiter | None = None,
        shared_limits: SharedLimits | None = None,
        pool_size: int = 16,
    ) -> None:
        self.user_agent = user_agent
        # robots.txt rules are matched against the product token: "newsarchive" by default.
        self.robots_agent = (user_agent.split("/", 1)[0].split() or [ROBOTS_AGENT])[0]
        limits = {**DEFAULT_HOST_LIMITS, **{k.lower(): v for k, v in (host_limits or {}).items()}}
        if limiter is None and shared_limits is not None:
            # Limits shared with the other processes of the run (Dask workers): flows/acquire/shared_limits.py.
            limiter = shared_limits.limiter(default_rate, limits, cdx_rate)
        self.limiter = limiter or HostRateLimiter(default_rate, limits, cdx_rate)
        self.timeout = (connect_timeout, read_timeout)
        self.total_timeout = total_timeout
        self.max_bytes = max_bytes
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.max_retry_after = max_retry_after
        self.default_retry_after = default_retry_after  # a 429 without Retry-After
        self.max_redirects = max_redirects
        self.respect_robots = respect_robots
        # Hosts whose URLs are archive replays (robots.txt of the live site does not apply).
        self.archive_hosts = {h.lower() for h in (archive_hosts or set())} | KNOWN_ARCHIVE_HOSTS
        self.pool_size = pool_size
        self._idle: queue.SimpleQueue[requests.Session] = queue.SimpleQueue()
        self._sessions: list[requests.Session] = []
        self._sessions_lock = threading.Lock()
        self._robots: dict[str, RobotFileParser | str] = {}  # host:port -> parser or denial detail
        self._robots_locks: dict[str, threading.Lock] = {}
        self._robots_lock = threading.Lock()
        self._random = random.Random()

    # -- sessions ---------------------------------------------------------------------------

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        adapter = requests.adapters.HTTPAdapter(
            pool_connections=self.pool_size, pool_maxsize=self.pool_size, max_retries=0
        )
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(
            {
                "User-Agent": self.user_agent,
                # Identity: the bytes we keep in the WARC are the bytes the server sent.
                "Accept-Encoding": "identity",
                "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
            }
        )
        with self._sessions_lock:
            self._sessions.append(session)
        return session

    def _checkout(self) -> requests.Session:
        """An idle pooled session (kept open between batches and threads), or a new one."""
        try:
            return self._idle.get_nowait()
        except queue.Empty:
            return self._new_session()

    def close(self) -> None:
        with self._sessions_lock:
            for session in self._sessions:
                session.close()
            self._sessions.clear()
        self._idle = queue.SimpleQueue()
        self.limiter.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the public calls -------------------------------------------------------------------

    def fetch(self, ref: CaptureRef) -> Capture:
        """Fetch one capture: the raw `id_` archive URL, or the live URL. Never raises for
        network problems: a failure is a `Capture` with `error_reason` set."""
        archived = ref.archive_url is not None
        url = ref.archive_url or ref.url
        started = time.monotonic()
        try:
            response = self.get(url, archived=archived, html_only=True)
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
            url = requests.Request("GET", url, params=params).prepare().url
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
                if attempt > self.max_retries:
                    raise
                self._back_off(url, error, attempt)

    # -- internals --------------------------------------------------------------------------

    def _back_off(self, url: str, error: TransientFetchError, attempt: int) -> None:
        delay = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        delay *= self._random.uniform(0.5, 1.5)  # jitter: workers do not retry in lockstep
        status = error.response.status if error.response is not None else None
        if error.retry_after is not None:
            delay = min(error.retry_after, self.max_retry_after)
        elif status == 429:
            delay = max(delay, self.default_retry_after)
        if status in BACKOFF_STATUSES:
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
            return
        time.sleep(delay)

    def _follow(self, url: str, *, kind: str, archived: bool, html_only: bool, max_bytes: int) -> Response:
        """One attempt: the request plus every redirect hop."""
        redirects: list[str] = []
        current = url
        while True:
            if not archived and self.respect_robots:
                self._check_robots(current)
            response = self._request(current, kind=kind, html_only=html_only, max_bytes=max_bytes)
            if response.status in REDIRECT_STATUSES and response.header("Location"):
                redirects.append(current)
                if len(redirects) > self.max_redirects:
                    raise PermanentFetchError(
                        "too_many_redirects", f"more than {self.max_redirects} redirects, last {current}"
                    )
                current = urljoin(current, response.header("Location"))
                continue
            response = replace(response, url=url, redirects=tuple(redirects))
            if 200 <= response.status < 300:
                return response
            status = response.status
            retry_after = parse_retry_after(response.header("Retry-After"))
            detail = f"HTTP {status} from {current}"
            if status in TRANSIENT_STATUSES:
                raise TransientFetchError(f"http_{status}", detail, response=response, retry_after=retry_after)
            raise PermanentFetchError(f"http_{status}", detail, response=response)

    def _request(self, url: str, *, kind: str, html_only: bool, max_bytes: int) -> Response:
        """One HTTP request, rate-limited, body streamed under the size and time caps."""
        session = self._checkout()
        try:
            return self._request_with(session, url, kind=kind, html_only=html_only, max_bytes=max_bytes)
        finally:
            self._idle.put(session)

    def _request_with(
        self, session: requests.Session, url: str, *, kind: str, html_only: bool, max_bytes: int
    ) -> Response:
        self.limiter.acquire(_host(url), kind)
        fetched_at = datetime.now(UTC)
        started = time.monotonic()
        try:
            raw = session.get(url, stream=True, allow_redirects=False, timeout=self.timeout)
        except requests.exceptions.Timeout as error:
            raise TransientFetchError("timeout", f"{url}: {error}") from error
        except requests.exceptions.InvalidURL as error:
            raise PermanentFetchError("invalid_url", f"{url}: {error}") from error
        except requests.exceptions.ConnectionError as error:
            raise TransientFetchError("connection_error", f"{url}: {error}") from error
        except requests.exceptions.RequestException as error:
            raise PermanentFetchError("connection_error", f"{url}: {error}") from error
        with raw:
            headers = {k: v for k, v in raw.headers.items()}
            request_headers = dict(raw.request.headers)
            status = raw.status_code
            phrase = raw.reason or _phrase(status)

            def response(body: bytes) -> Response:
                return Response(
                    url=url,
                    final_url=url,
                    status=status,
                    reason_phrase=phrase,
                    headers=headers,
                    body=body,
                    request_headers=request_headers,
                    fetched_at=fetched_at,
                )

            if status in REDIRECT_STATUSES:
                return response(b"")
            ok = 200 <= status < 300
            if ok and html_only and not _is_html(header(headers, "Content-Type")):
                raise PermanentFetchError(
                    "not_html", f"{url}: Content-Type {header(headers, 'Content-Type')}", response=response(b"")
                )
            declared = _content_length(headers)
            if declared is not None and declared > max_bytes:
                raise PermanentFetchError("too_large", f"{url}: Content-Length {declared} > {max_bytes}")
            body = self._read_body(raw, url, declared, max_bytes, started)
            encoding = header(headers, "Content-Encoding", "identity").strip().lower()
            if encoding not in ("identity", ""):
                body = _decode(body, encoding, url, max_bytes)
            return response(body)

    def _read_body(
        self, raw: requests.Response, url: str, declared: int | None, max_bytes: int, started: float
    ) -> bytes:
        chunks: list[bytes] = []
        received = 0
        try:
            for chunk in raw.raw.stream(64 * 1024, decode_content=False):
                received += len(chunk)
                if received > max_bytes:
                    raise PermanentFetchError("too_large", f"{url}: body exceeds {max_bytes} bytes")
                if time.monotonic() - started > self.total_timeout:
                    raise TransientFetchError("timeout", f"{url}: body not complete after {self.total_timeout} s")
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

    def _check_robots(self, url: str) -> None:
        """Raise `robots_disallowed` when the live host's robots.txt forbids `url`."""
        parts = urlsplit(url)
        key = f"{parts.scheme}://{_host_port(url)}"
        with self._robots_lock:
            lock = self._robots_locks.setdefault(key, threading.Lock())
        with lock:  # one robots.txt fetch per host, however many workers ask at once
            if key not in self._robots:
                self._robots[key] = self._load_robots(key)
        rules = self._robots[key]
        if isinstance(rules, str):
            # Disallowed for this run only: the ledger counts robots_unreachable as transient,
            # so the next run asks again.
            raise PermanentFetchError("robots_unreachable", f"{url}: {rules}")
        if not rules.can_fetch(self.robots_agent, url):
            raise PermanentFetchError("robots_disallowed", f"{url}: disallowed by {key}/robots.txt")

    def _load_robots(self, origin: str) -> RobotFileParser | str:
        """RFC 9309: a 4xx robots.txt allows everything; an unreachable one (5xx, network
        errors after retries) forbids everything for this run."""
        robots_url = f"{origin}/robots.txt"
        parser = RobotFileParser(robots_url)
        try:
            response = self.get(robots_url, archived=True, max_bytes=512 * 1024)
        except PermanentFetchError as error:
            if error.response is not None and 400 <= error.response.status < 500:
                parser.parse([])
                return parser
            return f"robots.txt unusable ({error.reason})"
        except TransientFetchError as error:
            return f"robots.txt unreachable ({error.reason}): assuming disallow"
        parser.parse(response.body.decode("utf-8", errors="replace").splitlines())
        delay = parser.crawl_delay(self.robots_agent)
        if delay:
            self.limiter.slow_down(_host(origin), 1.0 / float(delay))
        return parser


def fetcher_from_options(
    *, user_agent: str | None = None, rates: list[str] | tuple[str, ...] = (), archive: str | None = None, **options
) -> Fetcher:
    """A Fetcher from the CLI's `--user-agent` and `--rate` values (see `parse_rates`).

    `--rate R` sets every content host's limit (web.archive.org included); `--rate HOST=R` one
    host's; `--rate HOST#cdx=R` a host's CDX limit (default 0.4/s). The `--archive` prefix's host
    is marked as an archive (its replay URLs are not checked against robots.txt).
    `shared_limits=SharedLimits(...)` (flows/acquire/shared_limits.py) shares the limits with the run's other
    processes (Dask workers) instead of this process's threads only.
    """
    default, per_host = parse_rates(rates)
    host_limits = dict(per_host)
    if default is not None:
        host_limits.update({host: default for host in DEFAULT_HOST_LIMITS if host not in per_host})
        options["default_rate"] = default
    cdx_rate = per_host.pop("cdx", None)
    host_limits.pop("cdx", None)
    if cdx_rate is not None:
        options["cdx_rate"] = cdx_rate
    archive_hosts = set(options.pop("archive_hosts", set()))
    if archive:
        archive_hosts.add(_host(archive))
    return Fetcher(user_agent=user_agent or USER_AGENT, host_limits=host_limits, archive_hosts=archive_hosts, **options)


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
    capture.memento_at = _parse_http_date(response.header("Memento-Datetime"))


def original_url_from_link(link: str | None) -> str | None:
    """The `rel="original"` target of a Memento `Link` header, or None."""
    if not link:
        return None
    for target in requests.utils.parse_header_links(link):
        rels = target.get("rel", "").split()
        if "original" in rels and target.get("url"):
            return target["url"]
    return None


def _phrase(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return ""


def _content_length(headers: dict[str, str]) -> int | None:
    value = header(headers, "Content-Length")
    if value is None or "chunked" in header(headers, "Transfer-Encoding", "").lower():
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def _decode(body: bytes, encoding: str, url: str, max_bytes: int) -> bytes:
    """Undo gzip/deflate a server sent although we asked for identity; capped against bombs."""
    encoding = encoding.strip().lower()
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
