"""The multi-process rows of bench/fetch.py, and the local server both parts fetch from.

Separate processes (as Dask workers are) fetch from one host under one limit: each its own
limiter, the shared limiters of flows/acquire/shared_limits.py (`dask`, `prefect`) and
Prefect's plain `rate_limit` per request; then two Dask workers under the `dask` limit with one
killed mid-run. What each row prints is described in bench/fetch.py's docstring.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# E402 below: these imports need the sys.path line above (the script runs from a checkout).
from flows.acquire.addresses import AddressPolicy  # noqa: E402 - needs sys.path
from flows.acquire.captures import CaptureRef  # noqa: E402 - needs sys.path
from flows.acquire.fetching import fetch_batch  # noqa: E402 - needs sys.path
from flows.acquire.http import USER_AGENT, Fetcher, RetryPolicy  # noqa: E402 - needs sys.path
from flows.acquire.limits import HostRateLimiter  # noqa: E402 - needs sys.path
from flows.acquire.rawarchive import RawArchive  # noqa: E402 - needs sys.path
from flows.acquire.sessions import SessionPool  # noqa: E402 - needs sys.path
from flows.acquire.shared_limits import SharedLimits  # noqa: E402 - needs sys.path
from tests.support.servers import FaultServer  # noqa: E402 - needs sys.path

LOOPBACK = AddressPolicy(allow_private=True)  # the fault server listens on 127.0.0.1


def pool(workers: int) -> SessionPool:
    """Sessions for `workers` threads (at least the fetcher's usual 16)."""
    return SessionPool(USER_AGENT, pool_size=max(16, workers))


def over_limit_count(arrivals: list[float], limit: float, window: float = 1.0) -> int:
    """Requests that arrived when `limit` requests had already arrived in the last `window` s."""
    times = sorted(arrivals)
    over = 0
    start = 0
    for end, arrived in enumerate(times):
        while arrived - times[start] >= window:
            start += 1
        if end - start + 1 > limit:
            over += 1
    return over


def _serve(latency: float, connection) -> None:
    """In a child process, so the server's CPU does not compete with the client's GIL."""
    with FaultServer(latency=latency) as server:
        connection.send(server.base_url)
        connection.recv()  # "stop"
        connection.send(list(server.arrivals))


class ServerProcess:
    def __init__(self, latency: float) -> None:
        self._parent, child = multiprocessing.Pipe()
        self._process = multiprocessing.Process(target=_serve, args=(latency, child), daemon=True)

    def __enter__(self) -> ServerProcess:
        self._process.start()
        self.base_url = self._parent.recv()
        return self

    def stop(self) -> list[float]:
        """Stop the server; the arrival time (monotonic, same clock as ours) of every request."""
        self._parent.send("stop")
        arrivals = self._parent.recv()
        self._process.join(timeout=10)
        return arrivals

    def __exit__(self, *exc) -> None:
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=10)


def max_in_window(arrivals: list[float], window: float = 1.0) -> int:
    times = sorted(arrivals)
    best = start = 0
    for end, arrived in enumerate(times):
        while arrived - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


class PrefectPlainRateLimit(HostRateLimiter):
    """The baseline: `prefect.concurrency.sync.rate_limit(name)` before every request, as the
    Prefect docs show it (one limit per host, limit = rate, slot_decay_per_second = rate)."""

    def __init__(self, name: str, rate: float) -> None:
        super().__init__(rate, {}, None)
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import GlobalConcurrencyLimitCreate
        from prefect.exceptions import ObjectAlreadyExists

        self.name = name
        # The limit may have been made by another process of the row.
        with get_client(sync_client=True) as client, contextlib.suppress(ObjectAlreadyExists):
            client.create_global_concurrency_limit(
                GlobalConcurrencyLimitCreate(name=name, limit=max(1, round(rate)), slot_decay_per_second=rate)
            )
        self.booking_count = 0
        self.booking_seconds = 0.0
        self.retry_afters: list[float] = []  # every 423 Prefect answered, and the wait it asked for
        self._record_retry_afters()

    def _record_retry_afters(self) -> None:
        """Hear every 423 Prefect's client gets (and the Retry-After it is told to wait)."""
        import httpx
        from prefect.client.orchestration import PrefectClient

        original = PrefectClient.increment_concurrency_slots
        recorder = self

        async def increment_concurrency_slots(client, *args, **kwargs):
            try:
                return await original(client, *args, **kwargs)
            except httpx.HTTPStatusError as error:
                if error.response.status_code == 423:
                    recorder.retry_afters.append(float(error.response.headers["Retry-After"]))
                raise

        PrefectClient.increment_concurrency_slots = increment_concurrency_slots

    def acquire(self, host: str, kind: str = "content") -> float:
        from prefect.concurrency.sync import rate_limit

        started = time.monotonic()
        rate_limit(self.name)
        waited = time.monotonic() - started
        with self._lock:
            self.booking_count += 1
            self.booking_seconds += waited
        return waited


