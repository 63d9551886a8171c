"""Discover captures: URL list files, CDX queries against an archive, sitemaps.

Every source yields `CaptureRef`s; an input entry that cannot be used becomes a `Rejection`
with a reason (never silently dropped). A source that cannot be read at all (missing file,
unreachable CDX server, unparsable sitemap) raises `SourceError` with a one-line message.

Archived captures are always addressed in the raw `id_` form (`{prefix}/{timestamp}id_/{url}`):
the bytes the archive stored, never the rewritten replay page.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from flows.acquire.captures import CaptureRef
from flows.acquire.http import Fetcher, FetchError
from transforms.records import Rejection

WAYBACK_PREFIX = "https://web.archive.org/web"
WAYBACK_CDX = "https://web.archive.org/cdx/search/cdx"
CAPTURE_POLICIES = ("first", "last", "all")
CDX_PAGE_SIZE = 5000  # rows per CDX request (web.archive.org pages with resume keys)
HTML_MIMES = ("text/html", "application/xhtml+xml")
SITEMAP_MAX_BYTES = 64 * 1024 * 1024  # the protocol allows 50 MB uncompressed

# `{prefix}/{timestamp}{modifier}/{original}`: web.archive.org (`.../web/2020...`), pywb
# (`http://host:port/coll/2020...`), OpenWayback. The modifier (id_, if_, mp_, ...) is dropped:
# we always fetch `id_`.
_ARCHIVED = re.compile(r"^(?P<prefix>https?://[^\s]+?)/(?P<timestamp>\d{4,14})(?:[a-z]{2}_)?/(?P<original>.+)$")
_TIMESTAMP = re.compile(r"^\d{4}(\d{2}){0,5}$")


class SourceError(Exception):
    """A source that cannot be read at all (bad option, missing file, unreachable server)."""


# -- URL lists -------------------------------------------------------------------------------


def _valid_http_url(url: str) -> str | None:
    """Why `url` is not a usable http(s) URL, or None when it is."""
    if any(ch.isspace() for ch in url):
        return "contains whitespace"
    try:
        parts = urlsplit(url)
        port = parts.port  # raises on a bad port
    except ValueError as error:
        return f"unparsable ({error})"
    del port
    if parts.scheme not in ("http", "https"):
        return f"scheme {parts.scheme!r} is not http(s)" if parts.scheme else "no http(s) scheme"
    host = parts.hostname or ""
    if not host:
        return "no host"
    if "." not in host and host != "localhost" and ":" not in host:
        return f"host {host!r} is not a domain name"
    return None


def _original_from_archived(original: str) -> str:
    """Archives shorten `https://` to `https:/` and sometimes drop the scheme."""
    fixed = re.sub(r"^(https?):/+", r"\1://", original)
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", fixed):
        fixed = "http://" + fixed
    return fixed


def parse_timestamp(timestamp: str) -> datetime | None:
    """A 14-digit archive timestamp as a UTC datetime; None for shorter (partial) ones."""
    if len(timestamp) != 14:
        return None
    try:
        return datetime.strptime(timestamp, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def archived_ref(prefix: str, timestamp: str, original: str, *, source: str, **extra) -> CaptureRef:
    """The ref of one archived capture, addressed in the raw `id_` form."""
    prefix = prefix.rstrip("/")
    return CaptureRef(
        url=original,
        archive_url=f"{prefix}/{timestamp}id_/{original}",
        captured_at=parse_timestamp(timestamp),
        source=source,
        **extra,
    )


def parse_url_line(line: str, *, source: str = "urls") -> CaptureRef | str:
    """One URL (archived or live) to a ref, or the reason it is not usable."""
    url = line.strip()
    match = _ARCHIVED.match(url)
    if match:
        original = _original_from_archived(match["original"])
        problem = _valid_http_url(original)
        if problem:
            return f"archived URL whose original {original!r} is unusable: {problem}"
        if parse_timestamp(match["timestamp"]) is None and len(match["timestamp"]) == 14:
            return f"archived URL with an impossible timestamp {match['timestamp']}"
        return archived_ref(match["prefix"], match["timestamp"], original, source=source)
    problem = _valid_http_url(url)
    if problem:
        return problem
    return CaptureRef(url=url, source=source)


def read_url_list(path: str | Path) -> Iterator[CaptureRef | Rejection]:
    """One URL per line: archived (`.../web/<timestamp>/<url>`, pywb `.../<coll>/<timestamp>/<url>`)
    or live. Blank lines and `#` comments are skipped; any other unusable line becomes a
    `Rejection(reason="invalid_url")` naming its line number."""
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


# -- CDX ---------------------------------------------------------------------------------------


def cdx_endpoint(archive: str) -> str:
    """The CDX API of an archive prefix: web.archive.org's, or `{prefix}/cdx` (pywb)."""
    archive = archive.rstrip("/")
    host = (urlsplit(archive).hostname or "").lower()
    if host == "web.archive.org":
        return WAYBACK_CDX
    if _valid_http_url(archive):
        raise SourceError(f"bad --archive {archive!r}: {_valid_http_url(archive)}")
    return f"{archive}/cdx"


