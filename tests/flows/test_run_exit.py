"""How `newsarchive run` ends when its input fails: one line, a non-zero exit status, what was
done kept, and a `runs` row saying `failed` with the error. Real subprocesses, real servers."""

from __future__ import annotations

import re
import socket
import time

from tests.support.cli import newsarchive, sql_rows
from tests.support.servers import FaultServer, RouteServer


def _closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_an_unreachable_archive_is_a_one_line_error_and_a_failed_run(tmp_path, prefect_server):
    data_dir = tmp_path / "data"
    archive = f"http://127.0.0.1:{_closed_port()}/coll"
    result = newsarchive("run", "--cdx", "example.com/*", "--archive", archive, "--data-dir", str(data_dir))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 2 and lines[0].startswith("Ingesting CDX example.com/*"), result.stderr
    assert lines[1].startswith(f"Error: CDX query to {archive}/cdx failed: connection_error"), result.stderr
    assert "Nothing new" not in result.stdout  # there was no input to be new or not
    (run,) = sql_rows(data_dir, "SELECT status, error FROM runs")
    assert run["status"] == "failed" and run["error"].startswith("CDX query to")


def test_a_sitemap_that_is_not_xml_is_a_one_line_error(tmp_path, prefect_server):
    routes = {"/sitemap.xml": lambda query: (200, "application/xml", b"<html><body>not a sitemap")}
    with RouteServer(routes) as server:
        sitemap = f"{server.base_url}/sitemap.xml"  # on 127.0.0.1: allowed by --allow-private-hosts
        result = newsarchive("run", "--sitemap", sitemap, "--allow-private-hosts", "--data-dir", str(tmp_path / "d"))
    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: "), result.stderr
    assert len(result.stderr.strip().splitlines()) == 2, result.stderr
    assert "Nothing new" not in result.stdout


def test_a_run_whose_every_capture_failed_transiently_exits_non_zero(tmp_path, prefect_server):
    data_dir = tmp_path / "data"
    with FaultServer() as server:
        urls = tmp_path / "urls.txt"
        urls.write_text(f"{server.base_url}/always/500/story\n")
        result = newsarchive("run", "--urls", str(urls), "--allow-private-hosts", "--data-dir", str(data_dir))
    assert result.returncode == 1, result.stdout
    assert "http_500" in result.stdout  # the summary is printed first
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: every capture failed with an error worth another try (http_500 1); run again later to retry them"
    )
    (run,) = sql_rows(data_dir, "SELECT status, capture_count FROM runs")
    assert run == {"status": "failed", "capture_count": 1}


def test_the_printed_duration_is_the_time_the_user_waited(tmp_path, prefect_server):
    started = time.monotonic()
    result = newsarchive("run", "--data-dir", str(tmp_path / "data"))
    waited = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    printed = float(re.search(r"captures in ([\d.]+) s", result.stdout).group(1))
    # The process's whole life (imports, flow start, loads), not only the flow's middle: at most
    # what the test measured around the subprocess, and most of it.
    assert waited / 2 <= printed <= waited + 0.1
