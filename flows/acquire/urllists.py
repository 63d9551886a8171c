"""URL list files: one URL per line, archived (a replay URL) or live.

An archived line (`https://web.archive.org/web/<timestamp>/<url>`, pywb
`http://host/<coll>/<timestamp>/<url>`) is fetched raw, in the `id_` form, whatever replay
modifier it had; how a replay URL is written is one rule in `transforms/urls.py`. A line that
cannot be used becomes a `Rejection(reason="invalid_url")` naming its line number.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from flows.acquire.archive import parse_timestamp
from flows.acquire.captures import CaptureRef, SourceError, archived_ref, url_problem
from transforms.records import Rejection
from transforms.urls import parse_replay_url


def parse_url_line(line: str, *, source: str = "urls") -> CaptureRef | str:
    """One URL (archived or live) to a ref, or the reason it is not usable."""
    url = line.strip()
    replay = parse_replay_url(url)
    if replay is not None:
        problem = url_problem(replay.original)
        if problem:
            return f"archived URL whose original {replay.original!r} is unusable: {problem}"
        if len(replay.timestamp) == 14 and parse_timestamp(replay.timestamp) is None:
            return f"archived URL with an impossible timestamp {replay.timestamp}"
        return archived_ref(replay.prefix, replay.timestamp, replay.original, source=source)
    problem = url_problem(url)
    if problem:
        return problem
    return CaptureRef(url=url, source=source)


def read_url_list(path: str | Path) -> Iterator[CaptureRef | Rejection]:
    """The refs of a URL list file. Blank lines and `#` comments are skipped; any other
    unusable line becomes a `Rejection`. A missing or unreadable file raises SourceError."""
    path = Path(path)
    try:
        handle = path.open("r", encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise SourceError(f"URL list not found: {path}") from None
    except OSError as error:
        raise SourceError(f"cannot read URL list {path}: {error.strerror or error}") from None
    with handle:
        for line_number, line in enumerate(handle, start=1):
            text = line.strip().lstrip("\ufeff")
            if not text or text.startswith("#"):
                continue
            parsed = parse_url_line(text)
            if isinstance(parsed, str):
                yield Rejection(url=text, reason="invalid_url", detail=f"{path.name} line {line_number}: {parsed}")
            else:
                yield parsed
