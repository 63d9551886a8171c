"""The full ingest flow against a plain single-process extraction loop, on one synthetic WARC.

    python bench/pipeline.py                 # 20,000 captures (and 5,000 for the memory ratio)
    python bench/pipeline.py --quick         # 2,000 / 500: a fast check that it all works
    python bench/pipeline.py --captures 10000 --small 2500 --processes 2 --batch-size 200

The input is the bundled sample archive's article captures replicated with distinct URLs
(`/copy-<n>` appended to the path, bodies unchanged), written gzipped with warcio to a temp dir.
Everything runs with PREFECT_HOME in a temp dir against one temporary Prefect server started
here before any timing (as `newsarchive run` would start one; its 7-11 s start-up is a one-off
cost and is excluded). Measured, all in the same run:

(a) baseline: one process reads the WARC and calls `transforms.extract` on every capture
    (the same arguments the flow passes) -- captures/s and articles/s;
(b) the flow: `ingest(source="warc", warc_paths=[...], data_dir=tmp)` end to end (read,
    extract in the flow's process pool, write Parquet, load DuckDB) in a fresh child process;
    wall time of the call; its ratio to (a) (goal >= 1.6x on 2 cores). (a) and (b) run in
    pairs, `--rounds` times (default 3), and the round with the median ratio is reported with
    every round's ratio: this VM's speed drifts by several percent within minutes, more than
    the differences worth measuring, and a pair run back to back shares most of the drift;
(c) Prefect overhead: in a fresh child, a flow with the same task options, task runner, batches
    and in-flight limit but a no-op task body, minus the same WARC read and batching done in a
    plain loop. What remains is what Prefect adds (flow run, one task run per batch, futures,
    the summary artifact); its share of (b)'s wall time (goal <= 5%);
(d) peak RSS of the flow's child process plus its children (the extraction pool), sampled every
    20 ms with psutil, for the small and the large input (goal ratio <= 1.2). The temporary
    Prefect server is shared and reported apart. RSS sums count pages shared between processes
    once per process.

The machine is shared: the load average before and after each step is printed with it.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flows.cli.common import apply_prefect_defaults  # noqa: E402 -- after the sys.path line

apply_prefect_defaults()

SAMPLE_WARC = REPO / "flows" / "sample" / "archive.warc.gz"
EXPECTED_JSON = REPO / "flows" / "sample" / "expected.json"
README = REPO / "bench" / "README.md"
SECTION_START = "<!-- bench/pipeline.py: start -->"
SECTION_END = "<!-- bench/pipeline.py: end -->"
MB = 1024 * 1024


# -- input ---------------------------------------------------------------------------------------


def _copy_url(url: str, n: int) -> str:
    parts = urlsplit(url)
    path = parts.path.rstrip("/") + f"/copy-{n}"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _article_records() -> list[tuple[dict, bytes, list[tuple[str, str]], str]]:
    """(WARC headers to keep, HTTP body, HTTP headers, status line) of each article capture."""
    from warcio.archiveiterator import ArchiveIterator

    expected = json.loads(EXPECTED_JSON.read_text(encoding="utf-8"))["captures"]
    articles = {(c["captured_url"], c["captured_at"]) for c in expected if c["kind"] == "article"}
    records = []
    with open(SAMPLE_WARC, "rb") as handle:
        for record in ArchiveIterator(handle):
            if record.rec_type != "response":
                continue
            key = (record.rec_headers.get_header("WARC-Target-URI"), record.rec_headers.get_header("WARC-Date"))
            if key not in articles:
                continue
            records.append(
                (
                    {"WARC-Target-URI": key[0], "WARC-Date": key[1]},
                    record.raw_stream.read(),
                    list(record.http_headers.headers),
                    record.http_headers.statusline,
                )
            )
    if len(records) != len(articles):
        raise SystemExit(f"expected {len(articles)} article records in {SAMPLE_WARC}, found {len(records)}")
    return records


def synthesize_warc(path: Path, capture_count: int) -> Path:
    """`capture_count` article captures, each with its own URL, gzipped."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    records = _article_records()
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for n in range(capture_count):
            warc_headers, body, http_headers, statusline = records[n % len(records)]
            uri = _copy_url(warc_headers["WARC-Target-URI"], n)
            record = writer.create_warc_record(
                uri,
                "response",
                payload=io.BytesIO(body),
                http_headers=StatusAndHeaders(statusline, http_headers, protocol="HTTP/1.1"),
                warc_headers_dict={"WARC-Date": warc_headers["WARC-Date"]},
            )
            writer.write_record(record)
    return path


