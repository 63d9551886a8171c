"""Fetch throughput under a per-host rate limit, against a local server with 50 ms latency.

Fetches N captures (default 2,000) from one host (the server runs in its own process) through `flows.fetching.fetch_batch` (with
the raw WARC archive writing every response), in batches the size the flow uses, and prints:

- limited: achieved requests/s as a ratio of the per-host limit (goal >= 0.95), and how many
  requests arrived when the server had already seen `limit` requests in the preceding second
  (goal 0) - the server counts, not the client;
- lifted: the same fetch with no limit, to show the concurrency ceiling of the worker pool,
  once with `fetch_batch` per batch (workers drain at each batch end) and once with
  `fetch_stream` (they do not).

Usage: python bench/fetch.py [--captures 2000] [--rate 50] [--latency 0.05] [--workers 8]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flows.captures import CaptureRef  # noqa: E402
from flows.fetching import fetch_batch, fetch_stream  # noqa: E402
from flows.http import Fetcher  # noqa: E402
from flows.rawarchive import RawArchive  # noqa: E402
from tests.flows.servers import FaultServer  # noqa: E402


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


def run(captures: int, rate: float | None, latency: float, workers: int, batch_size: int,
        streamed: bool = False) -> dict:
    with ServerProcess(latency) as server, tempfile.TemporaryDirectory() as warc_dir:
        refs = [CaptureRef(url=f"{server.base_url}/ok/{i}") for i in range(captures)]
        fetcher = Fetcher(host_limits={"127.0.0.1": rate if rate else float("inf")}, max_retries=2,
                          pool_size=max(16, workers))
        started = time.monotonic()
        results = []
        with fetcher, RawArchive(warc_dir) as archive:
            if streamed:
                for batch in fetch_stream(iter(refs), fetcher, archive, max_workers=workers, batch_size=batch_size):
                    results += batch
            else:
                for i in range(0, len(refs), batch_size):
                    results += fetch_batch(refs[i:i + batch_size], fetcher, archive, max_workers=workers)
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
    args = parser.parse_args()

    print(f"fetch benchmark: {args.captures} captures, one host, {args.latency * 1000:.0f} ms latency per response")
    limited = run(args.captures, args.rate, args.latency, args.workers, args.batch_size)
    ratio = limited["served_rate"] / args.rate
    print(f"limited  ({args.rate:g} req/s, {args.workers} workers): {limited['served_rate']:.2f} req/s served "
          f"= {ratio:.3f} x limit (goal >= 0.95); max in any 1 s window {limited['max_in_any_second']}; "
          f"requests over the limit {limited['over_limit']} (goal 0); {limited['requests']} requests "
          f"(incl. robots.txt), {limited['failed']} failed, {limited['elapsed_s']:.1f} s")
    for streamed in (False, True):
        lifted = run(args.captures, None, args.latency, args.lifted_workers, args.batch_size, streamed)
        how = "fetch_stream" if streamed else f"fetch_batch x {args.batch_size}"
        print(f"lifted   (no limit, {args.lifted_workers} workers, {how}): {lifted['served_rate']:.1f} req/s served "
              f"= {lifted['served_rate'] / args.rate:.2f} x the limit (ideal at {args.latency * 1000:.0f} ms latency: "
              f"{args.lifted_workers / args.latency:.0f} req/s); {lifted['failed']} failed, {lifted['elapsed_s']:.1f} s")
    if ratio < 0.95 or limited["over_limit"]:
        print("GOAL MISSED", file=sys.stderr)


if __name__ == "__main__":
    main()
