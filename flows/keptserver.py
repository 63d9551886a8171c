"""A local Prefect server in a process of its own, watched: the server `newsarchive prefect-server
start` keeps, and the temporary one a run starts when it has no other (flows/cli/prefect_api.py).

    python -m flows.keptserver --port PORT [--idle-minutes N] [--exit-with PID] [--state-file PATH]

Prefect's API app (`prefect.server.api.server.create_app`, the app of Prefect's own temporary
server) under uvicorn, with two watches, checked every few seconds:

    --idle-minutes N   stop after N minutes in which no client called the API (health checks
                       aside) and no connection stayed open (a run keeps its events connection
                       open while it lasts); 0: never
    --exit-with PID    stop when that process is gone: a run's temporary server does not outlive
                       the run, even one killed with SIGKILL

On its way out (idle, or SIGTERM from `prefect-server stop`) it removes --state-file if the file
still names this process. The module imports nothing heavy until `main` runs.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import psutil

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

WATCH_EVERY_S = 2.0


class ActivityMonitor:
    """ASGI middleware: when a client last called the API, and how many calls and websocket
    connections are open now. Health checks do not count (`prefect-server status` makes them)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.last_active = time.monotonic()
        self.open_count = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket") or str(scope.get("path", "")).endswith("/health"):
            await self.app(scope, receive, send)
            return
        self.open_count += 1
        self.last_active = time.monotonic()
        try:
            await self.app(scope, receive, send)
        finally:
            self.open_count -= 1
            self.last_active = time.monotonic()

    def idle_for(self) -> float:
        """Seconds without a client (0 while one is connected)."""
        return 0.0 if self.open_count else time.monotonic() - self.last_active


class _Watch:
    """The watches, in a thread started before the seconds of imports: a parent that dies while
    the server is still importing ends it too."""

    def __init__(self, idle_s: float, exit_with: int | None) -> None:
        self.idle_s, self.exit_with = idle_s, exit_with
        self.server: Any = None  # uvicorn.Server, once made
        self.monitor: ActivityMonitor | None = None

    def run(self) -> None:
        idle_from = None  # the idle time counts from the moment the server answers
        while self.server is None or not self.server.should_exit:
            time.sleep(WATCH_EVERY_S)
            parent_gone = self.exit_with is not None and not psutil.pid_exists(self.exit_with)
            if self.server is None or self.monitor is None:
                if parent_gone:
                    os._exit(0)  # still importing: nothing to shut down
                continue
            if idle_from is None and self.server.started:
                idle_from = self.monitor.last_active = time.monotonic()
            idle = idle_from is not None and self.idle_s > 0 and self.monitor.idle_for() > self.idle_s
            if parent_gone or idle:
                self.server.should_exit = True


def _forget(state_file: Path | None) -> None:
    """Remove the state file when it names this process (a newer server may have replaced it)."""
    if state_file is None:
        return
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if isinstance(state, dict) and state.get("pid") == os.getpid():
        state_file.unlink(missing_ok=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m flows.keptserver", description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--idle-minutes", type=float, default=0.0)
    parser.add_argument("--exit-with", type=int, default=None)
    parser.add_argument("--state-file", type=Path, default=None)
    args = parser.parse_args(argv)
    # A terminal's Ctrl-C reaches the whole foreground group; this server is in a session of its
    # own, and stops on SIGTERM (uvicorn's graceful shutdown).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    watch = _Watch(args.idle_minutes * 60, args.exit_with)
    threading.Thread(target=watch.run, daemon=True, name="keptserver-watch").start()

    import uvicorn
    from prefect.server.api.server import create_app

    watch.monitor = monitor = ActivityMonitor(create_app())
    config = uvicorn.Config(monitor, host="127.0.0.1", port=args.port, log_level="error", lifespan="on")
    watch.server = server = uvicorn.Server(config)
    try:
        server.run()
    finally:
        _forget(args.state_file)


if __name__ == "__main__":
    main()
