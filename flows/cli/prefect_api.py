"""The Prefect API a `newsarchive run` talks to.

With PREFECT_API_URL (or a Prefect profile's api.url), that server. Otherwise a temporary
server for this run, like the one Prefect starts by itself, but in a session of its own: Ctrl-C
in a terminal goes to every process of the terminal's foreground group, and a server that died
with the run's first Ctrl-C would leave the run unable to finish cleanly (it would retry its API
calls for minutes).
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import prefect
from prefect.server.api.server import SubprocessASGIServer
from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings


class _OwnSessionServer(SubprocessASGIServer):
    """Prefect's temporary server, started with `start_new_session` (signals sent to the
    terminal's process group do not reach it)."""

    def _run_uvicorn_command(self) -> subprocess.Popen[Any]:
        # Prefect 3.9's command (prefect/server/api/server.py), plus start_new_session.
        server_env = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        return subprocess.Popen(
            args=[
                sys.executable,
                "-m",
                "uvicorn",
                "--app-dir",
                str(prefect.__module_path__.parent),
                "--factory",
                "prefect.server.api.server:create_app",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "error",
                "--lifespan",
                "on",
            ],
            env={
                **os.environ,
                **server_env,
                **get_current_settings().to_environment_variables(exclude_unset=True),
            },
            start_new_session=True,
        )


def configured_api_url() -> str | None:
    return os.environ.get("PREFECT_API_URL") or get_current_settings().api.url


@contextmanager
def prefect_api() -> Iterator[str]:
    """The API URL the run's flows use, with a temporary server of the run's own if none is
    configured (stopped when the block ends)."""
    url = configured_api_url()
    if url:
        yield url
        return
    server = _OwnSessionServer()
    server.start(timeout=int(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")))
    try:
        with temporary_settings(updates={PREFECT_API_URL: server.api_url}):
            yield server.api_url
    finally:
        server.stop()