def check_timestamp_option(value: str | None, name: str) -> str | None:
    """`--from`/`--to`: YYYY[MM[DD[hh[mm[ss]]]]]; raises SourceError otherwise."""
    if value is None:
        return None
    value = value.strip()
    if not _TIMESTAMP.match(value):
        raise SourceError(f"bad {name} {value!r}: expected YYYYMMDD or YYYYMMDDhhmmss")
    padded = value + "0101000000"[len(value) - 4 :] if len(value) < 14 else value
    if parse_timestamp(padded) is None:
        raise SourceError(f"bad {name} {value!r}: not a real date")
    return value


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


def parse_cdx_json(text: str) -> tuple[list[CdxRow], str | None]:
    """Either JSON shape to rows plus the resume key (None when there is no next page)."""
    stripped = text.lstrip()
    if not stripped:
        return [], None
    try:
        if stripped.startswith("["):
            return _rows_from_array(json.loads(stripped))
        return _rows_from_ndjson(stripped), None
    except (json.JSONDecodeError, TypeError, AttributeError) as error:
        raise SourceError(f"CDX answer is not JSON in either known shape: {error}") from None


def _is_good(row: CdxRow) -> bool:
    mime = row.mime.split(";", 1)[0].strip().lower()
    return row.status == "200" and mime in HTML_MIMES and len(row.timestamp) == 14


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
            response = fetcher.get(endpoint, params=params, kind="cdx", max_bytes=256 * 1024 * 1024)
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
    if policy not in CAPTURE_POLICIES:
        raise SourceError(f"bad capture policy {policy!r}: expected one of {', '.join(CAPTURE_POLICIES)}")
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
    from_ = check_timestamp_option(from_, "--from")
    to = check_timestamp_option(to, "--to")
    if capture_policy not in CAPTURE_POLICIES:
        raise SourceError(f"bad capture policy {capture_policy!r}: expected one of {', '.join(CAPTURE_POLICIES)}")
    wayback = (urlsplit(archive).hostname or "").lower() == "web.archive.org"
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


# -- sitemaps ----------------------------------------------------------------------------------

_SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_NEWS_NS = "http://www.google.com/schemas/sitemap-news/0.9"


def _xml_parser() -> etree.XMLParser:
    """No entity expansion, no DTD or network fetches, no huge documents (billion laughs, XXE)."""
    return etree.XMLParser(
        resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False, dtd_validation=False, recover=False
    )


def parse_w3c_datetime(value: str | None) -> datetime | None:
    """Sitemap dates (W3C datetime: `2024-05-01`, `2024-05-01T10:00:00+02:00`, `...Z`) as UTC."""
    if not value:
        return None
    value = value.strip()
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(element, localname: str) -> str | None:
    for child in element:
        if _local(child.tag) == localname:
            return (child.text or "").strip()
    return None


def _news_date(url_element) -> str | None:
    for child in url_element:
        if _local(child.tag) == "news":
            for grandchild in child:
                if _local(grandchild.tag) == "publication_date":
                    return (grandchild.text or "").strip()
    return None


def _maybe_gunzip(body: bytes, max_bytes: int) -> bytes:
    if body[:2] != b"\x1f\x8b":
        return body
    decompressor = zlib.decompressobj(47)
    try:
        data = decompressor.decompress(body, max_bytes + 1)
    except zlib.error as error:
        raise ValueError(f"bad gzip data: {error}") from None
    if len(data) > max_bytes:
        raise ValueError(f"uncompressed sitemap exceeds {max_bytes} bytes")
    return data


def parse_sitemap(body: bytes, *, max_bytes: int = SITEMAP_MAX_BYTES) -> tuple[str, list[tuple[str, datetime | None]]]:
    """('index', [(sitemap_url, lastmod)]) or ('urlset', [(page_url, hint)]). Raises ValueError."""
    data = _maybe_gunzip(body, max_bytes)
    try:
        root = etree.fromstring(data, parser=_xml_parser())
    except etree.XMLSyntaxError as error:
        raise ValueError(f"not well-formed XML: {error}") from None
    kind = _local(root.tag)
    entries: list[tuple[str, datetime | None]] = []
    if kind == "sitemapindex":
        for element in root:
            if _local(element.tag) == "sitemap":
                loc = _child_text(element, "loc")
                if loc:
                    entries.append((loc, parse_w3c_datetime(_child_text(element, "lastmod"))))
        return "index", entries
    if kind == "urlset":
        for element in root:
            if _local(element.tag) == "url":
                loc = _child_text(element, "loc")
                if loc is None:
                    continue
                hint = parse_w3c_datetime(_news_date(element)) or parse_w3c_datetime(_child_text(element, "lastmod"))
                entries.append((loc, hint))
        return "urlset", entries
    raise ValueError(f"root element <{kind}> is neither <urlset> nor <sitemapindex>")


