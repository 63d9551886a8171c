"""Rules of Wayback-style archives, each written once: the default archive, its CDX API,
capture timestamps.

A capture timestamp is `YYYY[MM[DD[hh[mm[ss]]]]]` (CDX `from`/`to` take any prefix of the
14 digits); the same rule serves `--from`/`--to`, `from`/`to` in newsarchive.toml and
deployments.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

WAYBACK_PREFIX = "https://web.archive.org/web"
WAYBACK_CDX = "https://web.archive.org/cdx/search/cdx"

_TIMESTAMP = re.compile(r"^\d{4}(\d{2}){0,5}$")


def parse_timestamp(timestamp: str) -> datetime | None:
    """A 14-digit archive timestamp as a UTC datetime; None for shorter (partial) ones."""
    if len(timestamp) != 14:
        return None
    try:
        return datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


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
