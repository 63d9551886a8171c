"""Fixtures for the acquisition tests: a real pywb archive over WARC files the tests write.

`pywb_archive` is session-scoped: the pywb environment is built once (`.venv-pywb/`, reused
across runs) and one `wayback` process serves every test that asks for it. When pywb cannot be
installed or started here, the tests that need it are skipped with the reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.flows.pywb_server import ArchivedPage, running_pywb, write_warc
from tests.flows.servers import article_html


def _at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _page(url: str, captured_at: datetime, title: str, **extra) -> ArchivedPage:
    return ArchivedPage(url=url, captured_at=captured_at, body=article_html(title, 5).encode("utf-8"), **extra)


# The captures put into the test archive. `council-vote` is captured three times: the second
# capture has the same bytes as the first (same digest), the third is an update.
COUNCIL_V1 = _page(
    "https://harbour-gazette.example/news/council-vote",
    _at(2020, 1, 10, 8, 0, 0),
    "Council votes to rebuild the harbour wall",
)
PYWB_PAGES: list[ArchivedPage] = [
    COUNCIL_V1,
    ArchivedPage(COUNCIL_V1.url, _at(2020, 2, 10, 8, 0, 0), COUNCIL_V1.body),
    _page(COUNCIL_V1.url, _at(2020, 3, 10, 8, 0, 0), "Council votes to rebuild the harbour wall (updated)"),
    _page(
        "https://harbour-gazette.example/news/ferry-strike",
        _at(2020, 6, 1, 12, 30, 0),
        "Ferry crews announce a one-day strike",
    ),
    _page(
        "https://harbour-gazette.example/news/old-lighthouse",
        _at(2019, 12, 31, 23, 59, 59),
        "The old lighthouse gets a new keeper",
    ),
    _page(
        "https://harbour-gazette.example/news/market-day", _at(2021, 4, 2, 9, 15, 0), "Market day returns to the quay"
    ),
    # A non-UTF-8 page: raw id_ fetches must return these exact bytes.
    ArchivedPage(
        "https://harbour-gazette.example/news/cafe",
        _at(2020, 5, 5, 5, 5, 5),
        article_html("Caf\u00e9 owners welcome the new pier", 5, charset="iso-8859-1").encode("latin-1"),
        content_type="text/html; charset=iso-8859-1",
    ),
    # Not articles: filtered out by the CDX source (not HTML, not 200).
    ArchivedPage(
        "https://harbour-gazette.example/img/wall.png",
        _at(2020, 1, 10, 8, 0, 1),
        b"\x89PNG\r\n\x1a\n",
        content_type="image/png",
    ),
    ArchivedPage(
        "https://harbour-gazette.example/news/deleted", _at(2020, 1, 11, 8, 0, 0), b"<html>gone</html>", status=404
    ),
    # Another outlet: not matched by the `harbour-gazette.example/*` pattern.
    _page("https://valley-post.example/story/flood", _at(2020, 7, 7, 7, 7, 7), "River flood warning lifted"),
]


@pytest.fixture(scope="session")
def pywb_archive(tmp_path_factory):
    """A running pywb serving PYWB_PAGES; yields the PywbServer (`base_url` is the archive prefix)."""
    root = tmp_path_factory.mktemp("pywb")
    warc = write_warc(root / "harbour.warc.gz", PYWB_PAGES)
    with running_pywb(root, [warc]) as server:
        yield server
