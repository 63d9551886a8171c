"""Per-host limits that hold across processes: two Dask worker processes fetching from one
real server on 127.0.0.1 under one limit, the server counting when every request arrived.

These check what only real processes show (never more than the limit, a block seen by both);
how fully the limit is used depends on the machine's load and is asserted exactly on a fake
clock instead (test_limits.py).

A local Dask cluster (2 worker processes, ~3 s to start) is shared by the module. Each task
builds its own Fetcher in its worker process, as `fetch_batch_task` does on a cluster.
"""

from __future__ import annotations

import time
import uuid

import distributed
import pytest

from flows.acquire.addresses import AddressPolicy
from flows.acquire.captures import CaptureRef
from flows.acquire.fetching import fetch_batch
from flows.acquire.http import Fetcher, RetryPolicy
from flows.acquire.shared_limits import SharedLimits
from tests.support.servers import FaultServer

RATE = 20.0  # requests/s for the host, for all processes together
PER_WORKER = 50  # captures per worker process: 100 in all, ~5 s at the limit


@pytest.fixture(scope="module")
def cluster(prefect_server):
    """Two worker processes. Started after the session's Prefect server, so the workers inherit
    PREFECT_API_URL (the prefect backend's limits live there)."""
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local,
        distributed.Client(local) as client,
    ):
        client.wait_for_workers(2, timeout=60)
        yield client


def _fetch_on_worker(urls: list[str], shared: SharedLimits, rate: float) -> dict:
    """Runs in a worker process: its own Fetcher, as a flow task on a cluster builds one."""
    limiter = shared.limiter(host_limits={"127.0.0.1": rate})
    fetcher = Fetcher(
        limiter, retry=RetryPolicy(max_retries=3), respect_robots=False, policy=AddressPolicy(allow_private=True)
    )
    with fetcher:
        started = time.time()
        captures = fetch_batch([CaptureRef(url=url) for url in urls], fetcher, None, max_workers=4)
        return {
            "errors": [c.error_reason for c in captures if c.error_reason],
            "statuses": [c.http_status for c in captures],
            "started": started,
            "finished": time.time(),
        }


def _run_on_both_workers(
    client: distributed.Client,
    server: FaultServer,
    shared: SharedLimits,
    rate: float = RATE,
    paths: tuple[str, ...] = (),
    per_worker: int = PER_WORKER,
) -> list[dict]:
    workers = sorted(client.scheduler_info()["workers"])
    assert len(workers) == 2
    futures = []
    for number, worker in enumerate(workers):
        urls = [f"{server.base_url}/ok/{number}-{i}" for i in range(per_worker)]
        if number == 0:
            urls = [f"{server.base_url}{path}" for path in paths] + urls
        futures.append(client.submit(_fetch_on_worker, urls, shared, rate, workers=[worker], pure=False))
    results = client.gather(futures)
    # The two processes really fetched at the same time.
    assert max(r["started"] for r in results) < min(r["finished"] for r in results)
    return results


@pytest.mark.parametrize("backend", ["dask", "prefect"])
def test_two_worker_processes_stay_within_one_limit(cluster, backend):
    with FaultServer() as server:
        results = _run_on_both_workers(cluster, server, SharedLimits(backend, namespace=uuid.uuid4().hex))
    assert all(not r["errors"] for r in results), [r["errors"] for r in results]
    assert len(server.arrivals) == 2 * PER_WORKER
    # The same bound the single-process tests hold: never more than the limit in any second.
    assert server.max_requests_in_window(1.0) <= RATE
    # That the processes do not leave each other's slots idle is a claim about time, checked
    # exactly on a fake clock (test_limits.py); bench/fetch.py measures the served rate.


def test_per_process_limiters_multiply_the_limit(cluster):
    """Why the shared limiter exists: each worker's own bucket lets the host see ~2x the limit."""
    with FaultServer() as server:
        _run_on_both_workers(cluster, server, SharedLimits("local"))
    assert server.max_requests_in_window(1.0) > 1.5 * RATE


