"""Per-host rate limits that hold across processes (Dask workers), not just across threads.

`HostRateLimiter` (flows/acquire/http.py) spaces the requests of one process. On a Dask cluster every
worker process builds its own fetcher, so a "50 req/s" limit became N x 50 req/s. Here the
processes of a run book their send times from one shared schedule instead:

- `dask` (the choice, see bench/README.md): the schedule lives in the Dask scheduler's memory and
  is booked with `Client.run_on_scheduler`, one round trip per booking. The scheduler runs the
  booking function in its event loop, so a booking is atomic without a lock (a `distributed.Lock`
  held by a worker that dies stalls everyone for the lock's 30 s lease timeout; nothing is held
  here). The scheduler answers a delay, not a clock time, so clocks of different machines never
  have to agree. `block` (Retry-After) and `slow_down` (a 429 halving the rate) are shared too.
- `prefect`: a Prefect global concurrency limit per host with `slot_decay_per_second` equal to
  the rate, `limit = batch` slots, taken `batch` at a time (like `occupy=batch`) and spent
  locally at `1 / rate`; a denied request asks again one interval later. Plain `rate_limit`
  once per request served only 0.37-0.53x the limit (bench/fetch.py): not its Retry-After
  (0.1 denials per request, ~20 ms asked at 50/s), but its cost per call: Prefect's client
  queues a process's acquisitions one at a time, each a write transaction on the server plus
  an event, ~9 ms of server CPU a request. It also lets a burst of `limit` through at once
  (65-71 requests in the first second at 50/s). Booking 0.5 s of requests a call: 0.86-0.91x,
  never over. `block` and `slow_down` stay per process with this backend.

Both book `batch` send times per round trip (default 1 for Dask). Times booked but not used
(a process ends) are lost, never given to others: the limit errs on the polite side.
"""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from dataclasses import dataclass

from flows.acquire.http import DEFAULT_CDX_RATE, DEFAULT_RATE, HostRateLimiter

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
        """The limiter for this process (what `Fetcher(limiter=...)` takes)."""
        if self.backend == "local":
            return HostRateLimiter(default_rate, host_limits, cdx_rate)
        if self.backend == "dask":
            schedule: Schedule = DaskSchedule(self.namespace, self.scheduler_address)
        else:
            schedule = PrefectSchedule(self.namespace)
        return SharedRateLimiter(schedule, default_rate, host_limits, cdx_rate, batch=self.batch)


class Schedule:
    """Where the processes of a run book send times: `book(host, kind, count, interval)` reserves
    `count` consecutive send times `interval` apart and answers (seconds from now until the first,
    the interval in force: wider than asked when another process slowed the host down)."""

    default_batch_seconds = 0.0  # how much of the rate one booking takes by default

    def book(self, host: str, kind: str, count: int, interval: float) -> tuple[float, float]:
        raise NotImplementedError

    def block(self, host: str, seconds: float) -> None:
        """Every process waits `seconds` before its next request to `host`."""

    def slow_down(self, host: str, kind: str, interval: float) -> None:
        """Every process spaces requests to `host` at least `interval` apart from now on."""

    def close(self) -> None:
        pass


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


# -- Dask ----------------------------------------------------------------------------------------


def _book_on_scheduler(
    key: str, count: int, interval: float, block_seconds: float = 0.0, dask_scheduler=None
) -> tuple[float, float]:
    """Runs inside the Dask scheduler's event loop (atomic: it never awaits). State per key:
    [next free send time, interval, blocked until] on the scheduler's clock. `count` 0 only
    updates the state (block / slow down)."""
    import time as clock  # the function travels by value (cloudpickle), its imports with it

    limits = getattr(dask_scheduler, "newsarchive_rate_limits", None)
    if limits is None:
        limits = {}
        dask_scheduler.newsarchive_rate_limits = limits
    now = clock.time()
    state = limits.setdefault(key, [now, interval, 0.0])
    state[1] = max(state[1], interval)
    if block_seconds:
        state[2] = max(state[2], now + block_seconds)
    if not count:
        return 0.0, state[1]
    start = max(now, state[0], state[2])
    state[0] = start + count * state[1]
    return start - now, state[1]


