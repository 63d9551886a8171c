"""A guard process: run one call in another process and kill it when its deadline passes.

SIGALRM bounds a page's extraction only in the main thread of a process (the extraction
pool's workers). Elsewhere (`--processes 1`, small WARC runs, Prefect and Dask worker threads)
a page that may be slow is extracted here instead: one persistent worker per process, started
on first use with `subprocess.Popen` (multiprocessing cannot start children in a daemonic Dask
worker), fed length-prefixed pickles over its stdin and answering on its stdout. The parent
waits for the answer with `select`; when the deadline passes it kills the worker (the next call
starts another) and the caller records the page as `extract_timeout`. Threads of one process
share the worker under a lock; the deadline counts from the moment a call has it.

The worker ignores Ctrl-C (the run stops itself), exits when its stdin closes (the parent
stopped it, or ended), and a watchdog thread ends it when its parent dies while it is busy.
`stop_guard` (also at exit) ends it, so no process is left behind a run.

`GUARD_MIN_BYTES` (flows/extraction.py) decides which pages come here; figures there.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import pickle
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any

log = logging.getLogger("newsarchive")

_HEADER_BYTES = 8
# The worker's start (imports, the warm-up call) is not the page's time; it has this long.
START_SECONDS = 120.0


class GuardUnavailable(Exception):
    """The worker could not be started (or its warm-up failed): run the call in this process."""


class GuardTimeout(Exception):
    """The call did not answer before its deadline; the worker was killed."""


class GuardDied(Exception):
    """The worker ended while running the call (a crash, the out-of-memory killer)."""


def _send(stream: IO[bytes], message: object) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(len(data).to_bytes(_HEADER_BYTES, "big") + data)
    stream.flush()


def _read_exactly(fd: int, size: int, deadline: float) -> bytes:
    """`size` bytes from `fd`, waiting at most until `deadline` (time.monotonic)."""
    chunks: list[bytes] = []
    left = size
    while left:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise GuardTimeout
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            raise GuardDied
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def _receive(fd: int, deadline: float) -> tuple[bool, Any]:
    """The worker's reply: (True, the call's value) or (False, the exception it raised)."""
    size = int.from_bytes(_read_exactly(fd, _HEADER_BYTES, deadline), "big")
    ok, value = pickle.loads(_read_exactly(fd, size, deadline))
    return ok, value


class Guard:
    """One worker process, started on first use and again after it was killed."""

    def __init__(self, warm_up: Callable[[], Any] | None = None):
        """`warm_up`: called once in each new worker before its first call (imports, tables)."""
        self.warm_up = warm_up
        self.lock = threading.Lock()
        self.process: subprocess.Popen | None = None
        self.unavailable = ""  # why the worker could not start: then it is not tried again

    def call(self, function: Callable[[Any], Any], argument: object, seconds: float) -> Any:
        """`function(argument)` in the worker, within `seconds`. Both must pickle (a module's
        function by name). Raises GuardTimeout, GuardDied, GuardUnavailable, or what the call raised."""
        with self.lock:
            process = self._started()
            assert process.stdin is not None and process.stdout is not None
            try:
                _send(process.stdin, (function, argument))
                ok, value = _receive(process.stdout.fileno(), time.monotonic() + seconds)
            except GuardTimeout:
                self._kill()
                raise
            except (GuardDied, BrokenPipeError):
                raise GuardDied(f"the guard process ended with status {self._kill()}") from None
            if not ok:
                raise value
            return value

    def _started(self) -> subprocess.Popen:
        if self.process is not None and self.process.poll() is None:
            return self.process
        if self.unavailable:
            raise GuardUnavailable(self.unavailable)
        try:
            return self._start()
        except GuardUnavailable as error:
            self.unavailable = str(error)
            log.info("no guard process (%s): pages are extracted without a time limit", error)
            raise

    def _start(self) -> subprocess.Popen:
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flows.extractguard", str(os.getpid())],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        except OSError as error:
            raise GuardUnavailable(str(error)) from error
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            _send(self.process.stdin, (_warm, self.warm_up))
            ok, value = _receive(self.process.stdout.fileno(), time.monotonic() + START_SECONDS)
        except (GuardTimeout, GuardDied, BrokenPipeError) as error:
            self._kill()
            raise GuardUnavailable(f"the guard process did not start ({type(error).__name__})") from error
        if not ok:
            self._kill()
            raise GuardUnavailable(f"the guard process's warm-up failed: {value!r}")
        return self.process

    def _kill(self) -> int | None:
        """Kill the worker; its exit status (negative: the signal), None if there was none."""
        process, self.process = self.process, None
        if process is None:
            return None
        exited = process.poll()
        if exited is None:
            process.kill()
        code = process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()
        return exited if exited is not None else code

    def stop(self, wait_seconds: float = 5.0) -> None:
        """End the worker: close its stdin (it exits), kill it if it does not in time."""
        with self.lock:
            process, self.process = self.process, None
        if process is None:
            return
        if process.stdin is not None:
            with contextlib.suppress(BrokenPipeError):  # it is gone already
                process.stdin.close()
        try:
            process.wait(timeout=wait_seconds)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _warm(warm_up: Callable[[], Any] | None) -> None:
    if warm_up is not None:
        warm_up()


def _watch_parent(parent_pid: int) -> None:
    """End this worker once its parent is gone, even in the middle of a long call."""
    while os.getppid() == parent_pid:
        time.sleep(1.0)
    os._exit(0)


def serve(reader: IO[bytes], writer: IO[bytes]) -> None:
    """The worker's loop: a call in, `(ok, value)` out, until stdin closes."""
    while True:
        header = reader.read(_HEADER_BYTES)
        if len(header) < _HEADER_BYTES:
            return
        function, argument = pickle.loads(reader.read(int.from_bytes(header, "big")))
        try:
            reply: tuple[bool, Any] = (True, function(argument))
        except Exception as error:  # handed to the caller, which raises it
            reply = (False, error)
        _send(writer, reply)


def main() -> None:
    from flows.extraction import quiet_extractor_logs

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    quiet_extractor_logs()
    parent_pid = int(sys.argv[1]) if len(sys.argv) > 1 else os.getppid()
    threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True).start()
    # Replies go on the real stdout; anything the called code prints goes to stderr instead.
    reader, writer = sys.stdin.buffer, os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    serve(reader, writer)


_guard: Guard | None = None
_guard_lock = threading.Lock()


def shared_guard(warm_up: Callable[[], Any] | None = None) -> Guard:
    """This process's guard (created on first use, stopped at exit)."""
    global _guard
    with _guard_lock:
        if _guard is None:
            _guard = Guard(warm_up)
            atexit.register(stop_guard)
        return _guard


def stop_guard() -> None:
    """Stop this process's guard worker, if one runs."""
    if _guard is not None:
        _guard.stop()


def guard_pid() -> int | None:
    """The worker's process id, if one runs (for tests)."""
    process = _guard.process if _guard is not None else None
    return process.pid if process is not None and process.poll() is None else None


if __name__ == "__main__":
    main()