def test_a_429_seen_by_one_process_holds_back_the_other_and_halves_the_rate(cluster):
    """Worker 0 gets a 429 with Retry-After: 1 while worker 1 fetches: the host is blocked for
    both, and both go on at half the rate."""
    shared = SharedLimits("dask", namespace=uuid.uuid4().hex)
    with FaultServer(retry_after=1) as server:
        results = _run_on_both_workers(cluster, server, shared, paths=("/once/429/a",), per_worker=25)
        with server._lock:
            arrivals = sorted(server.arrivals)
    assert all(not r["errors"] for r in results), [r["errors"] for r in results]
    assert server.counts["/once/429/a"] == 2  # refused, then retried after the block
    # The 429 was the first request (worker 0's first URL, first booked send time or close to
    # it); find the one-second hole it caused in everyone's traffic.
    gaps = [later - earlier for earlier, later in zip(arrivals, arrivals[1:], strict=False)]
    refused_at = max(range(len(gaps)), key=gaps.__getitem__)
    assert gaps[refused_at] >= 0.8, "no request to the host while it was blocked"
    assert refused_at <= 8, "the block came right after the 429, not at some later point"
    # After the block both processes share half the rate: the server sees <= RATE / 2 a second.
    after = arrivals[refused_at + 1 :]
    counts = [sum(1 for t in after if start <= t < start + 1.0) for start in after]
    assert max(counts) <= RATE / 2  # (and that they use all of it: test_limits.py, on a fake clock)


def test_the_flow_process_books_through_the_scheduler_address(cluster):
    """Outside a worker (the flow's own process: discovery, robots.txt) the limiter connects to
    the scheduler by address; its bookings and the workers' share one schedule."""
    shared = SharedLimits("dask", namespace=uuid.uuid4().hex, scheduler_address=cluster.scheduler.address)
    limiter = shared.limiter(RATE, {}, None)
    try:
        limiter.slow_down("127.0.0.1", 5.0)  # as a robots.txt Crawl-delay of 0.2 s would
        with FaultServer() as server:
            result = cluster.submit(
                _fetch_on_worker, [f"{server.base_url}/ok/{i}" for i in range(6)], shared, RATE, pure=False
            ).result()
        assert not result["errors"]
        arrivals = sorted(server.arrivals)
        assert arrivals[-1] - arrivals[0] >= 5 * (1 / 5.0) * 0.95  # the worker keeps 5/s, not 20/s
        assert shared.backend == "dask" and limiter.schedule.forget() >= 1
    finally:
        limiter.close()


def test_bad_backend_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown rate limit backend 'redis'"):
        SharedLimits("redis")


def test_a_flow_on_a_dask_task_runner_gets_its_clusters_limits(cluster):
    """What the ingest flow calls: inside a flow on a DaskTaskRunner, the limits name the
    cluster's scheduler; on the default thread runner there is nothing to share."""
    from prefect import flow
    from prefect_dask import DaskTaskRunner

    from flows.acquire.shared_limits import shared_limits_for_run

    @flow(task_runner=DaskTaskRunner(address=cluster.scheduler.address))
    def on_dask() -> SharedLimits | None:
        return shared_limits_for_run("run-1")

    @flow
    def on_threads() -> SharedLimits | None:
        return shared_limits_for_run("run-2")

    shared = on_dask()
    assert shared == SharedLimits("dask", namespace="run-1", scheduler_address=cluster.scheduler.address)
    assert on_threads() is None
    # Prefect limits are shared by every run against the server (deployments running at once).
    assert shared_limits_for_run("run-3", "prefect") == SharedLimits("prefect", namespace="newsarchive")


def test_forget_drops_a_runs_state(cluster):
    for backend in ("dask", "prefect"):
        shared = SharedLimits(backend, namespace=uuid.uuid4().hex, scheduler_address=cluster.scheduler.address)
        limiter = shared.limiter(50.0, {}, None)
        try:
            limiter.acquire("a.example")
            limiter.acquire("b.example")
        finally:
            limiter.close()
        assert shared.forget() == 2
        assert shared.forget() == 0


def test_prefect_limits_shared_by_runs_follow_the_latest_runs_rate(prefect_server):
    from prefect.client.orchestration import get_client

    shared = SharedLimits("prefect", namespace=uuid.uuid4().hex)
    for rate in (50.0, 10.0):  # an earlier run at 50/s, then one at 10/s
        limiter = shared.limiter(rate, {}, None)
        try:
            limiter.acquire("news.example")
        finally:
            limiter.close()
    with get_client(sync_client=True) as client:
        limit = client.read_global_concurrency_limit_by_name(limiter.schedule.limit_name("news.example", "content"))
    interval = 1.08 / 10.0  # the 8 % safety margin
    assert limit.slot_decay_per_second == pytest.approx(1 / interval)
    assert limit.limit == round(0.5 / interval)  # half a second of requests per grant
    assert shared.forget() == 1