def _global_worker(
    base_url: str,
    first: int,
    count: int,
    limiter_kind: str,
    rate: float,
    workers: int,
    batch_size: int,
    spec: SharedLimits | None,
    start,
    results,
) -> None:
    """One process of a multi-process run: its own Fetcher (as each Dask worker builds one)."""
    refs = [CaptureRef(url=f"{base_url}/ok/{i}") for i in range(first, first + count)]
    host_limits = {"127.0.0.1": rate}
    try:
        limiter: HostRateLimiter
        if spec is None:  # each process its own limiter
            limiter = HostRateLimiter(host_limits=host_limits)
        elif limiter_kind == "prefect-plain":
            limiter = PrefectPlainRateLimit(spec.namespace, rate)
        else:
            limiter = spec.limiter(host_limits=host_limits)
        fetcher = Fetcher(
            limiter, retry=RetryPolicy(max_retries=2), sessions=pool(workers), respect_robots=False, policy=LOOPBACK
        )
        # Connect before the start line (Dask client, Prefect limit creation are not what we time).
        if limiter_kind == "dask":
            fetcher.limiter.schedule._get_client()
    except BaseException:
        start.abort()  # the parent stops waiting at once
        raise
    start.wait()  # a Barrier: every process is ready
    cpu = time.process_time()
    captures = []
    with fetcher, tempfile.TemporaryDirectory() as warc_dir, RawArchive(warc_dir) as archive:
        for i in range(0, len(refs), batch_size):
            captures += fetch_batch(refs[i : i + batch_size], fetcher, archive, max_workers=workers)
        limiter = fetcher.limiter
        results.put(
            {
                "failed": sum(1 for c in captures if c.error_reason),
                "cpu_s": time.process_time() - cpu,
                "booking_count": getattr(limiter, "booking_count", 0),
                "booking_seconds": getattr(limiter, "booking_seconds", 0.0),
                "given_up": getattr(limiter, "given_up_count", 0),
                "retry_afters": getattr(limiter, "retry_afters", []),
            }
        )


