"""A small run's extraction started before its flow (flows/earlyextraction.py): real forked
worker processes over the bundled sample's captures, a real command killed with SIGKILL, and
the CLI's sample run as a subprocess (on a pseudo-terminal for Prefect's telemetry notice)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import pty
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import psutil

from flows import earlyextraction, quickcheck
from flows.acquire.captures import Capture
from flows.extraction import BatchResult, extract_batch
from flows.options import RunOptions
from tests.support.cli import newsarchive, sql_rows

REPO = Path(__file__).resolve().parents[2]
ARTICLE = b"""<html lang="en"><head><title>Harbour reopens after the storm</title></head><body><article>
<h1>Harbour reopens after the storm</h1>
<p>The harbour of the town reopened on Tuesday after a week of repairs to the quay and the
breakwater, the port authority said in a statement published in the morning.</p>
<p>Fishing boats left before dawn, and the ferry to the islands is expected to run again on
Thursday, once the last inspection of the landing stage has been made by the engineers.</p>
</article></body></html>"""


def _comparable(result: BatchResult) -> tuple[list, list]:
    """The batch's articles and ledger rows without what differs from one extraction to the
    next (how long it took, when the row was made)."""
    rows = [dataclasses.replace(row, duration_ms=0, recorded_at=None) for row in result.outcomes]
    return result.articles, rows


def test_early_extraction_gives_what_extraction_in_the_run_gives(tmp_path):
    captures = quickcheck.captures_to_do(RunOptions(data_dir=str(tmp_path / "data")), 200)
    assert captures is not None and len(captures) == 78  # the sample: nothing done yet
    changed = dataclasses.replace(captures[5], body=ARTICLE)  # read again, it differs: extracted anew
    asked = [*captures[:5], changed, *captures[6:]]

    earlyextraction.start(captures, 2)  # two, to see results come back from both in order
    early = earlyextraction.take()
    assert early is not None and earlyextraction.take() is None  # handed over once
    try:
        from_early = extract_batch(asked, run_id="r1", executor=early)
    finally:
        early.shutdown(cancel_futures=True)

    assert _comparable(from_early) == _comparable(extract_batch(asked, run_id="r1"))
    assert any(article.title == "Harbour reopens after the storm" for article in from_early.articles)


def test_too_many_captures_or_a_fetch_run_start_nothing_early(tmp_path):
    assert quickcheck.captures_to_do(RunOptions(data_dir=str(tmp_path / "data")), 77) is None
    urls = tmp_path / "urls.txt"
    urls.write_text("https://news.example/a\n")
    fetching = RunOptions.build(url_files=[str(urls)], data_dir=str(tmp_path / "data"))
    assert quickcheck.captures_to_do(fetching, 200) is None


def test_forked_workers_end_with_a_command_killed_outright(tmp_path):
    """The command may leave at once (a signal during its imports, kill -9): its workers, which
    ignore Ctrl-C and SIGTERM, end by themselves within a second or so."""
    script = textwrap.dedent(
        f"""
        import sys, time
        from flows import earlyextraction, quickcheck
        from flows.options import RunOptions

        captures = quickcheck.captures_to_do(RunOptions(data_dir={str(tmp_path / "data")!r}), 200)
        earlyextraction.start(captures, 2)
        print("started", flush=True)
        time.sleep(60)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], cwd=REPO, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "started"
        workers = psutil.Process(process.pid).children()
        assert len(workers) == 2
        for worker in workers:  # a terminal's Ctrl-C reaches them too: ignored
            worker.send_signal(signal.SIGINT)
        time.sleep(0.3)
        assert all(worker.is_running() for worker in workers)
    finally:
        process.kill()
        process.wait()
    gone, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, f"workers left behind: {alive}"


def test_sample_run_extracts_in_an_early_process_and_records_everything(tmp_path, prefect_server):
    data_dir = tmp_path / "data"
    result = newsarchive("run", "--data-dir", str(data_dir), "--format", "json", "-q")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["capture_count"] == 78 and summary["task_count"] == 1

    runs = sql_rows(data_dir, "SELECT status, parameters FROM runs")
    assert len(runs) == 1 and runs[0]["status"] == "completed"
    assert json.loads(runs[0]["parameters"])["tuning"]["processes"] == 1
    ledger = sql_rows(data_dir, "SELECT count(*) AS n, count(DISTINCT capture_id) AS ids FROM captures")
    assert ledger == [{"n": 78, "ids": 78}]

    # Prefect still has the run: the flow run, its extract-batch task and the load sub-flow.
    flow_runs, task_runs = asyncio.run(_prefect_records(str(data_dir)))
    assert sorted((run.name.split(" ")[0], run.state_type.value) for run in flow_runs) == [
        ("ingest-sample", "COMPLETED"),
        ("load", "COMPLETED"),
    ]
    assert [(run.name, run.state_type.value) for run in task_runs if run.name.startswith("extract")] == [
        ("extract sample 1-78", "COMPLETED")
    ]


async def _prefect_records(data_dir: str) -> tuple[list, list]:
    """The flow runs (the ingest run, its load sub-flow) over `data_dir`, and their task runs."""
    from prefect import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        flow_runs = [
            run
            for run in await client.read_flow_runs()
            if (run.parameters.get("options") or {}).get("data_dir") == data_dir
        ]
        ids = FlowRunFilter(id=FlowRunFilterId(any_=[run.id for run in flow_runs]))
        return flow_runs, await client.read_task_runs(flow_run_filter=ids)


def test_captures_read_early_equal_the_flows_own(tmp_path):
    """The early results are taken only for captures equal to the flow's: the same file read
    twice gives equal captures (else every capture would be extracted twice)."""
    first = quickcheck.captures_to_do(RunOptions(data_dir=str(tmp_path / "data")), 200)
    second = quickcheck.captures_to_do(RunOptions(data_dir=str(tmp_path / "data")), 200)
    assert first and first == second and all(isinstance(capture, Capture) for capture in first)


def test_a_new_users_first_run_on_a_terminal_prints_no_prefect_telemetry_notice(tmp_path, prefect_server):
    """Prefect's client shows its telemetry notice to a new user (an empty PREFECT_HOME) on a
    terminal, outside CI; `newsarchive` sets DO_NOT_TRACK=1 unless the user set it."""
    ci_names = {"CI", "CI_NAME", "GITHUB_ACTIONS", "GITLAB_CI", "JENKINS_URL", "TRAVIS", "CIRCLECI", "BUILDKITE"}
    ci_names |= {"TF_BUILD", "CODEBUILD_BUILD_ID", "BITBUCKET_COMMIT", "TEAMCITY_VERSION", "DRONE", "SEMAPHORE"}
    ci_names |= {"APPVEYOR", "BUDDY"}  # Prefect's list (prefect/_internal/analytics/ci_detection.py)
    env = {name: value for name, value in os.environ.items() if name not in ci_names | {"DO_NOT_TRACK"}}
    env["PREFECT_HOME"] = str(tmp_path / "new-user-prefect-home")
    leader, follower = pty.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "flows.cli", "run", "-q", "--data-dir", str(tmp_path / "data")],
            stdin=subprocess.DEVNULL,
            stdout=follower,
            stderr=follower,
            cwd=REPO,
            env=env,
            timeout=300,
        )
        os.close(follower)
        screen = _read_all(leader)
    finally:
        os.close(leader)
    assert result.returncode == 0, screen
    assert "Articles in the warehouse: 68" in screen
    assert "usage data" not in screen and "telemetry" not in screen, screen


def _read_all(fd: int) -> str:
    chunks = []
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # the terminal's other end is closed and drained
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks).decode("utf-8", "replace")
