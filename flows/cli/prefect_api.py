"""The Prefect API a `newsarchive run` talks to.

With PREFECT_API_URL (or a Prefect profile's api.url), that server. Otherwise the local server
`newsarchive prefect-server start` keeps (reused by every run until `prefect-server stop`, or
until it has had no run for its idle minutes: a run then skips the server's start, 10-20 s on a
busy machine). Otherwise a temporary server for this run. Both are flows/keptserver.py (Prefect's
own API app, watched) in a session of their own: Ctrl-C in a terminal goes to every process of
the terminal's foreground group, and a server that died with the run's first Ctrl-C would leave
the run unable to finish cleanly (it would retry its API calls for minutes). The temporary one
stops when its run's process is gone, even one killed outright.

This module does not import Prefect's server (seconds of imports): the server process does.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psutil
from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings

STATE_FILE = "newsarchive-server.json"  # in PREFECT_HOME: the kept server's pid and URL
STARTUP_TIMEOUT_S = 120
# The kept server stops itself after this many minutes without a run (flows/keptserver.py).
DEFAULT_IDLE_MINUTES = 30.0


def _server_command(
    port: int, *, idle_minutes: float = 0.0, exit_with: int | None = None, state_file: Path | None = None
) -> tuple[list[str], dict[str, str]]:
    """The server's command (flows/keptserver.py: Prefect's API app under uvicorn, watched) and
    environment (Prefect 3.9's temporary server's: no UI, an ephemeral database setup)."""
    args = [sys.executable, "-m", "flows.keptserver", "--port", str(port), "--idle-minutes", str(idle_minutes)]
    if exit_with is not None:
        args += ["--exit-with", str(exit_with)]
    if state_file is not None:
        args += ["--state-file", str(state_file)]
    server_env = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    env = {**os.environ, **server_env, **get_current_settings().to_environment_variables(exclude_unset=True)}
    return args, env


def _start_server(args: list[str], env: dict[str, str], api_url: str, log_path: Path) -> subprocess.Popen:
    """Start the server in a session of its own (a terminal's Ctrl-C does not reach it) and wait
    until it answers; RuntimeError when it does not."""
    with open(log_path, "ab") as log:  # the child keeps its own descriptor
        process = subprocess.Popen(
            args, env=env, start_new_session=True, stdin=subprocess.DEVNULL, stdout=log, stderr=log
        )
    timeout_s = float(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", STARTUP_TIMEOUT_S))
    deadline = time.monotonic() + timeout_s
    while not _healthy(api_url, timeout_s=1.0):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the Prefect server did not start; see {log_path}")
        time.sleep(0.2)
    return process


def configured_api_url() -> str | None:
    return os.environ.get("PREFECT_API_URL") or get_current_settings().api.url


def state_path() -> Path:
    return Path(get_current_settings().home) / STATE_FILE


def _healthy(api_url: str, timeout_s: float = 2.0) -> bool:
    try:
        return httpx.get(f"{api_url}/health", timeout=timeout_s).status_code == 200
    except httpx.HTTPError:
        return False


def kept_server() -> dict[str, Any] | None:
    """The kept server's state (pid, api_url, started_at) when it is running and answers."""
    try:
        state = json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    # Its process is alive: give it time to answer (a busy machine can take seconds), rather
    # than start a second server beside it.
    if not psutil.pid_exists(int(state["pid"])) or not _healthy(state["api_url"], timeout_s=15.0):
        return None
    return dict(state)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_kept_server(idle_minutes: float = DEFAULT_IDLE_MINUTES) -> dict[str, Any]:
    """Start a server that outlives this process (its own session, its log in PREFECT_HOME)
    and stops itself after `idle_minutes` without a run (0: never), or return the one already
    running."""
    running = kept_server()
    if running is not None:
        return running
    port = _free_port()
    home = state_path().parent
    home.mkdir(parents=True, exist_ok=True)
    args, env = _server_command(port, idle_minutes=idle_minutes, state_file=state_path())
    api_url = f"http://127.0.0.1:{port}/api"
    process = _start_server(args, env, api_url, home / "newsarchive-server.log")
    state: dict[str, Any] = {
        "pid": process.pid,
        "api_url": api_url,
        "started_at": time.time(),
        "idle_minutes": idle_minutes,
    }
    state_path().write_text(json.dumps(state), encoding="utf-8")
    return state


def stop_kept_server() -> int | None:
    """Stop the kept server; returns its pid, or None when none was running."""
    try:
        state = json.loads(state_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pid = int(state["pid"])
    state_path().unlink(missing_ok=True)
    if not psutil.pid_exists(pid):
        return None
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if psutil.pid_exists(pid):
        os.kill(pid, signal.SIGKILL)
    return pid


@contextmanager
def prefect_api() -> Iterator[str]:
    """The API URL the run's flows use: the configured one, the kept server's, or a temporary
    server of the run's own (stopped when the block ends)."""
    url = configured_api_url()
    if url:
        yield url
        return
    kept = kept_server()
    if kept is not None:
        with temporary_settings(updates={PREFECT_API_URL: kept["api_url"]}):
            yield kept["api_url"]
        return
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    args, env = _server_command(port, exit_with=os.getpid())  # gone with this process, however it ends
    # Its output goes to a log, not to the run's stdout/stderr (a pipe the caller reads to its end).
    home = state_path().parent
    home.mkdir(parents=True, exist_ok=True)
    process = _start_server(args, env, api_url, home / "newsarchive-temporary-server.log")
    try:
        with temporary_settings(updates={PREFECT_API_URL: api_url}):
            yield api_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
