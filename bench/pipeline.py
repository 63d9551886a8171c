"""The full ingest flow against a plain single-process extraction loop, on one synthetic WARC.

    python bench/pipeline.py                 # 20,000 captures (and 5,000 for the memory ratio)
    python bench/pipeline.py --quick         # 2,000 / 500: a fast check that it all works
    python bench/pipeline.py --captures 10000 --small 2500 --processes 2 --batch-size 200

The input is the bundled sample's article captures replicated under distinct URLs. Measured, in
the same run, against one temporary Prefect server started first: (a) a plain extraction loop;
(b) the flow end to end in a fresh child process (`ingest(RunOptions.build(warc_paths=...))`),
in `--rounds` pairs with (a), the median pair reported; (c) Prefect's overhead (the same flow
shape with a no-op task); (d) peak RSS of the flow and its extraction pool, small vs large
input. The child processes are in bench/pipeline_children.py; the method and the figures are
written to bench/README.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from flows.cli.common import apply_prefect_defaults  # noqa: E402 -- after the sys.path line

apply_prefect_defaults()

from pipeline_children import load_average, run_child  # noqa: E402 -- after the sys.path line

SAMPLE_WARC = REPO / "flows" / "sample" / "archive.warc.gz"
EXPECTED_JSON = REPO / "flows" / "sample" / "expected.json"
README = REPO / "bench" / "README.md"
SECTION_START = "<!-- bench/pipeline.py: start -->"
SECTION_END = "<!-- bench/pipeline.py: end -->"
MB = 1024 * 1024
MAX_IN_FLIGHT = 4  # the flow's default


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


# -- the run -------------------------------------------------------------------------------------


def start_server():
    """A temporary Prefect server, the same kind the flow starts on its own when no
    PREFECT_API_URL is set; started once so each child does not pay for its start-up."""
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start(timeout=120)
    os.environ["PREFECT_API_URL"] = server.api_url
    return server


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
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
    args.small = args.small or args.captures // 4
    if args.batch_size is None:
        from flows.options import DEFAULT_WARC_BATCH_SIZE

        args.batch_size = DEFAULT_WARC_BATCH_SIZE
    return args


def measure(args: argparse.Namespace, workdir: Path, large_warc: Path, small_warc: Path) -> dict:
    """Every measurement, against one temporary Prefect server."""
    import psutil

    server = start_server()
    server_process = psutil.Process(server.server_process.pid)
    flow_options = [str(args.processes or 0), str(args.batch_size or 0)]
    try:
        rounds = []
        for index in range(args.rounds):
            print(f"round {index + 1}/{args.rounds}: (a) baseline loop over {args.captures} captures ...", flush=True)
            load_before = load_average()
            base = baseline_loop(large_warc)
            base["load"] = f"{load_before} -> {load_average()}"
            print(f"round {index + 1}/{args.rounds}: (b) the full flow ...", flush=True)
            data_large = workdir / f"data-large-{index}"
            large, large_rss = run_child(["_flow", str(large_warc), str(data_large), *flow_options], server_process)
            shutil.rmtree(data_large, ignore_errors=True)
            ratio = (large["capture_count"] / large["seconds"]) / (base["capture_count"] / base["seconds"])
            print(f"round {index + 1}/{args.rounds}: {ratio:.2f}x", flush=True)
            rounds.append((ratio, base, large, large_rss))
        _, base, large, _ = sorted(rounds, key=lambda r: r[0])[(len(rounds) - 1) // 2]  # even count: the lower
        print("(c) the no-op flow (Prefect overhead) ...", flush=True)
        noop, _ = run_child(["_noop", str(large_warc), str(args.batch_size), str(MAX_IN_FLIGHT)], server_process)
        print(f"(d) the full flow on {args.small} captures (memory) ...", flush=True)
        small_args = ["_flow", str(small_warc), str(workdir / "data-small"), *flow_options]
        small_run, small_rss = run_child(small_args, server_process)
        server_rss = server_process.memory_info().rss
    finally:
        server.stop()
    if large["capture_count"] != args.captures or large["article_count"] != base["article_count"]:
        raise SystemExit(f"the flow and the baseline disagree: flow {large}, baseline {base}")
    return {
        "ratios": [r[0] for r in rounds],
        "base": base,
        "large": large,
        "large_rss": max((r[3] for r in rounds), key=lambda sampler: sampler.peak_total),  # the worst round
        "noop": noop,
        "small_run": small_run,
        "small_rss": small_rss,
        "server_rss": server_rss,
    }


def speed_lines(args: argparse.Namespace, m: dict) -> list[str]:
    """The table's rows for (a), (b) and (c)."""
    base, large, noop, ratios = m["base"], m["large"], m["noop"], m["ratios"]
    base_rate = base["capture_count"] / base["seconds"]
    flow_rate = large["capture_count"] / large["seconds"]
    overhead_s = noop["flow_seconds"] - noop["plain_seconds"]
    cores = os.cpu_count() or 1
    flow_cpu = large["flow_cpu_s"] + large["pool_cpu_s"] + large["server_cpu_s"]
    spent = large["spent"]
    return [
        f"| (a) plain loop, 1 process: `transforms.extract` | {base_rate:.1f} captures/s, "
        f"{base['article_count'] / base['seconds']:.1f} articles/s ({base['seconds']:.1f} s, CPU {base['cpu_s']:.1f} s) | | {base['load']} |",
        f"| (b) full flow `ingest(RunOptions.build(warc_paths=...))` end to end | {flow_rate:.1f} captures/s, "
        f"{large['article_count'] / large['seconds']:.1f} articles/s ({large['seconds']:.1f} s, {large['task_count']} tasks) | | {large['load']} |",
        f"| (b)/(a) speed-up, wall clock (the median of {len(ratios)} rounds: "
        f"{', '.join(f'{r:.2f}x' for r in ratios)}) | {flow_rate / base_rate:.2f}x | >= 1.6x | |",
        f"| (b) CPU: flow process + extraction pool + Prefect server | {large['flow_cpu_s']:.1f} + {large['pool_cpu_s']:.1f} "
        f"+ {large['server_cpu_s']:.1f} = {flow_cpu:.1f} s ({flow_cpu / base['cpu_s']:.2f}x the loop's CPU) | | |",
        f"| (b)/(a) speed-up the CPU time allows on {cores} idle cores (loop CPU / (flow CPU / {cores})) "
        f"| {base['cpu_s'] / (flow_cpu / cores):.2f}x | >= 1.6x | |",
        f"| (b) wall time inside: task bodies (`extract_batch`, summed over task threads) / Parquet writes (flow thread) "
        f"/ DuckDB load | {spent.get('extract_batch', 0):.1f} s / {spent.get('write_batch', 0):.1f} s / {spent.get('load', 0):.1f} s | | |",
        f"| (c) Prefect overhead: no-op flow {noop['flow_seconds']:.2f} s - plain read+batch "
        f"{noop['plain_seconds']:.2f} s, {noop['batch_count']} tasks | {overhead_s:.2f} s = {100 * overhead_s / large['seconds']:.1f}% "
        f"of (b) ({1000 * overhead_s / max(1, noop['batch_count']):.0f} ms/task incl. the flow run; CPU: flow process "
        f"{noop['flow_cpu_s']:.1f} s, server {noop['server_cpu_s']:.1f} s) | <= 5% | {noop['load']} |",
    ]


