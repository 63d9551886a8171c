"""Fetch throughput under a per-host rate limit, against a local server with 50 ms latency.

Fetches N captures (default 2,000) from one host (the server runs in its own process) through `flows.acquire.fetching.fetch_batch` (with
the raw WARC archive writing every response), in batches the size the flow uses, and prints:

- limited: achieved requests/s as a ratio of the per-host limit (goal >= 0.95), and how many
  requests arrived when the server had already seen `limit` requests in the preceding second
  (goal 0) - the server counts, not the client;
- lifted: the same fetch with no limit, to show the concurrency ceiling of the worker pool,
  once with `fetch_batch` per batch (workers drain at each batch end) and once with
  `fetch_stream` (they do not);
- global: 2 and 4 separate processes (as Dask workers are) fetching from the host under one
  limit: the per-process limiter (each process its own bucket: N x the limit), the shared
  limiters of flows/acquire/shared_limits.py (`dask`: booked on a Dask scheduler; `prefect`: a Prefect global
  concurrency limit taken k slots at a time) and, as the baseline the issue names, Prefect's
  plain `rate_limit` once per request (limit = rate, slot_decay_per_second = rate). Per row:
  served rate vs the limit, requests over the limit in any 1 s window, client CPU per request,
  the coordinator's CPU (Dask scheduler / Prefect server) and the mean booking round trip;
- worker death: two Dask workers under the `dask` limit, one killed mid-run: the rate after,
  the longest gap (a stall?) and requests over the limit.

The multi-process rows and the server are in bench/fetch_processes.py.

Usage: python bench/fetch.py [--captures 2000] [--rate 50] [--latency 0.05] [--workers 8]
                             [--global-captures 1000] [--processes 2 4] [--skip-global]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# E402 below: these imports need the sys.path line above (the script runs from a checkout).
from fetch_processes import (  # noqa: E402 - needs sys.path
    ServerProcess,
    global_rows,
    max_in_window,
    over_limit_count,
    pool,
    worker_death_row,
)

from flows.acquire.addresses import AddressPolicy  # noqa: E402 - needs sys.path
from flows.acquire.captures import CaptureRef  # noqa: E402 - needs sys.path
from flows.acquire.fetching import fetch_batch, fetch_stream  # noqa: E402 - needs sys.path
from flows.acquire.http import Fetcher, RetryPolicy  # noqa: E402 - needs sys.path
from flows.acquire.limits import HostRateLimiter  # noqa: E402 - needs sys.path
from flows.acquire.rawarchive import RawArchive  # noqa: E402 - needs sys.path


def run(
    captures: int, rate: float | None, latency: float, workers: int, batch_size: int, streamed: bool = False
) -> dict:
    with ServerProcess(latency) as server, tempfile.TemporaryDirectory() as warc_dir:
        refs = [CaptureRef(url=f"{server.base_url}/ok/{i}") for i in range(captures)]
        fetcher = Fetcher(
            HostRateLimiter(host_limits={"127.0.0.1": rate if rate else float("inf")}),
            retry=RetryPolicy(max_retries=2),
            sessions=pool(workers),
            policy=AddressPolicy(allow_private=True),  # the server listens on 127.0.0.1
        )
        started = time.monotonic()
        results = []
        with fetcher, RawArchive(warc_dir) as archive:
            if streamed:
                for batch in fetch_stream(iter(refs), fetcher, archive, max_workers=workers, batch_size=batch_size):
                    results += batch
            else:
                for i in range(0, len(refs), batch_size):
                    results += fetch_batch(refs[i : i + batch_size], fetcher, archive, max_workers=workers)
        elapsed = time.monotonic() - started
        arrivals = server.stop()
    failed = sum(1 for c in results if c.error_reason)
    # Rate as the server saw it: requests over the span from the first to the last arrival.
    span = max(arrivals) - min(arrivals)
    served_rate = (len(arrivals) - 1) / span if span > 0 else float("inf")
    return {
        "requests": len(arrivals),
        "failed": failed,
        "elapsed_s": elapsed,
        "client_rate": captures / elapsed,
        "served_rate": served_rate,
        "max_in_any_second": max_in_window(arrivals, 1.0),
        "over_limit": over_limit_count(arrivals, rate) if rate else 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--captures", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=50.0, help="per-host limit, requests/s")
    parser.add_argument("--latency", type=float, default=0.05, help="server latency per response, s")
    parser.add_argument("--workers", type=int, default=8, help="fetch threads in the limited run")
    parser.add_argument("--lifted-workers", type=int, default=32, help="fetch threads with no limit")
    parser.add_argument("--batch-size", type=int, default=500, help="captures per fetch_batch call (a flow task)")
    parser.add_argument("--global-captures", type=int, default=1000, help="captures per multi-process run")
    parser.add_argument("--processes", type=int, nargs="+", default=[2, 4], help="process counts for the global rows")
    parser.add_argument("--skip-global", action="store_true", help="only the single-process rows")
    parser.add_argument("--only-global", action="store_true", help="only the multi-process rows")
    parser.add_argument("--death-rate", type=float, default=20.0, help="limit in the worker-death row")
    args = parser.parse_args()
    if not args.only_global:
        single_process_rows(args)
    if not args.skip_global:
        global_rows(args)
        worker_death_row(args)


def single_process_rows(args) -> None:
    print(f"fetch benchmark: {args.captures} captures, one host, {args.latency * 1000:.0f} ms latency per response")
    limited = run(args.captures, args.rate, args.latency, args.workers, args.batch_size)
    ratio = limited["served_rate"] / args.rate
    print(
        f"limited  ({args.rate:g} req/s, {args.workers} workers): {limited['served_rate']:.2f} req/s served "
        f"= {ratio:.3f} x limit (goal >= 0.95); max in any 1 s window {limited['max_in_any_second']}; "
        f"requests over the limit {limited['over_limit']} (goal 0); {limited['requests']} requests "
        f"(incl. robots.txt), {limited['failed']} failed, {limited['elapsed_s']:.1f} s"
    )
    for streamed in (False, True):
        lifted = run(args.captures, None, args.latency, args.lifted_workers, args.batch_size, streamed)
        how = "fetch_stream" if streamed else f"fetch_batch x {args.batch_size}"
        print(
            f"lifted   (no limit, {args.lifted_workers} workers, {how}): {lifted['served_rate']:.1f} req/s served "
            f"= {lifted['served_rate'] / args.rate:.2f} x the limit (ideal at {args.latency * 1000:.0f} ms latency: "
            f"{args.lifted_workers / args.latency:.0f} req/s); {lifted['failed']} failed, {lifted['elapsed_s']:.1f} s"
        )
    if ratio < 0.95 or limited["over_limit"]:
        print("GOAL MISSED", file=sys.stderr)


if __name__ == "__main__":
    main()
