"""How far the run in this process has got, for whatever displays it (`newsarchive run`).

The ingest flow publishes a `RunProgress` each time the writer takes a batch's results; a
display subscribes. Nothing subscribes in scheduled or deployed runs, and then this costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RunProgress:
    done_count: int  # captures processed (written or about to be)
    total_count: int | None  # captures the run will process, once its input has all been read
    article_count: int
    rejection_count: int
    skipped_count: int  # already done before the run


Listener = Callable[[RunProgress], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> None:
    _listeners.append(listener)


def unsubscribe(listener: Listener) -> None:
    if listener in _listeners:
        _listeners.remove(listener)


def publish(progress: RunProgress) -> None:
    for listener in list(_listeners):
        listener(progress)
