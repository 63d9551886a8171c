"""Where the processes of a run book their send times: the Dask scheduler or a Prefect server.

A `Schedule` reserves consecutive send times for a host; `SharedRateLimiter`
(shared_limits.py) spends them. `DaskSchedule` keeps the schedule in the Dask scheduler's
memory (one `run_on_scheduler` round trip per booking, atomic in its event loop);
`PrefectSchedule` uses a Prefect global concurrency limit whose slots decay at the rate.
"""

from __future__ import annotations

import contextlib
import re
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import distributed
    from prefect.client.orchestration import SyncPrefectClient


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


# -- Dask ----------------------------------------------------------------------------------------


def book_on_scheduler(
    key: str,
    count: int,
    interval: float,
    block_seconds: float = 0.0,
    now: float | None = None,
    dask_scheduler: Any = None,
) -> tuple[float, float]:
    """Runs inside the Dask scheduler's event loop (atomic: it never awaits). State per key:
    [next free send time, interval, blocked until] on the scheduler's clock (`now`: the
    scheduler's `time.time()` unless a test gives one). `count` 0 only updates the state
    (block / slow down)."""
    import time as clock  # the function travels by value (cloudpickle), its imports with it

    limits = getattr(dask_scheduler, "newsarchive_rate_limits", None)
    if limits is None:
        limits = {}
        dask_scheduler.newsarchive_rate_limits = limits
    now = clock.time() if now is None else now
    state = limits.setdefault(key, [now, interval, 0.0])
    state[1] = max(state[1], interval)
    if block_seconds:
        state[2] = max(state[2], now + block_seconds)
    if not count:
        return 0.0, state[1]
    start = max(now, state[0], state[2])
    state[0] = start + count * state[1]
    return start - now, state[1]


def _forget_on_scheduler(prefix: str, dask_scheduler: Any = None) -> int:
    limits = getattr(dask_scheduler, "newsarchive_rate_limits", {})
    keys = [key for key in limits if key.startswith(prefix)]
    for key in keys:
        del limits[key]
    return len(keys)


def _by_value(function: Callable[..., Any]) -> Callable[..., Any]:
    """A copy of a module-level function that cloudpickle sends by value: the scheduler of a
    remote cluster need not have newsarchive installed."""
    import types

    copy = types.FunctionType(
        function.__code__, {"__builtins__": __builtins__}, function.__name__, function.__defaults__
    )
    copy.__qualname__ = f"_by_value.<locals>.{function.__name__}"
    copy.__module__ = "__main__"
    return copy


_BOOK = _by_value(book_on_scheduler)
_FORGET = _by_value(_forget_on_scheduler)


class DaskSchedule(Schedule):
    """Send times booked in the Dask scheduler's memory: one `run_on_scheduler` round trip."""

    def __init__(self, namespace: str, scheduler_address: str | None = None) -> None:
        self.namespace = namespace
        self.scheduler_address = scheduler_address
        self._client: distributed.Client | None = None
        self._own_client = False
        self._lock = threading.Lock()

    def _get_client(self) -> distributed.Client:
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
        self._client: SyncPrefectClient | None = None
        self._created: set[str] = set()
        self._lock = threading.Lock()

    def _get_client(self) -> SyncPrefectClient:
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
            # Another process of the run may have created it in between.
            with contextlib.suppress(ObjectAlreadyExists):
                client.create_global_concurrency_limit(
                    GlobalConcurrencyLimitCreate(name=name, limit=count, slot_decay_per_second=1.0 / interval)
                )
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
