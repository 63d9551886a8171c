"""Stopping `newsarchive run` with Ctrl-C (SIGINT) or SIGTERM in the middle of a run, as a user
or a process manager does: a real subprocess, a real slow HTTP server, real signals.

What a stopped run owes: one line and no traceback, exit status 130 (143 for SIGTERM) within
seconds, every capture finished by then written, a `runs` row saying `interrupted`, and a next
run that resumes (nothing it kept fetched again, every capture ingested once in the end).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from tests.support.cli import newsarchive, sql_rows, start_newsarchive, wait_for_file
from tests.support.factories import archived_article, write_warc
from tests.support.servers import FaultServer

# Generous: the point is seconds, not the minutes a stopped run used to take; the bound leaves
# room for a busy two-core machine (measured 5-10 s there while other sessions ran).
STOP_WITHIN_S = 60


def _stop(process: subprocess.Popen, signum: int, *, group: bool = False) -> tuple[int, str, float]:
    """Send `signum` (to the process group with `group`); returns status, stderr, seconds to exit."""
    sent_at = time.monotonic()
    if group:
        os.killpg(process.pid, signum)
    else:
        process.send_signal(signum)
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr, time.monotonic() - sent_at


PROGRESS_LINE = re.compile(r"^\d+(/\d+)? captures, ")  # flows/cli/progress.py, off a terminal


def _assert_one_clean_line(stderr: str, name: str) -> None:
    """The banner, progress lines, then the stopped run's one line, and nothing else."""
    assert "Traceback" not in stderr and "Crash" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip() and not PROGRESS_LINE.match(line)]
    assert lines[0].startswith("Ingesting"), stderr
    assert len(lines) == 2, stderr
    assert lines[1].startswith(f"{name}: stopping after the captures in hand ..."), stderr
    assert "run the same command again to continue" in lines[1]
    assert stderr.rstrip().endswith(lines[1])


def test_ctrl_c_in_a_fetch_run_keeps_what_was_fetched_and_the_next_run_resumes(tmp_path, prefect_server):
    data_dir = tmp_path / "data"
    with FaultServer(latency=0.05) as server:
        urls = tmp_path / "urls.txt"
        urls.write_text("".join(f"{server.base_url}/ok/story-{n}\n" for n in range(80)))
        args = ("run", "--urls", str(urls), "--rate", "4", "--batch-size", "8", "--allow-private-hosts")
        args += ("--data-dir", str(data_dir))
        process = start_newsarchive(*args)
        wait_for_file(data_dir / "parquet" / "captures", "*.parquet")
        status, stderr, _ = _stop(process, signal.SIGINT)
        assert status == 130, stderr
        _assert_one_clean_line(stderr, "Ctrl-C")
        (run,) = sql_rows(data_dir, "SELECT status, capture_count, article_count FROM runs")
        kept_urls = {row["url"] for row in sql_rows(data_dir, "SELECT url FROM captures")}
        kept = len(kept_urls)
        assert run["status"] == "interrupted"
        assert 0 < run["capture_count"] == kept < 80 and run["article_count"] == kept

        again = newsarchive(*args)
        assert again.returncode == 0, again.stderr
        assert f"skipped (done before): {kept}" in again.stdout
        assert f"{80 - kept} captures in" in again.stdout
        # Every page fetched (robots.txt aside); a page kept by the first run exactly once. Ctrl-C
        # ends the requests in flight (README: those captures are left for the next run), so a
        # page whose request was under way is fetched again: at most one batch of them.
        pages = {path: count for path, count in server.counts.items() if path.startswith("/ok/")}
        assert len(pages) == 80 and set(pages.values()) <= {1, 2}
        assert all(pages[urlsplit(url).path] == 1 for url in kept_urls)
        assert sum(count == 2 for count in pages.values()) <= 8  # --batch-size
    statuses = sql_rows(data_dir, "SELECT status FROM runs ORDER BY started_at")
    assert [row["status"] for row in statuses] == ["interrupted", "completed"]
    assert sql_rows(data_dir, "SELECT count(*) AS n FROM articles")[0]["n"] == 80


def _big_warc(tmp_path, count: int):
    captured_at = datetime(2020, 1, 1, tzinfo=UTC)
    pages = [
        archived_article(f"http://news.example/story/{n}", captured_at, f"Story {n} on the harbour")
        for n in range(count)
    ]
    return write_warc(tmp_path / "big.warc.gz", pages)


def test_sigterm_in_a_warc_run_keeps_what_was_extracted_and_the_next_run_resumes(tmp_path, prefect_server):
    data_dir = tmp_path / "data"
    warc = _big_warc(tmp_path, 2400)
    args = ("run", "--warc", str(warc), "--batch-size", "100", "--data-dir", str(data_dir))
    process = start_newsarchive(*args)
    wait_for_file(data_dir / "parquet" / "captures", "*.parquet")
    status, stderr, seconds = _stop(process, signal.SIGTERM)
    assert status == 143, stderr
    assert seconds < STOP_WITHIN_S
    _assert_one_clean_line(stderr, "SIGTERM")
    (run,) = sql_rows(data_dir, "SELECT status, capture_count FROM runs")
    kept = sql_rows(data_dir, "SELECT count(*) AS n FROM captures")[0]["n"]
    assert run["status"] == "interrupted" and 0 < run["capture_count"] == kept < 2400

    again = newsarchive(*args)
    assert again.returncode == 0, again.stderr
    assert f"skipped (done before): {kept}" in again.stdout
    assert sql_rows(data_dir, "SELECT count(*) AS n FROM articles")[0]["n"] == 2400
    assert sql_rows(data_dir, "SELECT count(*) AS n FROM captures")[0]["n"] == 2400


def test_ctrl_c_in_a_terminal_reaches_the_whole_group_and_the_run_still_stops_cleanly(tmp_path, prefect_home):
    """A terminal's Ctrl-C signals every process of the foreground group: the extraction
    workers and, without PREFECT_API_URL, the run's own temporary Prefect server must survive it
    long enough for the run to finish cleanly."""
    data_dir = tmp_path / "data"
    warc = _big_warc(tmp_path, 2400)
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(prefect_home)
    process = start_newsarchive(
        "run", "--warc", str(warc), "--batch-size", "100", "--data-dir", str(data_dir), env=env, new_session=True
    )
    wait_for_file(data_dir / "parquet" / "captures", "*.parquet")
    status, stderr, seconds = _stop(process, signal.SIGINT, group=True)
    assert status == 130, stderr
    assert seconds < STOP_WITHIN_S
    _assert_one_clean_line(stderr, "Ctrl-C")
    (run,) = sql_rows(data_dir, "SELECT status FROM runs")
    assert run["status"] == "interrupted"