def _forget_on_scheduler(prefix: str, dask_scheduler=None) -> int:
    limits = getattr(dask_scheduler, "newsarchive_rate_limits", {})
    keys = [key for key in limits if key.startswith(prefix)]
    for key in keys:
        del limits[key]
    return len(keys)


def _by_value(function):
    """A copy of a module-level function that cloudpickle sends by value: the scheduler of a
    remote cluster need not have newsarchive installed."""
    import types

    copy = types.FunctionType(
        function.__code__, {"__builtins__": __builtins__}, function.__name__, function.__defaults__
    )
    copy.__qualname__ = f"_by_value.<locals>.{function.__name__}"
    copy.__module__ = "__main__"
    return copy


_BOOK = _by_value(_book_on_scheduler)
_FORGET = _by_value(_forget_on_scheduler)


class DaskSchedule(Schedule):
    """Send times booked in the Dask scheduler's memory: one `run_on_scheduler` round trip."""

    def __init__(self, namespace: str, scheduler_address: str | None = None) -> None:
        self.namespace = namespace
        self.scheduler_address = scheduler_address
        self._client = None
        self._own_client = False
        self._lock = threading.Lock()

    def _get_client(self):
        with self._lock:
            if self._client is None:
                import distributed

                # On a worker: the worker's own client, from any thread (the fetch threads are not
                # the task's thread, so `distributed.get_client()` does not find it from there).
                workers = [w for w in list(distributed.Worker._instances) if w.status.name == "running"]
                if workers:
                    self._client = workers[0]._get_client()
                else:
                    if not self.scheduler_address:
                        raise RuntimeError(
                            "the dask rate limit backend needs a Dask client: run on a Dask worker "
                            "or give the scheduler address"
                        ) from None
                    self._client = distributed.Client(self.scheduler_address, set_as_default=False)
                    self._own_client = True
            return self._client

    def _key(self, host: str, kind: str) -> str:
        return f"{self.namespace}/{host}#{kind}"

    def book(self, host: str, kind: str, count: int, interval: float) -> tuple[float, float]:
        return self._get_client().run_on_scheduler(_BOOK, self._key(host, kind), count, interval)

    def block(self, host: str, seconds: float) -> None:
        for kind in ("content", "cdx"):
            self._get_client().run_on_scheduler(_BOOK, self._key(host, kind), 0, 0.0, seconds)

    def slow_down(self, host: str, kind: str, interval: float) -> None:
        self._get_client().run_on_scheduler(_BOOK, self._key(host, kind), 0, interval)

    def forget(self) -> int:
        """Drop this namespace's state from the scheduler (the run is over); returns the keys dropped."""
        return self._get_client().run_on_scheduler(_FORGET, f"{self.namespace}/")

    def close(self) -> None:
        with self._lock:
            if self._own_client and self._client is not None:
                self._client.close()
            self._client = None


# -- Prefect -------------------------------------------------------------------------------------


