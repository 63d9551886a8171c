"""`newsarchive prefect-server start|status|stop`, runs that reuse the kept server, its idle
timeout, and a run's temporary server that goes with its run."""

from __future__ import annotations

import json
import os
import signal
import time

import httpx
import psutil

from tests.support.cli import newsarchive, start_newsarchive


def test_a_kept_server_is_reused_by_runs_until_stopped(tmp_path, prefect_home):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(prefect_home)
    started = newsarchive("prefect-server", "start", env=env)
    try:
        assert started.returncode == 0, started.stderr
        state = json.loads((prefect_home / "newsarchive-server.json").read_text())
        assert started.stdout.startswith(f"Prefect server running at {state['api_url']} (pid {state['pid']})")
        again = newsarchive("prefect-server", "start", env=env)  # one server, not two
        assert again.stdout == started.stdout
        run = newsarchive("run", "--data-dir", str(tmp_path / "data"), env=env)
        assert run.returncode == 0, run.stderr
        # The run's flows are on the kept server: it did not start one of its own.
        flow_runs = httpx.post(f"{state['api_url']}/flow_runs/filter", json={}, timeout=30).json()
        assert "ingest-sample" in {flow_run["name"] for flow_run in flow_runs}
    finally:
        stopped = newsarchive("prefect-server", "stop", env=env)
    assert stopped.stdout.strip() == f"Stopped the Prefect server (pid {state['pid']})."
    status = newsarchive("prefect-server", "status", env=env)
    assert status.stdout.strip() == "No kept Prefect server: runs start a temporary one."
    assert not (prefect_home / "newsarchive-server.json").exists()


def _wait_until_gone(pid: int, timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.5)
    return False


def test_a_kept_server_stops_by_itself_after_its_idle_minutes_but_not_during_a_run(tmp_path, prefect_home):
    """--idle-minutes 0.5 (30 s): a sample run that lasts longer keeps it up (it is the run's
    server to the end), and 30 s after the run it is gone, its state file with it."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(prefect_home)
    started = newsarchive("prefect-server", "start", "--idle-minutes", "0.5", env=env)
    assert started.returncode == 0, started.stderr
    assert "stopping after 0.5 minutes without a run" in started.stdout
    state = json.loads((prefect_home / "newsarchive-server.json").read_text())
    try:
        run = newsarchive("run", "--data-dir", str(tmp_path / "data"), env=env)
        assert run.returncode == 0, run.stderr
        flow_runs = httpx.post(f"{state['api_url']}/flow_runs/filter", json={}, timeout=30).json()
        assert "ingest-sample" in {flow_run["name"] for flow_run in flow_runs}  # reused to the end
        assert _wait_until_gone(state["pid"], timeout_s=120)
    finally:
        newsarchive("prefect-server", "stop", env=env)
    assert not (prefect_home / "newsarchive-server.json").exists()
    status = newsarchive("prefect-server", "status", env=env)
    assert status.stdout.strip() == "No kept Prefect server: runs start a temporary one."


def test_a_runs_temporary_server_does_not_outlive_a_run_killed_outright(tmp_path, prefect_home):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(prefect_home)
    process = start_newsarchive("run", "--data-dir", str(tmp_path / "data"), env=env)
    deadline = time.monotonic() + 180
    servers: list[psutil.Process] = []
    while not servers and time.monotonic() < deadline and process.poll() is None:
        servers = [
            child
            for child in psutil.Process(process.pid).children(recursive=True)
            if "flows.keptserver" in " ".join(child.cmdline())
        ]
        time.sleep(0.2)
    assert servers, "the run started no temporary server"
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert _wait_until_gone(servers[0].pid, timeout_s=60)
