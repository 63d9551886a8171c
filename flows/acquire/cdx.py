"""CDX queries: the captures an archive holds for a URL pattern, one per URL or all of them.

Speaks both JSON shapes: web.archive.org's array of arrays (header row, `showResumeKey`
paging) and pywb's one object per line (it ignores paging and server-side filters, so rows
are filtered again here). Only status-200 HTML captures with distinct payload digests are
kept (`capture_policy`: the first, the last or all of them per URL); each becomes a ref to
the capture's raw `id_` form.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from flows.acquire.archive import WAYBACK_CDX, WAYBACK_PREFIX, check_timestamp, is_wayback
from flows.acquire.captures import CaptureRef, SourceError, archived_ref, url_problem
from flows.acquire.http import Fetcher
from flows.acquire.responses import FetchError, is_html

CAPTURE_POLICIES = ("first", "last", "all")
CDX_PAGE_SIZE = 5000  # rows per CDX request (web.archive.org pages with resume keys)
CDX_MAX_BYTES = 256 * 1024 * 1024


def cdx_endpoint(archive: str) -> str:
    """The CDX API of an archive prefix: web.archive.org's, or `{prefix}/cdx` (pywb)."""
    archive = archive.rstrip("/")
    if is_wayback(archive):
        return WAYBACK_CDX
    problem = url_problem(archive)
    if problem:
        raise SourceError(f"bad --archive {archive!r}: {problem}")
    return f"{archive}/cdx"


def check_capture_policy(policy: str, option: str = "capture policy") -> None:
    """SourceError unless `policy` is one of CAPTURE_POLICIES."""
    if policy not in CAPTURE_POLICIES:
        raise SourceError(f"bad {option} {policy!r}: expected one of {', '.join(CAPTURE_POLICIES)}")


@dataclass(frozen=True, slots=True)
class CdxRow:
    """One CDX line, whichever of the two JSON shapes it came in."""

    urlkey: str
    timestamp: str
    original: str
    mime: str
    status: str
    digest: str


def _rows_from_array(rows: list) -> tuple[list[CdxRow], str | None]:
    """web.archive.org `output=json`: a header row, rows, then `[]` and `[resume_key]`."""
    if not rows:
        return [], None
    resume_key = None
    if len(rows) >= 2 and rows[-2] == [] and len(rows[-1]) == 1:
        resume_key = rows[-1][0]
        rows = rows[:-2]
    header = [str(name) for name in rows[0]]
    index = {name: i for i, name in enumerate(header)}
    missing = {"timestamp", "original"} - index.keys()
    if missing:
        raise SourceError(f"CDX answer lacks the columns {sorted(missing)} (header {header})")

    def column(row: list, name: str) -> str:
        i = index.get(name)
        return str(row[i]) if i is not None and i < len(row) else ""

    result = [
        CdxRow(
            urlkey=column(row, "urlkey") or column(row, "original"),
            timestamp=column(row, "timestamp"),
            original=column(row, "original"),
            mime=column(row, "mimetype"),
            status=column(row, "statuscode"),
            digest=column(row, "digest"),
        )
        for row in rows[1:]
        if row
    ]
    return result, resume_key


def _rows_from_ndjson(text: str) -> list[CdxRow]:
    """pywb `output=json`: one JSON object per line."""
    rows = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        obj = json.loads(line)
        rows.append(
            CdxRow(
                urlkey=str(obj.get("urlkey") or obj.get("url", "")),
                timestamp=str(obj.get("timestamp", "")),
                original=str(obj.get("url") or obj.get("original", "")),
                mime=str(obj.get("mime") or obj.get("mimetype", "")),
                status=str(obj.get("status") or obj.get("statuscode", "")),
                digest=str(obj.get("digest", "")),
            )
        )
    return rows


def _rows_from_text(text: str) -> tuple[list[CdxRow], str | None]:
    """The plain-text answer (no `output=json`, or a server that ignores it): space-separated
    `urlkey timestamp original mimetype statuscode digest [length]` lines; a ` CDX ...` header
    line is skipped; a last line alone after a blank line is the resume key."""
    rows: list[CdxRow] = []
    resume_key = None
    lines = text.strip().splitlines()
    if len(lines) >= 2 and not lines[-2].strip() and len(lines[-1].split()) == 1:
        resume_key, lines = lines[-1].strip(), lines[:-2]
    for line in lines:
        fields = line.split()
        if not fields or fields[0] == "CDX":
            continue
        if len(fields) < 6 or not fields[1].isdigit():
            raise SourceError(f"CDX answer line is not `urlkey timestamp original mime status digest`: {line[:120]!r}")
        rows.append(CdxRow(*fields[:6]))
    return rows, resume_key


