"""URL list files: one URL per line, archived (a replay URL) or live.

An archived line (`https://web.archive.org/web/<timestamp>/<url>`, pywb
`http://host/<coll>/<timestamp>/<url>`) is fetched raw, in the `id_` form, whatever replay
modifier it had; how a replay URL is written is one rule in `transforms/urls.py`. A line that
cannot be used becomes a `Rejection(reason="invalid_url")` naming its line number: not an
http(s) URL, credentials in it (`user:password@`), control characters, or longer than
`MAX_URL_LENGTH` (a line is never read whole past that). A host written as a number in any
spelling (`2130706433`) is a URL: the fetcher decides whether its address may be reached.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from flows.acquire.addresses import literal_address
from flows.acquire.archive import parse_timestamp
from flows.acquire.captures import CaptureRef, SourceError, archived_ref, url_problem
from transforms.records import Rejection
from transforms.urls import parse_replay_url

MAX_URL_LENGTH = 8192  # browsers and servers give up near here; a longer line is hostile or broken


def usable_url_problem(url: str) -> str | None:
    """Why `url` (from a URL list or a sitemap) is not to be fetched, or None: `url_problem`
    (captures.py) plus length, control characters and credentials."""
    if len(url) > MAX_URL_LENGTH:
        return f"{len(url)} characters long (at most {MAX_URL_LENGTH})"
    if any(unicodedata.category(ch) == "Cc" for ch in url):
        return "contains control characters"
    problem = url_problem(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return problem
    if problem and problem.startswith("host ") and literal_address(parts.hostname or "") is not None:
        problem = None  # 2130706433 is an address; the fetcher's address policy judges it
    if problem is None and (parts.username is not None or parts.password is not None):
        return "contains credentials (user:password@): not fetched"
    return problem


def parse_url_line(line: str, *, source: str = "urls") -> CaptureRef | str:
    """One URL (archived or live) to a ref, or the reason it is not usable."""
    url = line.strip()
    problem = usable_url_problem(url)
    if problem:
        return problem
    replay = parse_replay_url(url)
    if replay is not None:
        problem = usable_url_problem(replay.original)
        if problem:
            return f"archived URL whose original {replay.original!r} is unusable: {problem}"
        if len(replay.timestamp) == 14 and parse_timestamp(replay.timestamp) is None:
            return f"archived URL with an impossible timestamp {replay.timestamp}"
        return archived_ref(replay.prefix, replay.timestamp, replay.original, source=source)
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
        for line_number, line in enumerate(_bounded_lines(handle), start=1):
            text = line.strip().lstrip("\ufeff")
            if not text or text.startswith("#"):
                continue
            parsed = parse_url_line(text)
            if isinstance(parsed, str):
                yield Rejection(url=text, reason="invalid_url", detail=f"{path.name} line {line_number}: {parsed}")
            else:
                yield parsed


def _bounded_lines(handle: TextIO) -> Iterator[str]:
    """The file's lines, each cut after MAX_URL_LENGTH + 2 characters (the rest of an endless
    line is skipped in pieces, never held whole)."""
    limit = MAX_URL_LENGTH + 2
    while True:
        line = handle.readline(limit)
        if not line:
            return
        if len(line) == limit and not line.endswith("\n"):
            rest = line
            while rest and not rest.endswith("\n"):
                rest = handle.readline(limit)
        yield line
