"""`newsarchive prefect-server start|status|stop`, and runs that reuse the kept server."""

from __future__ import annotations

import json
import os

import httpx

from tests.support.cli import newsarchive


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