class PrefectSchedule(Schedule):
    """A Prefect global concurrency limit per (host, kind): `limit = count` slots decaying at
    the rate. A grant of `count` slots means the previous grant's slots have all decayed, so
    grants are at least `count * interval` apart, whichever process got them."""

    default_batch_seconds = 0.5

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._client = None
        self._created: set[str] = set()
        self._lock = threading.Lock()

    def _get_client(self):
        with self._lock:
            if self._client is None:
                from prefect.client.orchestration import get_client

                self._client = get_client(sync_client=True)
                self._client.__enter__()
            return self._client

    def limit_name(self, host: str, kind: str) -> str:
        return re.sub(r"[^A-Za-z0-9_.-]+", "-", f"newsarchive-{self.namespace}-{host}-{kind}")

    def _ensure(self, name: str, count: int, interval: float) -> None:
        if name in self._created:
            return
        from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
        from prefect.exceptions import ObjectAlreadyExists, ObjectNotFound

        client = self._get_client()
        try:
            existing = client.read_global_concurrency_limit_by_name(name)
            if existing.limit != count or abs(existing.slot_decay_per_second - 1.0 / interval) > 1e-6:
                # A namespace shared by runs: the latest run's rate is the one in force.
                from prefect.client.schemas.actions import GlobalConcurrencyLimitUpdate

                client.update_global_concurrency_limit(
                    name, GlobalConcurrencyLimitUpdate(limit=count, slot_decay_per_second=1.0 / interval)
                )
        except ObjectNotFound:
            try:
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=count, slot_decay_per_second=1.0 / interval)
                )
            except ObjectAlreadyExists:
                pass  # another process of the run created it in between
        self._created.add(name)

    def book(self, host: str, kind: str, count: int, interval: float) -> tuple[float, float]:
        import httpx

        name = self.limit_name(host, kind)
        self._ensure(name, count, interval)
        client = self._get_client()
        while True:
            try:
                client.increment_concurrency_slots(names=[name], slots=count, mode="rate_limit")
                return 0.0, interval
            except httpx.HTTPStatusError as error:
                if error.response.status_code != 423:
                    raise
            # Denied: the previous grant has not decayed yet. Prefect's Retry-After grows with
            # every denied attempt; asking again one request interval later wastes at most one.
            time.sleep(interval)

    def forget(self) -> int:
        """Delete this namespace's limits from the Prefect server."""
        client = self._get_client()
        prefix = self.limit_name("", "").removesuffix("--")
        names: list[str] = []
        offset = 0
        while page := client.read_global_concurrency_limits(limit=200, offset=offset):
            names += [limit.name for limit in page if limit.name.startswith(prefix + "-")]
            offset += len(page)
        for name in names:
            client.delete_global_concurrency_limit_by_name(name)
        return len(names)

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.__exit__(None, None, None)
            self._client = None


# -- the limiter ---------------------------------------------------------------------------------


class _Booked:
    __slots__ = ("lock", "send_at", "interval")

    def __init__(self, interval: float) -> None:
        self.lock = threading.Lock()
        # Booked send times on this process's time.monotonic(): (earliest the booking can mean,
        # when we send). They differ by the booking's round trip: we never send early.
        self.send_at: deque[tuple[float, float]] = deque()
        self.interval = interval


class SharedRateLimiter(HostRateLimiter):
    """`HostRateLimiter`'s interface (what the Fetcher calls), with send times booked from a
    `Schedule` shared by every process of a run. Threads of one process take the booked times
    in turn. Bookings are absolute, so a request that leaves late would crowd the next one
    (another process's, on time): a thread that wakes more than `late_limit` after its booked
    time gives the time up and books again. The safety margin is 8 %, not the per-process 4 %:
    between `acquire` and the bytes leaving, a Dask worker's fetch threads also wait for the
    GIL held by the worker's event loop, and on a loaded 2-core machine the server counted
    21-22 requests in one second under a limit of 20 at 4 % (tests/flows/test_global_limits.py),
    and 11 under 10 at 6 % (a fetch flow on 2 Dask workers, the server in the flow's process).
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
    ) -> None:
        super().__init__(default_rate, host_limits, cdx_rate, safety=safety)
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
        started = time.monotonic()
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
                    asked = time.monotonic()
                    delay, interval = self.schedule.book(host, kind, count, booked.interval)
                    answered = time.monotonic()
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
                now = time.monotonic()
                if send_at > now:
                    time.sleep(send_at - now)
                    now = time.monotonic()
                booked.send_at.popleft()
                if now - earliest > self.late_limit:
                    self.given_up_count += 1  # too late: it would crowd the next booked time
                    continue
                if self._blocked_until.get(host, 0.0) <= now:
                    break
        return time.monotonic() - started

    def close(self) -> None:
        self.schedule.close()
