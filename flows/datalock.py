"""One writer per data directory: the lock `newsarchive run`, `reprocess`, `load` and `compact`
hold while they write, so that two of them never both write the same dataset (both would find the
same captures to do, and Parquet and the ledger would hold them twice).

The lock is an advisory `flock` on `<data-dir>/newsarchive.lock`. The kernel drops it when the
process ends, however it ends (kill -9 included): a killed run never leaves it behind. The file
itself stays; it holds who has the lock (pid, run id, command, start time) so that the process
turned away can say which run holds it, in one line. Readers (`sql`, `search`, `stats`, `export`)
take no lock.

Whoever takes the lock first also removes the hidden temp files (`.<name>.<hex>.tmp`) that a
killed writer left in the local Parquet dataset (warehouse/storage.py writes every file through
one): while it holds the lock, no other writer can be writing them.

Within one process the lock is counted (the CLI takes it before the flow, the flow's writer takes
it again): it is released when the last holder lets go.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger("newsarchive")

LOCK_FILE = "newsarchive.lock"
# warehouse/storage.py's temp files: `.` + the final name + `.` + 12 hex digits + `.tmp`.
TEMP_FILE = re.compile(r"^\..+\.[0-9a-f]{12}\.tmp$")
_READ_ATTEMPTS = 10  # the holder may be writing its details just now: read again, 50 ms apart


class DataDirBusy(Exception):
    """Another process writes to the data directory; the message names it."""


@dataclass
class _Held:
    fd: int
    details: dict
    count: int = 1


_held: dict[Path, _Held] = {}


def _key(data_dir: Path | str) -> Path:
    return Path(data_dir).resolve()


def acquire(
    data_dir: Path | str,
    command: str,
    *,
    run_id: str | None = None,
    parquet_root: str | None = None,
    wait_s: float = 0.0,
) -> None:
    """Take the data directory's lock for `command` (`run`, `load`, ...), waiting up to `wait_s`
    for it, or raise DataDirBusy naming the holder. Counted within this process. `parquet_root`:
    the local Parquet dataset whose stale temp files to remove (default `<data-dir>/parquet`)."""
    key = _key(data_dir)
    if key in _held:
        _held[key].count += 1
        if run_id:
            note_run(key, run_id)
        return
    key.mkdir(parents=True, exist_ok=True)
    fd = os.open(key / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    if not _lock(fd, wait_s):
        os.close(fd)
        raise DataDirBusy(f"data directory {data_dir} is in use by {describe(_holder(key))}")
    details = {"pid": os.getpid(), "command": command, "run_id": run_id, "started_at": time.time()}
    _held[key] = _Held(fd, details)
    _write(_held[key])
    if parquet_root is None or "://" not in parquet_root:  # object storage: not swept here
        remove_stale_temp_files(Path(parquet_root) if parquet_root else key / "parquet")


def _lock(fd: int, wait_s: float) -> bool:
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))


def release(data_dir: Path | str) -> None:
    """Let go of the lock once (the last release unlocks it)."""
    key = _key(data_dir)
    held = _held.get(key)
    if held is None:
        return
    held.count -= 1
    if held.count == 0:
        del _held[key]
        os.close(held.fd)  # closing the descriptor drops the flock


@contextmanager
def holding(data_dir: Path | str, command: str, *, parquet_root: str | None = None) -> Iterator[None]:
    acquire(data_dir, command, parquet_root=parquet_root)
    try:
        yield
    finally:
        release(data_dir)


def holds(data_dir: Path | str) -> bool:
    """Whether this process holds the data directory's lock."""
    return _key(data_dir) in _held


def note_run(data_dir: Path | str, run_id: str) -> None:
    """Record the run id of the run this process is doing (known once its flow has started)."""
    held = _held.get(_key(data_dir))
    if held is not None and held.details.get("run_id") != run_id:
        held.details["run_id"] = run_id
        _write(held)


def _write(held: _Held) -> None:
    data = json.dumps(held.details).encode("utf-8")
    os.ftruncate(held.fd, 0)
    os.pwrite(held.fd, data, 0)


def _holder(key: Path) -> dict:
    """The holder's details as it wrote them ({} when they cannot be read)."""
    for _ in range(_READ_ATTEMPTS):
        try:
            details = json.loads((key / LOCK_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            time.sleep(0.05)
            continue
        if isinstance(details, dict):
            return details
    return {}


def describe(details: dict) -> str:
    """`run 20261202T043000Z-ab12cd (`newsarchive run`, pid 4242, started 2026-12-02 04:30:00 UTC)`,
    or without a run id yet `` `newsarchive load` (pid 4242, started ...)``."""
    if not details:
        return "another newsarchive process (its details could not be read)"
    started = datetime.fromtimestamp(float(details.get("started_at", 0)), UTC).strftime("%Y-%m-%d %H:%M:%S")
    command, pid = f"`newsarchive {details.get('command')}`", details.get("pid")
    if details.get("run_id"):
        return f"run {details['run_id']} ({command}, pid {pid}, started {started} UTC)"
    return f"{command} (pid {pid}, started {started} UTC)"


def remove_stale_temp_files(parquet_root: Path) -> list[Path]:
    """Remove the temp files a killed writer left under a local Parquet dataset; returns them.
    Only the lock's holder may call it (no other writer can be mid-write)."""
    if not parquet_root.is_dir():
        return []
    removed = []
    for path in parquet_root.rglob(".*.tmp"):
        if TEMP_FILE.match(path.name) and path.is_file():
            path.unlink(missing_ok=True)
            removed.append(path)
    if removed:
        log.info("removed %d temp files a stopped writer left in %s", len(removed), parquet_root)
    return removed
