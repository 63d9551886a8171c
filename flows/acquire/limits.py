"""Per-host request spacing for the threads of one process, and the `--rate` option's syntax.

Archives block clients that ignore their limits (the Internet Archive blocks an IP for an hour
after ignored 429s, doubling on repeat), so the limits are polite by default and shared by
every thread of a run. The clock (`monotonic`, `sleep`) is an argument, so tests can drive a
limiter without waiting; `shared_limits.py` extends the limiter across processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from flows.acquire.archive import WAYBACK_HOST

# Requests per second. The Internet Archive's staff ask for about 60 CDX requests a minute at
# most (its own clients default to ~24/min) and tolerate ~8 content fetches a second.
DEFAULT_RATE = 2.0
DEFAULT_CDX_RATE = 0.4
DEFAULT_HOST_LIMITS: dict[str, float] = {WAYBACK_HOST: 4.0}


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
        *,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.catch_up = catch_up
        self.default_rate = default_rate
        self.host_limits = {host.lower(): rate for host, rate in (host_limits or {}).items()}
        self.cdx_rate = cdx_rate
        self.safety = safety
        self.monotonic = monotonic
        self.sleep = sleep
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
        until = self.monotonic() + seconds
        with self._lock:
            if until > self._blocked_until.get(host, 0.0):
                self._blocked_until[host] = until

    def blocked_for(self, host: str) -> float:
        """Seconds until `host` may be asked again after a 429/503 (0 when not blocked)."""
        with self._lock:
            return max(0.0, self._blocked_until.get(host, 0.0) - self.monotonic())

    def acquire(self, host: str, kind: str = "content") -> float:
        """Wait until a request to `host` may leave; returns the seconds waited."""
        started = self.monotonic()
        slot = self._slot(host, kind)
        with slot.lock:
            while True:
                now = self.monotonic()
                ready_at = max(slot.next_at, self._blocked_until.get(host, 0.0))
                if ready_at <= now:
                    break
                self.sleep(ready_at - now)
            late = min(max(0.0, now - ready_at), self.catch_up, slot.interval)
            slot.next_at = now + slot.interval - late
        return now - started

    def close(self) -> None:
        """Nothing to release here; shared limiters (shared_limits.py) close their clients."""
