"""How far the run in this process has got, for whatever displays it (`newsarchive run`).

The ingest flow publishes a `RunProgress` each time the writer takes a batch's results; a
display subscribes. Nothing subscribes in scheduled or deployed runs, and then this costs nothing.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class RunProgress:
    done_count: int  # captures processed (written or about to be)
    total_count: int | None  # captures the run will process, once its input has all been read
    article_count: int
    rejection_count: int
    skipped_count: int  # already done before the run


Listener = Callable[[RunProgress], None]
_listeners: list[Listener] = []
_processed_count = 0  # captures finished by this process's tasks (fetched, or extracted), written or not
_processed_lock = threading.Lock()


def note_processed(count: int = 1) -> None:
    """Called by tasks as captures finish, so a display moves within a long batch (a fetch batch
    takes minutes at an archive's rate limit); tasks on Dask workers count in their own process."""
    global _processed_count
    with _processed_lock:
        _processed_count += count


def with_processed(state: RunProgress) -> RunProgress:
    """`state` with the captures finished in tasks but not yet written counted as done."""
    return replace(state, done_count=max(state.done_count, _processed_count))


def subscribe(listener: Listener) -> None:
    _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def publish(progress: RunProgress) -> None:
    for listener in list(_listeners):
        listener(progress)
