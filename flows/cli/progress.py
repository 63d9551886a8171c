"""The progress `newsarchive run` shows on stderr while the flow runs (flows/progress.py).

On a terminal, a live line drawn by rich: captures done / total (once known), rate, time left,
articles and rejections so far; it disappears when the run ends. Elsewhere (logs, CI), a plain
line every PLAIN_EVERY_S seconds while something changed. `-q`: nothing.
"""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import Any

from flows import progress
from flows.progress import RunProgress

PLAIN_EVERY_S = 5.0


def plain_line(state: RunProgress, elapsed_s: float) -> str:
    """'120/600 captures, 14.2/s, 0:34 left, 98 articles, 22 rejections'."""
    done = f"{state.done_count}/{state.total_count}" if state.total_count else f"{state.done_count}"
    parts = [f"{done} captures"]
    rate = state.done_count / elapsed_s if elapsed_s > 0 else 0.0
    if rate > 0:
        parts.append(f"{rate:.1f}/s")
        if state.total_count:
            left = max(0, state.total_count - state.done_count) / rate
            parts.append(f"{int(left // 60)}:{int(left % 60):02d} left")
    parts += [f"{state.article_count} articles", f"{state.rejection_count} rejections"]
    return ", ".join(parts)


class ProgressDisplay:
    """Subscribes to the run's progress for the length of a `with` block. `mode`: 'live'
    (rich), 'plain' or 'off'; `close()` ends it early (a stopped run prints its own line)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.started = time.monotonic()
        self.latest: RunProgress | None = None
        self.printed: RunProgress | None = None
        self.closed = threading.Event()
        self._live: Any = None
        self._task: Any = None
        self._thread: threading.Thread | None = None

    @staticmethod
    def mode_for(*, quiet: bool, verbose: bool) -> str:
        """Off with -q; plain lines with -v (they mix with its log lines) or off a terminal."""
        if quiet:
            return "off"
        return "live" if sys.stderr.isatty() and not verbose else "plain"

    def __enter__(self) -> ProgressDisplay:
        if self.mode == "off":
            return self
        progress.subscribe(self.update)
        if self.mode == "live":
            self._start_live()
        self._thread = threading.Thread(target=self._tick, name="progress", daemon=True)
        self._thread.start()
        return self

    def _start_live(self) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._live = Progress(
            TextColumn("captures"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeRemainingColumn(),
            TextColumn("{task.fields[articles]} articles, {task.fields[rejections]} rejections"),
            console=Console(stderr=True),
            transient=True,
        )
        self._task = self._live.add_task("run", total=None, rate="", articles=0, rejections=0)
        self._live.start()

    def update(self, state: RunProgress) -> None:
        self.latest = state

    def current(self) -> RunProgress:
        """The latest state published, with the captures finished in tasks since."""
        return progress.with_processed(self.latest or RunProgress(0, None, 0, 0, 0))

    def _tick(self) -> None:
        """Redraw the live line twice a second; print a plain line every PLAIN_EVERY_S seconds
        when something changed."""
        every = 0.5 if self._live is not None else PLAIN_EVERY_S
        while not self.closed.wait(every):
            state, elapsed = self.current(), time.monotonic() - self.started
            if self._live is not None:
                rate = f"{state.done_count / elapsed:.1f}/s" if elapsed > 0 and state.done_count else ""
                self._live.update(
                    self._task,
                    completed=state.done_count,
                    total=state.total_count,
                    rate=rate,
                    articles=state.article_count,
                    rejections=state.rejection_count,
                )
            elif state != self.printed and state.done_count:
                self.printed = state
                sys.stderr.write(plain_line(state, elapsed) + "\n")
                sys.stderr.flush()

    def close(self) -> None:
        if self.closed.is_set():
            return
        self.closed.set()
        progress.unsubscribe(self.update)
        if self._live is not None:
            self._live.stop()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()