# -- (a) baseline --------------------------------------------------------------------------------


def baseline_loop(warc_path: Path) -> dict:
    """Read every capture and extract it, one process, no Prefect, nothing written."""
    import transforms
    from flows.acquire.warc import read_warc
    from transforms.records import Article

    started = time.perf_counter()
    cpu_started = time.process_time()
    capture_count = article_count = 0
    for capture in read_warc(str(warc_path), source="warc"):
        result = transforms.extract(
            capture.body,
            capture.ref.url,
            captured_at=capture.captured_at,
            archive_url=capture.ref.archive_url,
            content_type=capture.content_type,
            headers=capture.headers,
        )
        capture_count += 1
        article_count += isinstance(result, Article)
    return {
        "seconds": time.perf_counter() - started,
        "cpu_s": time.process_time() - cpu_started,
        "capture_count": capture_count,
        "article_count": article_count,
    }


# -- child processes: the flow, the no-op flow ----------------------------------------------------


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

    import flows.ingest
    from flows.ingest import ingest

    # Where the time goes: the tasks' work, the flow's Parquet writes, the DuckDB load.
    spent: dict[str, float] = {}
    lock = threading.Lock()
    _timed(flows.ingest, "extract_batch", spent, lock)
    _timed(flows.ingest, "_write", spent, lock)
    _timed(flows.ingest.db, "load", spent, lock)
    started = time.perf_counter()
    summary = ingest(
        source="warc", warc_paths=[warc_path], data_dir=data_dir, processes=processes, batch_size=batch_size
    )
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
                    try:
                        children += child.memory_info().rss
                    except psutil.Error:
                        pass
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


