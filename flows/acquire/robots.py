"""robots.txt of live hosts, fetched once per origin and run (archives serve captures, not the
live site, so the fetcher does not ask this for archive URLs).

RFC 9309: a robots.txt answering 4xx allows everything; one that cannot be reached (5xx,
network errors after retries) forbids everything for this run (`robots_unreachable`, which
the ledger counts as transient, so the next run asks again). A `Crawl-delay` lowers the
host's rate in the run's limiter (a cap: a slower configured rate stays). Rules are read by
Protego (wildcards `*`, end anchors `$`, the longest match wins, Allow over Disallow on a tie),
which the standard library's parser does not know.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from urllib.parse import urlsplit

from protego import Protego

from flows.acquire.limits import HostRateLimiter
from flows.acquire.responses import PermanentFetchError, Response, TransientFetchError

ROBOTS_MAX_BYTES = 512 * 1024


class RobotsCache:
    """`check(url)` raises `PermanentFetchError` when the host's robots.txt forbids `url` to
    `agent`. `get(robots_url)` fetches a robots.txt (the fetcher's own, rate-limited GET)."""

    def __init__(self, get: Callable[[str], Response], limiter: HostRateLimiter, agent: str) -> None:
        self.get = get
        self.limiter = limiter
        self.agent = agent
        self._rules: dict[str, Protego | str] = {}  # origin -> parser or denial detail
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def check(self, url: str) -> None:
        """Raise `robots_disallowed` (or `robots_unreachable`) when `url` may not be fetched."""
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        netloc = f"[{host}]" if ":" in host else host  # an IPv6 literal keeps its brackets
        origin = f"{parts.scheme}://{netloc}:{parts.port}" if parts.port else f"{parts.scheme}://{netloc}"
        with self._lock:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:  # one robots.txt fetch per origin, however many workers ask at once
            if origin not in self._rules:
                self._rules[origin] = self._load(origin, host)
        rules = self._rules[origin]
        if isinstance(rules, str):
            raise PermanentFetchError("robots_unreachable", f"{url}: {rules}")
        if not rules.can_fetch(url, self.agent):
            raise PermanentFetchError("robots_disallowed", f"{url}: disallowed by {origin}/robots.txt")

    def _load(self, origin: str, host: str) -> Protego | str:
        robots_url = f"{origin}/robots.txt"
        try:
            response = self.get(robots_url)
        except PermanentFetchError as error:
            if error.response is not None and 400 <= error.response.status < 500:
                return Protego.parse("")
            return f"robots.txt unusable ({error.reason})"
        except TransientFetchError as error:
            return f"robots.txt unreachable ({error.reason}): assuming disallow"
        parser = Protego.parse(response.body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace"))
        delay = parser.crawl_delay(self.agent)
        if delay:
            self.limiter.slow_down(host, 1.0 / float(delay))
        return parser
