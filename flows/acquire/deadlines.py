"""A wall-clock deadline for each HTTP attempt, enforced while the socket waits.

Socket timeouts bound the wait for the next byte, not the whole answer: a server that sends
two bytes a second (headers or body) never trips them. Here, one watchdog thread shuts the
socket of an attempt down when its deadline passes or when the run is stopped (Ctrl-C), so a
read blocked in any layer (http.client, urllib3, chunked decoding) returns at once; the caller
then asks `Attempt.ended` why.

`attempt(deadline, stop)` opens one attempt in the calling thread; the connection classes of
`flows/acquire/addresses.py` hand the socket over (`watch_socket`) when they wait for the
response, whether the connection is new or came from the pool.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_POLL_SECONDS = 0.2  # how soon a stop request reaches a blocked read


class Attempt:
    """One request's deadline; `ended` says why the watchdog cut it ('timeout', 'stopped')."""

    __slots__ = ("deadline", "stop", "sock", "ended")

    def __init__(self, deadline: float, stop: threading.Event | None) -> None:
        self.deadline = deadline
        self.stop = stop
        self.sock: socket.socket | None = None
        self.ended: str | None = None


class _Watchdog:
    def __init__(self) -> None:
        self._attempts: set[Attempt] = set()
        self._wake = threading.Condition()
        self._thread: threading.Thread | None = None

    def add(self, attempt: Attempt) -> None:
        with self._wake:
            self._attempts.add(attempt)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="fetch-deadlines", daemon=True)
                self._thread.start()
            self._wake.notify()

    def remove(self, attempt: Attempt) -> None:
        with self._wake:
            self._attempts.discard(attempt)

    def _run(self) -> None:
        while True:
            with self._wake:
                if not self._attempts:
                    self._wake.wait()
                now = time.monotonic()
                for attempt in list(self._attempts):
                    reason = _expired(attempt, now)
                    if reason and attempt.sock is not None:
                        attempt.ended = reason
                        _shut(attempt.sock)
                        self._attempts.discard(attempt)
                soonest = min((a.deadline for a in self._attempts), default=now + _POLL_SECONDS)
                self._wake.wait(max(0.01, min(_POLL_SECONDS, soonest - now)))


def _expired(attempt: Attempt, now: float) -> str | None:
    if attempt.stop is not None and attempt.stop.is_set():
        return "stopped"
    if now >= attempt.deadline:
        return "timeout"
    return None


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):  # already closed by its owner: nothing left to unblock
        sock.shutdown(socket.SHUT_RDWR)


_WATCHDOG = _Watchdog()
_current = threading.local()


@contextmanager
def attempt(seconds: float, stop: threading.Event | None = None) -> Iterator[Attempt]:
    """The calling thread's next request must be over within `seconds` (or when `stop` is set)."""
    current = Attempt(time.monotonic() + seconds, stop)
    _current.attempt = current
    try:
        yield current
    finally:
        _current.attempt = None
        _WATCHDOG.remove(current)


def watch_socket(sock: socket.socket | None) -> None:
    """The socket the calling thread's attempt now reads from (no attempt open: nothing)."""
    current: Attempt | None = getattr(_current, "attempt", None)
    if current is None or sock is None:
        return
    current.sock = sock
    if _expired(current, time.monotonic()):
        current.ended = _expired(current, time.monotonic())
        _shut(sock)
        return
    _WATCHDOG.add(current)
