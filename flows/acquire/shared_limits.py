"""Per-host rate limits that hold across processes (Dask workers), not just across threads.

`HostRateLimiter` (limits.py) spaces the requests of one process; on a Dask cluster every
worker builds its own fetcher, so a "50 req/s" limit would become N x 50 req/s. Here the
processes of a run book their send times from one shared `Schedule` instead:

- `dask` (the choice): the schedule lives in the Dask scheduler's memory, booked with
  `Client.run_on_scheduler`. The booking runs in the scheduler's event loop, so it is atomic
  without a lock that a dying worker could leave held, and it answers a delay, not a clock
  time, so clocks of different machines never have to agree. `block` (Retry-After) and
  `slow_down` (a 429 halving the rate) are shared too.
- `prefect`: a Prefect global concurrency limit per host whose slots decay at the rate, taken
  `batch` slots at a time and spent locally `1 / rate` apart (Prefect's plain `rate_limit`
  once per request is too slow and lets bursts through). `block` and `slow_down` stay per
  process with this backend.

Times booked but not used (a process ends) are lost, never given to others: the limit errs on
the polite side. bench/fetch.py measures both against a per-process limiter; bench/README.md
has the figures.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from flows.acquire.limit_backends import DaskSchedule, PrefectSchedule, Schedule
from flows.acquire.limits import DEFAULT_CDX_RATE, DEFAULT_RATE, HostRateLimiter

BACKENDS = ("local", "dask", "prefect")


@dataclass(frozen=True, slots=True)
class SharedLimits:
    """How a process builds a run's limiter; picklable, so it travels to Dask workers in the
    task's settings.

    `backend`: `local` (this process only), `dask` or `prefect`. `namespace` keeps runs apart
    (the run id): processes with the same namespace share each host's limit. `scheduler_address`
    (dask) is used where the process has no Dask client of its own (the flow's process); on a
    worker the worker's client is used. `batch`: send times booked per round trip.
    """

    backend: str = "dask"
    namespace: str = "newsarchive"
    scheduler_address: str | None = None
    batch: int = 0  # 0: the backend's default (dask 1, prefect: 0.5 s worth of requests)

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"unknown rate limit backend {self.backend!r}: expected one of {', '.join(BACKENDS)}")
        if self.batch < 0:
            raise ValueError(f"batch must be >= 0, got {self.batch}")

    def forget(self) -> int:
        """Drop the run's shared state (Dask scheduler entries, Prefect limits) once the run is
        over; returns how many entries went. Call it from the flow's process, after all tasks."""
        schedule: Schedule
        if self.backend == "dask":
            schedule = DaskSchedule(self.namespace, self.scheduler_address)
        elif self.backend == "prefect":
            schedule = PrefectSchedule(self.namespace)
        else:
            return 0
        try:
            return schedule.forget()
        finally:
            schedule.close()

    def limiter(
        self,
        default_rate: float | None = DEFAULT_RATE,
        host_limits: dict[str, float] | None = None,
        cdx_rate: float | None = DEFAULT_CDX_RATE,
    ) -> HostRateLimiter:
        """The limiter for this process (what `Fetcher(limiter)` takes)."""
        if self.backend == "local":
            return HostRateLimiter(default_rate, host_limits, cdx_rate)
        if self.backend == "dask":
            schedule: Schedule = DaskSchedule(self.namespace, self.scheduler_address)
        else:
            schedule = PrefectSchedule(self.namespace)
        return SharedRateLimiter(schedule, default_rate, host_limits, cdx_rate, batch=self.batch)


def shared_limits_for_run(run_id: str, backend: str | None = None) -> SharedLimits | None:
    """The shared limits a flow run needs, from inside the flow: on a Dask task runner the
    scheduler of its cluster (its address, for the flow's own requests: discovery, robots.txt),
    scoped to the run; None (each process its own limiter, right for threads) otherwise.
    `backend="prefect"`: limits on the Prefect server shared by every run that uses it (runs of
    several deployments at once), not scoped to one run: do not `forget()` them at its end."""
    if backend == "prefect":
        return SharedLimits("prefect", namespace="newsarchive")
    if backend not in (None, "dask"):
        return None if backend == "local" else SharedLimits(backend)  # SharedLimits names the bad value
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    runner = getattr(context, "task_runner", None)
    if runner is None or type(runner).__name__ != "DaskTaskRunner":
        if backend == "dask":
            raise RuntimeError("dask rate limits need the flow to run on a DaskTaskRunner")
        return None
    return SharedLimits("dask", namespace=run_id, scheduler_address=runner.client.scheduler.address)


# -- the limiter ---------------------------------------------------------------------------------


class _Booked:
    __slots__ = ("lock", "send_at", "interval")

    def __init__(self, interval: float) -> None:
        self.lock = threading.Lock()
        # Booked send times on the limiter's monotonic clock: (earliest the booking can mean,
        # when we send). They differ by the booking's round trip: we never send early.
        self.send_at: deque[tuple[float, float]] = deque()
        self.interval = interval


class SharedRateLimiter(HostRateLimiter):
    """`HostRateLimiter`'s interface (what the Fetcher calls), with send times booked from a
    `Schedule` shared by every process of a run. Threads of one process take the booked times
    in turn. Bookings are absolute, so a request that leaves late would crowd the next one
    (another process's, on time): a thread that wakes more than `late_limit` after its booked
    time gives the time up and books again. The safety margin is 8 %, not the per-process 4 %:
    a Dask worker's fetch threads also wait for the GIL held by the worker's event loop
    (bench/README.md: the margins tried and what a server counted under each).
    """

    def __init__(
        self,
        schedule: Schedule,
        default_rate: float | None = DEFAULT_RATE,
        host_limits: dict[str, float] | None = None,
        cdx_rate: float | None = DEFAULT_CDX_RATE,
        *,
        batch: int = 0,
        safety: float = 0.08,
        late_limit: float = 0.015,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(default_rate, host_limits, cdx_rate, safety=safety, monotonic=monotonic, sleep=sleep)
        self.schedule = schedule
        self.batch = batch
        self.late_limit = late_limit
        self._booked: dict[tuple[str, str], _Booked] = {}
        # For the benchmark: round trips to the shared schedule, their time, times given up.
        self.booking_count = 0
        self.booking_seconds = 0.0
        self.given_up_count = 0

    def _batch_for(self, interval: float) -> int:
        if self.batch:
            return self.batch
        if self.schedule.default_batch_seconds and interval:
            return max(1, round(self.schedule.default_batch_seconds / interval))
        return 1

    def _booked_for(self, host: str, kind: str) -> _Booked:
        key = (host, kind)
        with self._lock:
            booked = self._booked.get(key)
            if booked is None:
                booked = self._booked[key] = _Booked(self._interval(self.rate_for(host, kind)))
            return booked

    def slow_down(self, host: str, rate: float, kind: str = "content") -> float | None:
        in_force = super().slow_down(host, rate, kind)
        if in_force == rate:
            interval = self._interval(rate)
            with self._lock:
                booked = self._booked.get((host, kind))
            if booked is not None:
                booked.interval = max(booked.interval, interval)
            self.schedule.slow_down(host, kind, interval)
        return in_force

    def block(self, host: str, seconds: float) -> None:
        super().block(host, seconds)
        self.schedule.block(host, seconds)

    def acquire(self, host: str, kind: str = "content") -> float:
        """Wait until a request to `host` may leave; returns the seconds waited."""
        started = self.monotonic()
        booked = self._booked_for(host, kind)
        if not booked.interval:
            return 0.0  # no limit for this host
        with booked.lock:
            while True:
                blocked_until = self._blocked_until.get(host, 0.0)
                # Times booked before a block (a 429 seen here) are given up, not spent into it.
                while booked.send_at and booked.send_at[0][1] < blocked_until:
                    booked.send_at.popleft()
                if not booked.send_at:
                    count = self._batch_for(booked.interval)
                    asked = self.monotonic()
                    delay, interval = self.schedule.book(host, kind, count, booked.interval)
                    answered = self.monotonic()
                    self.booking_count += 1
                    self.booking_seconds += answered - asked
                    if interval > booked.interval:  # another process slowed the host down
                        booked.interval = interval
                    # A slow round trip (a remote scheduler) cannot be told apart from a late
                    # wake-up; then only the wake-up counts.
                    earliest = answered if answered - asked > self.late_limit else asked
                    booked.send_at.extend(
                        (earliest + delay + i * interval, answered + delay + i * interval) for i in range(count)
                    )
                earliest, send_at = booked.send_at[0]
                now = self.monotonic()
                if send_at > now:
                    self.sleep(send_at - now)
                    now = self.monotonic()
                booked.send_at.popleft()
                if now - earliest > self.late_limit:
                    self.given_up_count += 1  # too late: it would crowd the next booked time
                    continue
                if self._blocked_until.get(host, 0.0) <= now:
                    break
        return self.monotonic() - started

    def close(self) -> None:
        self.schedule.close()