def parse_cdx_json(text: str) -> tuple[list[CdxRow], str | None]:
    """Either JSON shape to rows plus the resume key (None when there is no next page); an
    answer that is not JSON is read as the plain space-separated format."""
    stripped = text.lstrip()
    if not stripped:
        return [], None
    if not stripped.startswith(("[", "{")):
        return _rows_from_text(stripped)
    try:
        if stripped.startswith("["):
            return _rows_from_array(json.loads(stripped))
        return _rows_from_ndjson(stripped), None
    except (json.JSONDecodeError, TypeError, AttributeError) as error:
        raise SourceError(f"CDX answer is not JSON in either known shape: {error}") from None


def _is_good(row: CdxRow) -> bool:
    return row.status == "200" and is_html(row.mime) and len(row.timestamp) == 14


def _cdx_rows(
    pattern: str, endpoint: str, fetcher: Fetcher, *, from_: str | None, to: str | None, page_size: int, wayback: bool
) -> Iterator[CdxRow]:
    """All rows of a query. Wayback pages with `limit` + resume keys; pywb ignores resume
    keys (and would cut the answer at `limit`), so it is asked once for everything."""
    resume_key: str | None = None
    while True:
        params: list[tuple[str, str]] = [("url", pattern), ("output", "json")]
        if from_:
            params.append(("from", from_))
        if to:
            params.append(("to", to))
        if wayback:
            # Filtering server-side keeps pages small; pywb ignores these, so we filter again.
            params += [
                ("filter", "statuscode:200"),
                ("filter", "mimetype:text/html"),
                ("fl", "urlkey,timestamp,original,mimetype,statuscode,digest"),
                ("showResumeKey", "true"),
                ("limit", str(page_size)),
            ]
            if resume_key:
                params.append(("resumeKey", resume_key))
        try:
            response = fetcher.get(endpoint, params=params, kind="cdx", max_bytes=CDX_MAX_BYTES)
        except FetchError as error:
            raise SourceError(f"CDX query to {endpoint} failed: {error.reason} ({error.detail})") from None
        rows, next_key = parse_cdx_json(response.body.decode("utf-8", errors="replace"))
        yield from rows
        if not next_key or next_key == resume_key:
            return
        resume_key = next_key


def _choose(group: list[CdxRow], policy: str) -> list[CdxRow]:
    """Good captures of one URL, duplicates (same digest) dropped, chosen by policy."""
    good = sorted((row for row in group if _is_good(row)), key=lambda row: row.timestamp)
    distinct: list[CdxRow] = []
    seen_digests: set[str] = set()
    for row in good:
        if row.digest and row.digest in seen_digests:
            continue  # the same bytes again: nothing new to extract
        if row.digest:
            seen_digests.add(row.digest)
        distinct.append(row)
    if not distinct:
        return []
    if policy == "first":
        return distinct[:1]
    if policy == "last":
        return distinct[-1:]
    return distinct


def select_captures(rows: Iterable[CdxRow], policy: str = "first") -> Iterator[CdxRow]:
    """Group CDX rows by URL (CDX servers answer sorted by urlkey, then timestamp) and keep
    status-200 HTML captures with distinct digests, one per URL (`first`: the earliest,
    `last`: the latest) or all of them (`all`)."""
    check_capture_policy(policy)
    group: list[CdxRow] = []
    for row in rows:
        if group and row.urlkey != group[0].urlkey:
            yield from _choose(group, policy)
            group = []
        group.append(row)
    if group:
        yield from _choose(group, policy)


def query_cdx(
    pattern: str,
    *,
    archive: str = WAYBACK_PREFIX,
    from_: str | None = None,
    to: str | None = None,
    capture_policy: str = "first",
    fetcher: Fetcher,
    page_size: int = CDX_PAGE_SIZE,
    endpoint: str | None = None,
) -> Iterator[CaptureRef]:
    """Captures matching `pattern` (e.g. `example.com/news/*`) in the archive at `archive`.

    Follows resume keys to the end; `from_`/`to` are YYYYMMDD[hhmmss]. Each ref's
    `archive_url` is `{archive}/{timestamp}id_/{original}`. Raises SourceError when the CDX
    server cannot be queried.
    """
    if not pattern or any(ch.isspace() for ch in pattern):
        raise SourceError(f"bad CDX pattern {pattern!r}")
    try:
        from_ = check_timestamp(from_, "--from")
        to = check_timestamp(to, "--to")
    except ValueError as error:
        raise SourceError(str(error)) from None
    check_capture_policy(capture_policy)
    wayback = is_wayback(archive)
    endpoint = endpoint or cdx_endpoint(archive)
    rows = _cdx_rows(pattern, endpoint, fetcher, from_=from_, to=to, page_size=page_size, wayback=wayback)
    for row in select_captures(rows, capture_policy):
        yield archived_ref(
            archive,
            row.timestamp,
            row.original,
            source="cdx",
            digest=row.digest or None,
            http_status=int(row.status),
            mime=row.mime or None,
        )