def read_sitemap(url: str, fetcher: Fetcher, *, max_sitemaps: int = 10_000) -> Iterator[CaptureRef | Rejection]:
    """Pages listed by a sitemap, sitemap index or Google News sitemap (gzipped or not).

    `news:publication_date` (else `lastmod`) becomes `published_hint`. The top sitemap failing
    raises SourceError; a nested sitemap failing or a bad `<loc>` becomes a Rejection. Each
    page URL is yielded once.
    """
    problem = _valid_http_url(url)
    if problem:
        raise SourceError(f"bad --sitemap URL {url!r}: {problem}")
    pending = [url]
    visited: set[str] = set()
    yielded: set[str] = set()
    while pending:
        sitemap_url = pending.pop(0)
        if sitemap_url in visited:
            continue
        visited.add(sitemap_url)
        if len(visited) > max_sitemaps:
            yield Rejection(
                url=sitemap_url, reason="invalid_url", detail=f"more than {max_sitemaps} sitemaps: not read"
            )
            continue
        try:
            response = fetcher.get(sitemap_url, max_bytes=SITEMAP_MAX_BYTES)
            kind, entries = parse_sitemap(response.body)
        except (FetchError, ValueError) as error:
            reason = error.reason if isinstance(error, FetchError) else "invalid_sitemap"
            detail = error.detail if isinstance(error, FetchError) else str(error)
            if sitemap_url == url:
                raise SourceError(f"cannot read sitemap {url}: {reason} ({detail})") from None
            yield Rejection(url=sitemap_url, reason=reason, detail=f"nested sitemap: {detail}")
            continue
        for loc, hint in entries:
            problem = _valid_http_url(loc)
            if problem:
                yield Rejection(url=loc, reason="invalid_url", detail=f"in sitemap {sitemap_url}: {problem}")
            elif kind == "index":
                pending.append(loc)
            elif loc not in yielded:
                yielded.add(loc)
                yield CaptureRef(url=loc, source="sitemap", published_hint=hint)


# -- all sources of one run ----------------------------------------------------------------------


def discover(
    *,
    urls: Iterable[str | Path] = (),
    cdx: Iterable[str] = (),
    archive: str = WAYBACK_PREFIX,
    from_: str | None = None,
    to: str | None = None,
    capture_policy: str = "first",
    sitemaps: Iterable[str] = (),
    fetcher: Fetcher,
) -> Iterator[CaptureRef | Rejection]:
    """Every capture the run's options point at, in option order: `--urls` files, `--cdx`
    patterns (against `--archive`, `--from`/`--to`, `--capture-policy`), `--sitemap` URLs.

    Options are checked when called, before anything is read, so a bad `--from` raises
    SourceError at once; sources are read lazily as the result is iterated. The same capture
    named twice is yielded once.
    """
    check_timestamp_option(from_, "--from")
    check_timestamp_option(to, "--to")
    if capture_policy not in CAPTURE_POLICIES:
        raise SourceError(f"bad --capture-policy {capture_policy!r}: expected one of {', '.join(CAPTURE_POLICIES)}")
    urls, cdx, sitemaps = list(urls), list(cdx), list(sitemaps)
    if cdx:
        cdx_endpoint(archive)
    for path in urls:
        if not Path(path).is_file():
            raise SourceError(f"URL list not found: {path}")

    def every_item() -> Iterator[CaptureRef | Rejection]:
        for path in urls:
            yield from read_url_list(path)
        for pattern in cdx:
            yield from query_cdx(
                pattern, archive=archive, from_=from_, to=to, capture_policy=capture_policy, fetcher=fetcher
            )
        for sitemap in sitemaps:
            yield from read_sitemap(sitemap, fetcher)

    return _once_each(every_item())


def _once_each(items: Iterator[CaptureRef | Rejection]) -> Iterator[CaptureRef | Rejection]:
    seen: set[str] = set()
    for item in items:
        if isinstance(item, CaptureRef):
            if item.capture_id in seen:
                continue
            seen.add(item.capture_id)
        yield item
