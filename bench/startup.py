"""How long a user waits for `newsarchive`, measured in one run as its own baseline.

    .venv/bin/python bench/startup.py [--rounds N]

Three commands, as a new user runs them (no PREFECT_API_URL, a fresh PREFECT_HOME and data
directory per round), wall time of the whole process:

    sample     `newsarchive run`: the first run of the bundled sample (starts a temporary Prefect server)
    rerun      `newsarchive run` again: nothing new (answered from the ledger, no Prefect server)
    sql        `newsarchive sql "SELECT 1"`: the reference
    kept       the first run of the sample again (a new data directory), with the Prefect server
               `newsarchive prefect-server start` keeps (started before, not timed)

Aims (issue 14): rerun within 1.5x the query's wall time, the sample run within 3x. Each command's
CPU seconds (with its children) are printed too: on a machine shared with other jobs the wall
times swing with the load, the CPU seconds much less. The kept server is no child of the run:
the CPU it spent on the kept run's API calls is printed on a line of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

BIN = Path(sys.executable).parent / "newsarchive"


def _cpu_seconds() -> float:
    """User + system CPU of this process's waited-for children and their descendants so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(args: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the command with its children (its extraction processes,
    a temporary Prefect server; not a kept server, which is no child of it)."""
    started, cpu_before = time.perf_counter(), _cpu_seconds()
    result = subprocess.run([str(BIN), *args], capture_output=True, text=True, env=env, timeout=600)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"newsarchive {' '.join(args)} failed: {result.stderr}")
    return elapsed, _cpu_seconds() - cpu_before


def one_round() -> dict[str, tuple[float, float]]:
    with tempfile.TemporaryDirectory(prefix="newsarchive-startup-") as root:
        env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
        env["PREFECT_HOME"] = str(Path(root) / "prefect")
        data = ["--data-dir", str(Path(root) / "data")]
        times = {
            "sample": _timed(["run", *data], env),
            "rerun": _timed(["run", *data], env),
            "sql": _timed(["sql", "SELECT 1", *data], env),
        }
        _timed(["prefect-server", "start"], env)
        try:
            server = _kept_server(Path(env["PREFECT_HOME"]))
            server_before = _process_cpu_seconds(server)
            times["kept"] = _timed(["run", "--data-dir", str(Path(root) / "kept")], env)
            times["server"] = (0.0, _process_cpu_seconds(server) - server_before)
        finally:
            _timed(["prefect-server", "stop"], env)
        return times


def _kept_server(prefect_home: Path) -> psutil.Process:
    """The process of the server `prefect-server start` keeps (flows/cli/prefect_api.py's state file)."""
    state = json.loads((prefect_home / "newsarchive-server.json").read_text(encoding="utf-8"))
    return psutil.Process(int(state["pid"]))


def _process_cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1)
    rounds = [one_round() for _ in range(parser.parse_args().rounds)]
    wall = {name: statistics.median(r[name][0] for r in rounds) for name in rounds[0]}
    cpu = {name: statistics.median(r[name][1] for r in rounds) for name in rounds[0]}
    print(f"{'command':<8} {'wall s':>7} {'x sql':>6} {'cpu s':>7} {'x sql':>6}")
    for name in wall:
        if name == "server":
            print(f"(and {cpu[name]:.2f} s of CPU in the kept server for the kept run's API calls)")
            continue
        print(
            f"{name:<8} {wall[name]:7.2f} {wall[name] / wall['sql']:6.2f} {cpu[name]:7.2f} {cpu[name] / cpu['sql']:6.2f}"
        )
    load = os.getloadavg()[0]
    print(f"(median of {len(rounds)} round{'s' if len(rounds) > 1 else ''}, {os.cpu_count()} cores, load {load:.1f})")


if __name__ == "__main__":
    main()