# -- the run -------------------------------------------------------------------------------------


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def start_server():
    """A temporary Prefect server, the same kind the flow starts on its own when no
    PREFECT_API_URL is set; started once so each child does not pay for its start-up."""
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=120)
    os.environ["PREFECT_API_URL"] = server.api_url
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--captures", type=int, default=20_000, help="captures in the large input (default 20000)")
    parser.add_argument(
        "--small", type=int, help="captures in the small input, for the memory ratio (default captures/4)"
    )
    parser.add_argument("--quick", action="store_true", help="2,000 and 500 captures")
    parser.add_argument(
        "--processes", type=int, help="the flow's extraction processes (default: the flow's, one per core)"
    )
    parser.add_argument(
        "--batch-size", type=int, help="captures per Prefect task (default: the flow's default for WARC input)"
    )
    parser.add_argument(
        "--rounds", type=int, default=3, help="pairs of (a) and (b) to run; the median pair is reported (default 3)"
    )
    parser.add_argument("--no-readme", action="store_true", help="do not write the figures into bench/README.md")
    args = parser.parse_args(argv)
    if args.quick:
        args.captures, args.small = 2_000, 500
    small = args.small or args.captures // 4
    max_in_flight = 4  # the flow's default

    workdir = Path(tempfile.mkdtemp(prefix="newsarchive-bench-pipeline-"))
    os.environ["PREFECT_HOME"] = str(workdir / "prefect-home")
    os.environ.pop("PREFECT_API_URL", None)
    if args.batch_size is None:
        from flows.ingest import DEFAULT_WARC_BATCH_SIZE

        args.batch_size = DEFAULT_WARC_BATCH_SIZE
    lines: list[str] = []

    def say(text: str) -> None:
        print(text, flush=True)
        lines.append(text)

    started = time.perf_counter()
    large_warc = synthesize_warc(workdir / f"synthetic-{args.captures}.warc.gz", args.captures)
    small_warc = synthesize_warc(workdir / f"synthetic-{small}.warc.gz", small)
    print(
        f"synthesized {args.captures} + {small} captures in {time.perf_counter() - started:.1f} s "
        f"({large_warc.stat().st_size / MB:.1f} MB gzipped) under {workdir}",
        flush=True,
    )
    server = start_server()
    import psutil

    server_process = psutil.Process(server.server_process.pid)
    try:
        rounds = []
        for index in range(args.rounds):
            print(f"round {index + 1}/{args.rounds}: (a) baseline loop over {args.captures} captures ...", flush=True)
            load_before = load_average()
            base = baseline_loop(large_warc)
            base["load"] = f"{load_before} -> {load_average()}"
            print(f"round {index + 1}/{args.rounds}: (b) the full flow ...", flush=True)
            data_large = workdir / f"data-large-{index}"
            flow_args = ["_flow", str(large_warc), str(data_large), str(args.processes or 0), str(args.batch_size or 0)]
            large, large_rss = run_child(flow_args, server_process)
            shutil.rmtree(data_large, ignore_errors=True)
            ratio = (large["capture_count"] / large["seconds"]) / (base["capture_count"] / base["seconds"])
            print(f"round {index + 1}/{args.rounds}: {ratio:.2f}x", flush=True)
            rounds.append((ratio, base, large, large_rss))
        ratios = [r[0] for r in rounds]
        _, base, large, _ = sorted(rounds, key=lambda r: r[0])[(len(rounds) - 1) // 2]  # even count: the lower
        large_rss = max((r[3] for r in rounds), key=lambda sampler: sampler.peak_total)  # the worst round

        print("(c) the no-op flow (Prefect overhead) ...", flush=True)
        noop, _ = run_child(["_noop", str(large_warc), str(args.batch_size), str(max_in_flight)], server_process)

        print(f"(d) the full flow on {small} captures (memory) ...", flush=True)
        small_args = [
            "_flow",
            str(small_warc),
            str(workdir / "data-small"),
            str(args.processes or 0),
            str(args.batch_size or 0),
        ]
        small_run, small_rss = run_child(small_args, server_process)
        server_rss = server_process.memory_info().rss
    finally:
        server.stop()

    if large["capture_count"] != args.captures or large["article_count"] != base["article_count"]:
        raise SystemExit(f"the flow and the baseline disagree: flow {large}, baseline {base}")
    base_rate = base["capture_count"] / base["seconds"]
    flow_rate = large["capture_count"] / large["seconds"]
    overhead_s = noop["flow_seconds"] - noop["plain_seconds"]
    overhead_share = overhead_s / large["seconds"]
    rss_ratio = large_rss.peak_total / small_rss.peak_total
    cores = os.cpu_count() or 1
    processes = args.processes or min(cores, 8)
    flow_cpu = large["flow_cpu_s"] + large["pool_cpu_s"] + large["server_cpu_s"]
    cpu_bound = base["cpu_s"] / (flow_cpu / cores)
    spent = large["spent"]

    say(
        f"bench/pipeline.py -- {args.captures} captures ({base['article_count']} articles), "
        f"batch size {args.batch_size}, {processes} extraction processes, {cores} cores (shared), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )
    say("")
    say("| measure | value | goal | load avg 1/5/15 min (before -> after) |")
    say("|---|---|---|---|")
    say(
        f"| (a) plain loop, 1 process: `transforms.extract` | {base_rate:.1f} captures/s, "
        f"{base['article_count'] / base['seconds']:.1f} articles/s ({base['seconds']:.1f} s, CPU {base['cpu_s']:.1f} s) | | {base['load']} |"
    )
    say(
        f'| (b) full flow `ingest(source="warc")` end to end | {flow_rate:.1f} captures/s, '
        f"{large['article_count'] / large['seconds']:.1f} articles/s ({large['seconds']:.1f} s, {large['task_count']} tasks) | | {large['load']} |"
    )
    say(
        f"| (b)/(a) speed-up, wall clock (the median of {len(ratios)} rounds: "
        f"{', '.join(f'{r:.2f}x' for r in ratios)}) | {flow_rate / base_rate:.2f}x | >= 1.6x | |"
    )
    say(
        f"| (b) CPU: flow process + extraction pool + Prefect server | {large['flow_cpu_s']:.1f} + {large['pool_cpu_s']:.1f} "
        f"+ {large['server_cpu_s']:.1f} = {flow_cpu:.1f} s ({flow_cpu / base['cpu_s']:.2f}x the loop's CPU) | | |"
    )
    say(
        f"| (b)/(a) speed-up the CPU time allows on {cores} idle cores (loop CPU / (flow CPU / {cores})) | {cpu_bound:.2f}x | >= 1.6x | |"
    )
    say(
        f"| (b) wall time inside: task bodies (`extract_batch`, summed over task threads) / Parquet writes (flow thread) "
        f"/ DuckDB load | {spent.get('extract_batch', 0):.1f} s / {spent.get('_write', 0):.1f} s / {spent.get('load', 0):.1f} s | | |"
    )
    say(
        f"| (c) Prefect overhead: no-op flow {noop['flow_seconds']:.2f} s - plain read+batch "
        f"{noop['plain_seconds']:.2f} s, {noop['batch_count']} tasks | {overhead_s:.2f} s = {100 * overhead_share:.1f}% "
        f"of (b) ({1000 * overhead_s / max(1, noop['batch_count']):.0f} ms/task incl. the flow run; CPU: flow process "
        f"{noop['flow_cpu_s']:.1f} s, server {noop['server_cpu_s']:.1f} s) | <= 5% | {noop['load']} |"
    )
    say(
        f"| (d) peak RSS, {small} captures (flow + pool) | {small_rss.peak_total / MB:.0f} MB "
        f"(flow {small_rss.peak_main / MB:.0f} MB, pool {small_rss.peak_children / MB:.0f} MB) | | {small_run['load']} |"
    )
    say(
        f"| (d) peak RSS, {args.captures} captures (flow + pool; the highest of the rounds) | {large_rss.peak_total / MB:.0f} MB "
        f"(flow {large_rss.peak_main / MB:.0f} MB, pool {large_rss.peak_children / MB:.0f} MB) | | |"
    )
    say(f"| (d) RSS ratio {args.captures} / {small} | {rss_ratio:.2f} | <= 1.2 | |")
    say(f"| temporary Prefect server RSS at the end (shared, not in (d)) | {server_rss / MB:.0f} MB | | |")
    say("")
    say(
        f"Method: (a) and (b) run in {len(ratios)} back-to-back pairs; the table shows the pair with the median "
        "wall-clock ratio (this VM's speed drifts by several percent within minutes). "
        "(a) one process reads the WARC (FastWARC) and calls `transforms.extract` per capture. "
        "(b) a fresh child process calls the flow; wall time of the call (process pool start, read, "
        "extract, Parquet, DuckDB load, summary artifact); CPU from getrusage of the child and its reaped "
        "children (the pool) plus the server's CPU during the run. On a shared machine the wall-clock ratio "
        "follows the other load; the CPU ratio does not. (c) a fresh child runs a flow with the same task "
        "options, thread task runner, batches and in-flight limit whose task does nothing, and the same WARC "
        "read + batching in a plain loop; the difference is Prefect's cost. (d) psutil RSS of the child and "
        "its descendants, summed, sampled every 20 ms, for the large input the highest of the rounds; the shared "
        "Prefect server is excluded."
    )
    if not args.no_readme:
        write_readme_section("\n".join(lines))
    return 0


def write_readme_section(body: str) -> None:
    """Replace this benchmark's section of bench/README.md (other sections are left alone)."""
    section = (
        f"{SECTION_START}\n## pipeline.py: the full flow vs a plain loop, Prefect overhead, memory\n\n"
        f"`python bench/pipeline.py` (`--quick` for 2,000 / 500 captures).\n\n{body}\n{SECTION_END}"
    )
    text = README.read_text(encoding="utf-8") if README.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(SECTION_START) + ".*?" + re.escape(SECTION_END), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_flow":
        _, _, warc, data, processes, batch = sys.argv
        print(json.dumps(child_flow(warc, data, int(processes) or None, int(batch) or None)))
    elif len(sys.argv) > 1 and sys.argv[1] == "_noop":
        _, _, warc, batch, in_flight = sys.argv
        print(json.dumps(child_noop(warc, int(batch), int(in_flight))))
    else:
        sys.exit(main())