def _cpu_of(pid: int) -> float:
    import psutil

    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def run_processes(
    captures: int,
    rate: float,
    latency: float,
    workers: int,
    batch_size: int,
    processes: int,
    limiter_kind: str,
    spec: SharedLimits | None,
    coordinator_pid: int,
) -> dict:
    """`processes` separate processes fetch `captures` URLs (an equal share each) from one host."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes + 1)
    results = context.Queue()
    with ServerProcess(latency) as server:
        share = captures // processes
        children = [
            context.Process(
                target=_global_worker,
                args=(server.base_url, p * share, share, limiter_kind, rate, workers, batch_size, spec, start, results),
            )
            for p in range(processes)
        ]
        for child in children:
            child.start()
        # Every child has imported and connected before the start line (imports take seconds).
        start.wait(timeout=120)
        coordinator_cpu = _cpu_of(coordinator_pid)
        started = time.monotonic()
        outcomes = [results.get(timeout=600) for _ in children]
        elapsed = time.monotonic() - started
        coordinator_cpu = _cpu_of(coordinator_pid) - coordinator_cpu
        for child in children:
            child.join(timeout=30)
        arrivals = server.stop()
    span = max(arrivals) - min(arrivals)
    requests = len(arrivals)
    bookings = sum(o["booking_count"] for o in outcomes)
    return {
        "requests": requests,
        "failed": sum(o["failed"] for o in outcomes),
        "elapsed_s": elapsed,
        "served_rate": (requests - 1) / span if span > 0 else float("inf"),
        "max_in_any_second": max_in_window(arrivals, 1.0),
        "over_limit": over_limit_count(arrivals, rate),
        "client_cpu_ms_per_request": 1000 * sum(o["cpu_s"] for o in outcomes) / max(1, requests),
        "coordinator_cpu_s": coordinator_cpu,
        "booking_ms": 1000 * sum(o["booking_seconds"] for o in outcomes) / bookings if bookings else 0.0,
        "bookings": bookings,
        "given_up": sum(o["given_up"] for o in outcomes),
        "retry_afters": [r for o in outcomes for r in o["retry_afters"]],
    }


def global_rows(args) -> None:
    """The multi-process rows: per-process limiter vs the shared ones vs plain `rate_limit`."""
    import distributed
    from prefect.server.api.server import SubprocessASGIServer

    os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="bench-prefect-"))
    os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    prefect_server = SubprocessASGIServer()
    prefect_server.start(timeout=120)
    os.environ["PREFECT_API_URL"] = prefect_server.api_url  # inherited by the spawned children
    # A scheduler only (no workers): the fetching processes connect to it as Dask workers'
    # clients do. In this process, so its CPU is this process's.
    cluster = distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp", dashboard_address=None)
    try:
        print(
            f"global limits: {args.global_captures} captures per run, {args.rate:g} req/s for the host, "
            f"{args.workers} fetch threads per process"
        )
        for processes in args.processes:
            for kind, spec in [
                ("per-process", None),
                ("dask", SharedLimits("dask", f"bench-{processes}", cluster.scheduler_address)),
                ("prefect k", SharedLimits("prefect", f"bench-{processes}")),
                ("prefect-plain", SharedLimits("prefect", f"bench-plain-{processes}")),
            ]:
                coordinator = os.getpid() if kind == "dask" else prefect_server.server_process.pid
                row = run_processes(
                    args.global_captures,
                    args.rate,
                    args.latency,
                    args.workers,
                    args.batch_size,
                    processes,
                    kind,
                    spec,
                    coordinator,
                )
                label = {
                    "per-process": "per-process HostRateLimiter",
                    "dask": "dask (run_on_scheduler, k=1)",
                    "prefect k": "prefect GCL, k slots per call",
                    "prefect-plain": "prefect plain rate_limit",
                }[kind]
                coordinator_name = "scheduler" if kind == "dask" else ("-" if kind == "per-process" else "server")
                print(
                    f"{processes} processes, {label:32s}: {row['served_rate']:6.1f} req/s served = "
                    f"{row['served_rate'] / args.rate:.3f} x limit; max in 1 s {row['max_in_any_second']:3d}; "
                    f"over limit {row['over_limit']:4d}; {row['requests']} requests, {row['failed']} failed, "
                    f"{row['elapsed_s']:.1f} s; client CPU {row['client_cpu_ms_per_request']:.2f} ms/request; "
                    f"{coordinator_name} CPU {row['coordinator_cpu_s'] if kind != 'per-process' else 0:.2f} s; "
                    f"{row['bookings']} bookings, {row['booking_ms']:.1f} ms each"
                    + (" (incl. waiting)" if kind == "prefect-plain" else f", {row['given_up']} late times given up"),
                    flush=True,
                )
                if row["retry_afters"]:
                    waits = sorted(row["retry_afters"])
                    print(
                        f"    plain rate_limit: {len(waits)} denied attempts ({len(waits) / row['requests']:.1f} per "
                        f"request); Retry-After asked median {1000 * waits[len(waits) // 2]:.0f} ms, max "
                        f"{1000 * waits[-1]:.0f} ms, vs {1000 / args.rate:.0f} ms between requests at the limit",
                        flush=True,
                    )
    finally:
        cluster.close()
        prefect_server.stop()


def _fetch_on_dask_worker(urls: list[str], shared: SharedLimits, rate: float) -> int:
    """A Dask task: its own Fetcher in the worker process, as the flow's fetch task builds one."""
    limiter = shared.limiter(host_limits={"127.0.0.1": rate})
    fetcher = Fetcher(limiter, retry=RetryPolicy(max_retries=3), respect_robots=False, policy=LOOPBACK)
    with fetcher:
        return sum(
            1 for c in fetch_batch([CaptureRef(url=u) for u in urls], fetcher, None, max_workers=4) if c.error_reason
        )


def worker_death_row(args) -> None:
    """Two Dask workers share the `dask` limit; one is killed (SIGKILL) mid-run. Does the
    other stall, or break the limit? (A `distributed.Lock` held by the dead worker would stall
    everyone for its 30 s lease timeout; the scheduler-side booking holds nothing.)"""
    import signal
    import uuid

    import distributed

    rate = args.death_rate
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
        distributed.Client(cluster) as client,
        FaultServer() as server,
    ):
        workers = sorted(client.scheduler_info()["workers"])
        pids = client.run(os.getpid)
        shared = SharedLimits("dask", uuid.uuid4().hex)
        futures = [
            client.submit(
                _fetch_on_dask_worker,
                [f"{server.base_url}/ok/{n}-{i}" for i in range(100)],
                shared,
                rate,
                workers=[worker],
                allow_other_workers=True,
                pure=False,
            )
            for n, worker in enumerate(workers)
        ]
        time.sleep(3)
        killed_at = time.monotonic()
        os.kill(pids[workers[0]], signal.SIGKILL)
        failed = sum(client.gather(futures))  # the killed worker's task runs again elsewhere
        arrivals = sorted(server.arrivals)
    before = [t for t in arrivals if t < killed_at]
    after = [t for t in arrivals if t >= killed_at]
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False) if later >= killed_at]
    print(
        f"worker death ({rate:g} req/s, 2 Dask workers, dask limits): worker 0 killed after "
        f"{killed_at - arrivals[0]:.1f} s; served {(len(before) - 1) / (before[-1] - before[0]):.1f} req/s before, "
        f"{(len(after) - 1) / (after[-1] - after[0]):.1f} after; longest gap after the kill "
        f"{1000 * max(gaps):.0f} ms; max in any 1 s {max_in_window(arrivals)}; over the limit "
        f"{over_limit_count(arrivals, rate)}; {len(arrivals)} requests, {failed} failed",
        flush=True,
    )
