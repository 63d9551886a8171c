"""Sitemaps: the pages a sitemap, sitemap index or Google News sitemap lists (gzipped or not).

`news:publication_date` (else `lastmod`) becomes the ref's `published_hint`. Sitemaps come
from the open web, so the XML parser expands no entities and fetches nothing (billion
laughs, XXE), and a gzipped sitemap is capped when inflated.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

from lxml import etree

from flows.acquire.captures import CaptureRef, SourceError, url_problem
from flows.acquire.http import Fetcher
from flows.acquire.responses import FetchError
from flows.acquire.urllists import usable_url_problem
from transforms.records import Rejection

SITEMAP_MAX_BYTES = 64 * 1024 * 1024  # the protocol allows 50 MB uncompressed


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


def _child_text(element: etree._Element, localname: str) -> str | None:
    for child in element:
        if _local(child.tag) == localname:
            return (child.text or "").strip()
    return None


def _news_date(url_element: etree._Element) -> str | None:
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
    problem = url_problem(url)
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
            if reason == "interrupted":
                return  # the run is stopping: nothing to record, the next run reads it again
            detail = error.detail if isinstance(error, FetchError) else str(error)
            if sitemap_url == url:
                raise SourceError(f"cannot read sitemap {url}: {reason} ({detail})") from None
            yield Rejection(url=sitemap_url, reason=reason, detail=f"nested sitemap: {detail}")
            continue
        for loc, hint in entries:
            problem = usable_url_problem(loc)
            if problem:
                yield Rejection(url=loc, reason="invalid_url", detail=f"in sitemap {sitemap_url}: {problem}")
            elif kind == "index":
                pending.append(loc)
            elif loc not in yielded:
                yielded.add(loc)
                yield CaptureRef(url=loc, source="sitemap", published_hint=hint)
