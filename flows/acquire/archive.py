"""Rules of Wayback-style archives, each written once: the default archive, its CDX API,
capture timestamps and the raw (`id_`) form a capture is fetched in.

A capture timestamp is `YYYY[MM[DD[hh[mm[ss]]]]]` (CDX `from`/`to` take any prefix of the
14 digits); the same rule serves `--from`/`--to`, `from`/`to` in newsarchive.toml and
deployments. How a replay URL is written (and read back) is a pure rule in
`transforms/urls.py` (`parse_replay_url`), which extraction shares.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from transforms.urls import parse_capture_timestamp as parse_timestamp

__all__ = [
    "WAYBACK_CDX",
    "WAYBACK_HOST",
    "WAYBACK_PREFIX",
    "check_timestamp",
    "is_wayback",
    "parse_timestamp",
    "raw_capture_url",
]

WAYBACK_HOST = "web.archive.org"
WAYBACK_PREFIX = f"https://{WAYBACK_HOST}/web"
WAYBACK_CDX = f"https://{WAYBACK_HOST}/cdx/search/cdx"

_TIMESTAMP = re.compile(r"^\d{4}(\d{2}){0,5}$")


def is_wayback(archive: str) -> bool:
    """True when an archive prefix is the Wayback Machine's (its CDX API pages and filters)."""
    return (urlsplit(archive).hostname or "").lower() == WAYBACK_HOST


def raw_capture_url(prefix: str, timestamp: str, original: str) -> str:
    """The URL of a capture's raw bytes (`id_`): what the archive stored, never the rewritten
    replay page. `{prefix}` is web.archive.org's `.../web` or a pywb collection's URL."""
    return f"{prefix.rstrip('/')}/{timestamp}id_/{original}"


def check_timestamp(value: str | None, name: str) -> str | None:
    """A `from`/`to` bound, stripped; ValueError naming `name` when it is not a real time."""
    if value is None:
        return None
    value = str(value).strip()
    if not _TIMESTAMP.match(value):
        raise ValueError(f"bad {name} {value!r}: expected YYYY[MM[DD[hh[mm[ss]]]]], e.g. 20190101")
    padded = value + "0101000000"[len(value) - 4 :] if len(value) < 14 else value
    if parse_timestamp(padded) is None:
        raise ValueError(f"bad {name} {value!r}: not a real date")
    return value
