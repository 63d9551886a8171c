"""The child processes of bench/pipeline.py: the flow, the no-op flow, and the RSS sampler
that watches them. Run as `python bench/pipeline_children.py _flow|_noop ...`; the last stdout
line is the JSON result."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flows.cli.common import apply_prefect_defaults  # noqa: E402 -- after the sys.path line

apply_prefect_defaults()


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def _timed(module, name: str, spent: dict[str, float], lock: threading.Lock) -> None:
    """Wrap `module.name` to add its wall time to `spent[name]` (instrumentation only)."""
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            with lock:
                spent[name] = spent.get(name, 0.0) + time.perf_counter() - started

    setattr(module, name, wrapper)


def child_flow(warc_path: str, data_dir: str, processes: int | None, batch_size: int | None) -> dict:
    import resource

    import flows.tasks
    import flows.writer
    from flows.ingest import ingest
    from flows.options import RunOptions

    # Where the time goes: the tasks' work, the flow's Parquet writes, the DuckDB load.
    spent: dict[str, float] = {}
    lock = threading.Lock()
    _timed(flows.tasks, "extract_batch", spent, lock)
    _timed(flows.writer, "write_batch", spent, lock)
    _timed(flows.writer.db, "load", spent, lock)
    options = RunOptions.build(warc_paths=[warc_path], data_dir=data_dir, processes=processes, batch_size=batch_size)
    started = time.perf_counter()
    summary = ingest(options)
    seconds = time.perf_counter() - started
    own = resource.getrusage(resource.RUSAGE_SELF)
    pool = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "seconds": seconds,
        "capture_count": summary.capture_count,
        "article_count": summary.article_count,
        "duplicate_count": summary.duplicate_count,
        "rejections": summary.rejections,
        "task_count": summary.task_count,
        "errors": summary.errors,
        "spent": spent,
        "flow_cpu_s": own.ru_utime + own.ru_stime,
        "pool_cpu_s": pool.ru_utime + pool.ru_stime,
    }


def child_noop(warc_path: str, batch_size: int, max_in_flight: int) -> dict:
    """Prefect's own cost: the flow's structure with a no-op task body, minus a plain loop
    doing the same reading and batching."""
    from prefect import flow, task
    from prefect.artifacts import create_markdown_artifact
    from prefect.cache_policies import NO_CACHE
    from prefect.task_runners import ThreadPoolTaskRunner

    from flows.extraction import CaptureBatch
    from flows.ingest import _batches, _warc_captures

    def read_and_batch() -> int:
        return sum(1 for _ in _batches(_warc_captures([warc_path], "warc", []), batch_size))

    @task(name="noop-batch", task_run_name="noop {label}", retries=2, retry_delay_seconds=2, cache_policy=NO_CACHE)
    def noop_batch(label: str, batch: CaptureBatch, run_id: str) -> int:
        return len(batch)

    @flow(name="bench-noop", log_prints=False, task_runner=ThreadPoolTaskRunner(max_workers=4))
    def noop_flow() -> int:
        in_flight, done, first = [], 0, 0
        for batch in _batches(_warc_captures([warc_path], "warc", []), batch_size):
            in_flight.append(noop_batch.submit(f"warc {first + 1}-{first + len(batch)}", CaptureBatch(batch), "bench"))
            first += len(batch)
            while len(in_flight) > max_in_flight:
                done += in_flight.pop(0).result()
        while in_flight:
            done += in_flight.pop(0).result()
        create_markdown_artifact(markdown=f"{done} captures", key="bench-noop")
        return done

    read_and_batch()  # warm the page cache and imports alike for both
    started = time.perf_counter()
    batch_count = read_and_batch()
    plain_seconds = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    capture_count = noop_flow()
    flow_seconds, flow_cpu_s = time.perf_counter() - started, time.process_time() - cpu_started
    return {
        "plain_seconds": plain_seconds,
        "flow_seconds": flow_seconds,
        "batch_count": batch_count,
        "capture_count": capture_count,
        "flow_cpu_s": flow_cpu_s,
    }


class RssSampler:
    """Peak RSS of a process and its descendants, sampled in a thread."""

    def __init__(self, pid: int, interval_s: float = 0.02):
        import psutil

        self.process = psutil.Process(pid)
        self.interval_s = interval_s
        self.peak_total = self.peak_main = self.peak_children = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                main = self.process.memory_info().rss
                children = 0
                for child in self.process.children(recursive=True):
                    with contextlib.suppress(psutil.Error):  # a child that just exited
                        children += child.memory_info().rss
            except psutil.Error:
                break
            self.peak_main = max(self.peak_main, main)
            self.peak_children = max(self.peak_children, children)
            self.peak_total = max(self.peak_total, main + children)
            self._stop.wait(self.interval_s)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def run_child(args: list[str], server_process) -> tuple[dict, RssSampler]:
    """Run this script in child mode; its last stdout line is the JSON result. Adds the load
    average around it and the Prefect server's CPU time during it."""
    load_before = load_average()
    server_cpu = sum(server_process.cpu_times()[:2])
    process = subprocess.Popen(
        [sys.executable, __file__, *args], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
    )
    with RssSampler(process.pid) as sampler:
        out, _ = process.communicate()
    if process.returncode != 0:
        raise SystemExit(f"child {args[0]} failed with status {process.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["server_cpu_s"] = sum(server_process.cpu_times()[:2]) - server_cpu
    result["load"] = f"{load_before} -> {load_average()}"
    return result, sampler


if __name__ == "__main__":
    if sys.argv[1] == "_flow":
        _, _, warc, data, processes, batch = sys.argv
        print(json.dumps(child_flow(warc, data, int(processes) or None, int(batch) or None)))
    elif sys.argv[1] == "_noop":
        _, _, warc, batch, in_flight = sys.argv
        print(json.dumps(child_noop(warc, int(batch), int(in_flight))))
