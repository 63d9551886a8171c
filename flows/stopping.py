"""Stopping a run cleanly on Ctrl-C (SIGINT) or SIGTERM.

`newsarchive run` installs `install_handlers`: the first signal only sets `STOP`; the flow then
submits no new batch, each running task stops after the captures it has in hand
(flows/tasks.py), the writer writes what came back and the run is recorded as `interrupted`.
A second signal exits at once. Prefect replaces the SIGTERM handler while a flow runs; the
ingest flow calls `reclaim_sigterm` so the handler installed here stays in charge.

Before that, from the first line of `flows.cli` (while Python imports Prefect, DuckDB and the
rest for seconds) `exit_at_once` is in charge: one line, exit status 130 (143), no traceback;
nothing has been written yet. `newsarchive run` puts it back once the run has ended, so a signal
during the process's last moments is one line too.

Scheduled and deployed runs (no handlers installed here) keep Prefect's own behaviour.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

STOP = threading.Event()
# Exit statuses of a run stopped by a signal, as shells report them (128 + the signal's number).
EXIT_STATUS = {signal.SIGINT: 130, signal.SIGTERM: 143}

_received: list[int] = []  # signal numbers, in order
_handler: Callable[[int, FrameType | None], None] | None = None


def requested() -> bool:
    """True once a stop was asked for (by a signal here, or `request_stop`)."""
    return STOP.is_set()


def stop_signal() -> int | None:
    """The first signal received, or None."""
    return _received[0] if _received else None


def request_stop(signum: int = signal.SIGINT) -> None:
    _received.append(signum)
    STOP.set()


def exit_at_once(message: str = "stopped before anything was written.") -> None:
    """Handle SIGINT and SIGTERM by printing `<Ctrl-C|SIGTERM>: <message>` and exiting at once
    with the signal's status: for the moments when there is nothing to finish or to clean up."""

    def handle(signum: int, frame: FrameType | None) -> None:
        sys.stderr.write(f"\n{signal_name(signum)}: {message}\n")
        sys.stderr.flush()
        os._exit(EXIT_STATUS.get(signal.Signals(signum), 128 + signum))

    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def restore_defaults() -> None:
    """Python's own handling again: SIGINT raises KeyboardInterrupt (click prints `Aborted!`),
    SIGTERM ends the process. For commands that clean up as the exception unwinds."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def signal_name(signum: int) -> str:
    """How the one line names the signal: `Ctrl-C` for SIGINT, else its name (`SIGTERM`)."""
    return "Ctrl-C" if signum == signal.SIGINT else signal.Signals(signum).name


def install_handlers(on_first: Callable[[int], None]) -> None:
    """Handle SIGINT and SIGTERM in this (the main) thread: the first calls `on_first(signum)`
    and sets STOP; a second one exits at once with the signal's status."""
    global _handler

    def handle(signum: int, frame: FrameType | None) -> None:
        if STOP.is_set():
            sys.stderr.write("Stopped without waiting.\n")
            sys.stderr.flush()
            os._exit(EXIT_STATUS.get(signal.Signals(signum), 128 + signum))
        request_stop(signum)
        on_first(signum)

    _handler = handle
    signal.signal(signal.SIGINT, handle)
    signal.signal(signal.SIGTERM, handle)


def reclaim_sigterm() -> None:
    """Inside a flow: put back the SIGTERM handler `install_handlers` installed (Prefect swaps
    in its own while a flow runs and restores ours when the flow ends). No-op elsewhere."""
    if _handler is None or threading.current_thread() is not threading.main_thread():
        return
    signal.signal(signal.SIGTERM, _handler)