def memory_lines(args: argparse.Namespace, m: dict) -> list[str]:
    """The table's rows for (d)."""
    small_rss, large_rss = m["small_rss"], m["large_rss"]
    return [
        f"| (d) peak RSS, {args.small} captures (flow + pool) | {small_rss.peak_total / MB:.0f} MB "
        f"(flow {small_rss.peak_main / MB:.0f} MB, pool {small_rss.peak_children / MB:.0f} MB) | | {m['small_run']['load']} |",
        f"| (d) peak RSS, {args.captures} captures (flow + pool; the highest of the rounds) | {large_rss.peak_total / MB:.0f} MB "
        f"(flow {large_rss.peak_main / MB:.0f} MB, pool {large_rss.peak_children / MB:.0f} MB) | | |",
        f"| (d) RSS ratio {args.captures} / {args.small} | {large_rss.peak_total / small_rss.peak_total:.2f} | <= 1.2 | |",
        f"| temporary Prefect server RSS at the end (shared, not in (d)) | {m['server_rss'] / MB:.0f} MB | | |",
    ]


METHOD = (
    "Method: (a) and (b) run in {rounds} back-to-back pairs; the table shows the pair with the median "
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="newsarchive-bench-pipeline-"))
    os.environ["PREFECT_HOME"] = str(workdir / "prefect-home")
    os.environ.pop("PREFECT_API_URL", None)
    started = time.perf_counter()
    large_warc = synthesize_warc(workdir / f"synthetic-{args.captures}.warc.gz", args.captures)
    small_warc = synthesize_warc(workdir / f"synthetic-{args.small}.warc.gz", args.small)
    print(
        f"synthesized {args.captures} + {args.small} captures in {time.perf_counter() - started:.1f} s "
        f"({large_warc.stat().st_size / MB:.1f} MB gzipped) under {workdir}",
        flush=True,
    )
    m = measure(args, workdir, large_warc, small_warc)
    processes = args.processes or min(os.cpu_count() or 1, 8)
    lines = [
        f"bench/pipeline.py -- {args.captures} captures ({m['base']['article_count']} articles), "
        f"batch size {args.batch_size}, {processes} extraction processes, {os.cpu_count() or 1} cores (shared), "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        "| measure | value | goal | load avg 1/5/15 min (before -> after) |",
        "|---|---|---|---|",
        *speed_lines(args, m),
        *memory_lines(args, m),
        "",
        METHOD.format(rounds=len(m["ratios"])),
    ]
    print("\n".join(lines), flush=True)
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
    found = pattern.search(text)
    text = pattern.sub(lambda _: section, text) if found else text.rstrip("\n") + "\n\n" + section + "\n"
    README.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
