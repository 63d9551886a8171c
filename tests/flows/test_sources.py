"""Sources: URL list files, sitemaps, and discover() composing every source of a run.

CDX queries are in test_cdx.py (web.archive.org's shape) and test_pywb.py (a real pywb).
"""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from flows.acquire.addresses import AddressPolicy
from flows.acquire.captures import CaptureRef
from flows.acquire.discovery import SourceError, discover
from flows.acquire.http import Fetcher, RetryPolicy
from flows.acquire.limits import HostRateLimiter
from flows.acquire.sitemaps import read_sitemap
from flows.acquire.urllists import parse_url_line, read_url_list
from tests.support.servers import RouteServer
from transforms.records import Rejection

LOOPBACK_ALLOWED = AddressPolicy(allow_private=True)  # as --allow-private-hosts: servers on 127.0.0.1


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# -- URL lists -------------------------------------------------------------------------------

URL_LIST = """\
# outlets to fetch (comment)

https://web.archive.org/web/20200102030405/https://harbour-gazette.example/news/council-vote
https://web.archive.org/web/20200102030405id_/https://harbour-gazette.example/news/id-form
https://web.archive.org/web/20200102030405if_/harbour-gazette.example/news/no-scheme
http://127.0.0.1:8080/C/20210304050607/http://valley-post.example/a?id=7
https://live-news.example/world/story-1
   https://live-news.example/padded   \n\
not a url at all
ftp://files.example/x
https://web.archive.org/web/20201399000000/https://bad-date.example/x
http://
"""


def test_read_url_list(tmp_path):
    path = tmp_path / "urls.txt"
    path.write_text(URL_LIST, encoding="utf-8")
    items = list(read_url_list(path))
    refs = [item for item in items if isinstance(item, CaptureRef)]
    rejections = [item for item in items if isinstance(item, Rejection)]
    assert [r.url for r in refs] == [
        "https://harbour-gazette.example/news/council-vote",
        "https://harbour-gazette.example/news/id-form",
        "http://harbour-gazette.example/news/no-scheme",  # archives drop the scheme sometimes
        "http://valley-post.example/a?id=7",  # pywb form
        "https://live-news.example/world/story-1",
        "https://live-news.example/padded",
    ]
    # Every archived URL is fetched raw, in the id_ form, whatever modifier the line had.
    assert refs[0].archive_url == (
        "https://web.archive.org/web/20200102030405id_/https://harbour-gazette.example/news/council-vote"
    )
    assert (
        refs[2].archive_url
        == "https://web.archive.org/web/20200102030405id_/http://harbour-gazette.example/news/no-scheme"
    )
    assert refs[3].archive_url == "http://127.0.0.1:8080/C/20210304050607id_/http://valley-post.example/a?id=7"
    assert refs[0].captured_at == utc(2020, 1, 2, 3, 4, 5)
    assert refs[4].archive_url is None and refs[4].captured_at is None  # live
    assert all(r.source == "urls" for r in refs)
    assert [r.reason for r in rejections] == ["invalid_url"] * 4
    assert [r.detail.split(":")[0] for r in rejections] == [
        "urls.txt line 9",
        "urls.txt line 10",
        "urls.txt line 11",
        "urls.txt line 12",
    ]


def test_read_url_list_missing_file(tmp_path):
    with pytest.raises(SourceError, match="URL list not found"):
        list(read_url_list(tmp_path / "nope.txt"))


# -- sitemaps ----------------------------------------------------------------------------------

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>BASE/sitemap-news.xml</loc><lastmod>2024-05-02</lastmod></sitemap>
  <sitemap><loc>BASE/sitemap-2024.xml.gz</loc></sitemap>
  <sitemap><loc>BASE/sitemap-missing.xml</loc></sitemap>
  <sitemap><loc>BASE/sitemap-evil.xml</loc></sitemap>
</sitemapindex>
"""

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url>
    <loc>https://harbour-gazette.example/news/ferry-timetable</loc>
    <lastmod>2024-05-02T09:00:00Z</lastmod>
    <news:news>
      <news:publication><news:name>Harbour Gazette</news:name><news:language>en</news:language></news:publication>
      <news:publication_date>2024-05-01T18:30:00+02:00</news:publication_date>
      <news:title>Ferry timetable changes</news:title>
    </news:news>
  </url>
  <url><loc>not a url</loc></url>
</urlset>
"""

YEAR_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://harbour-gazette.example/news/old-pier</loc><lastmod>2024-01-15</lastmod></url>
  <url><loc>https://harbour-gazette.example/news/ferry-timetable</loc></url>
  <url><loc>https://harbour-gazette.example/about</loc></url>
</urlset>
"""

# An entity-expansion bomb and an external entity: neither may be expanded or fetched.
EVIL_SITEMAP = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [
  <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
  <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
  <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
  <!ENTITY secret SYSTEM "file:///etc/passwd">
]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://harbour-gazette.example/news/&c;</loc></url>
  <url><loc>https://harbour-gazette.example/x/&secret;</loc></url>
</urlset>
"""


@pytest.fixture()
def sitemap_server():
    routes = {}
    server = RouteServer(routes)
    base = server.base_url
    routes["/robots.txt"] = lambda q: (200, "text/plain", b"User-agent: *\nAllow: /\n")
    routes["/sitemap.xml"] = lambda q: (200, "application/xml", SITEMAP_INDEX.replace(b"BASE", base.encode()))
    routes["/sitemap-news.xml"] = lambda q: (200, "application/xml", NEWS_SITEMAP)
    routes["/sitemap-2024.xml.gz"] = lambda q: (200, "application/x-gzip", gzip.compress(YEAR_SITEMAP))
    routes["/sitemap-evil.xml"] = lambda q: (200, "application/xml", EVIL_SITEMAP)
    routes["/broken.xml"] = lambda q: (200, "application/xml", b"<urlset><url><loc>x</loc>")
    with server:
        yield server


def test_read_sitemap_index_news_and_gzip(sitemap_server):
    base = sitemap_server.base_url
    with Fetcher(
        HostRateLimiter(host_limits={"127.0.0.1": 100.0}), retry=RetryPolicy(max_retries=0), policy=LOOPBACK_ALLOWED
    ) as fetcher:
        items = list(read_sitemap(base + "/sitemap.xml", fetcher))
    refs = [i for i in items if isinstance(i, CaptureRef)]
    rejections = [i for i in items if isinstance(i, Rejection)]
    by_url = {r.url: r for r in refs}
    # news:publication_date wins over lastmod, converted to UTC
    assert by_url["https://harbour-gazette.example/news/ferry-timetable"].published_hint == utc(2024, 5, 1, 16, 30)
    assert by_url["https://harbour-gazette.example/news/old-pier"].published_hint == utc(2024, 1, 15)
    assert by_url["https://harbour-gazette.example/about"].published_hint is None
    assert len(refs) == len(by_url)  # each page once, though two sitemaps list the ferry story
    assert all(r.source == "sitemap" and r.archive_url is None for r in refs)
    reasons = sorted((r.reason, r.url.rsplit("/", 1)[-1]) for r in rejections)
    assert ("http_404", "sitemap-missing.xml") in reasons
    assert ("invalid_url", "not a url") in reasons
    # The bomb was not expanded and the external entity not read: no page came from them.
    assert not any("aaaa" in r.url or "root:" in r.url for r in refs)
    assert not any("root:" in (r.url + r.detail) for r in rejections)


def test_read_sitemap_top_level_failure_is_an_error(sitemap_server):
    with Fetcher(
        HostRateLimiter(host_limits={"127.0.0.1": 100.0}), retry=RetryPolicy(max_retries=0), policy=LOOPBACK_ALLOWED
    ) as fetcher:
        with pytest.raises(SourceError, match="not well-formed"):
            list(read_sitemap(sitemap_server.base_url + "/broken.xml", fetcher))
        with pytest.raises(SourceError, match="http_404"):
            list(read_sitemap(sitemap_server.base_url + "/none.xml", fetcher))
        with pytest.raises(SourceError, match="bad --sitemap"):
            list(read_sitemap("sitemap.xml", fetcher))


def test_discover_runs_every_source_in_order_once(sitemap_server, tmp_path):
    urls = tmp_path / "urls.txt"
    urls.write_text(
        "https://web.archive.org/web/20200101000000/https://news.example/a\nnot a url\nhttps://live-news.example/x\n"
    )
    with Fetcher(
        HostRateLimiter(host_limits={"127.0.0.1": 100.0}, cdx_rate=100.0),
        retry=RetryPolicy(max_retries=0),
        policy=LOOPBACK_ALLOWED,
    ) as fetcher:
        items = list(discover(urls=[urls], sitemaps=[sitemap_server.base_url + "/sitemap-news.xml"], fetcher=fetcher))
    assert [(type(i).__name__, i.url) for i in items] == [
        ("CaptureRef", "https://news.example/a"),
        ("Rejection", "not a url"),
        ("CaptureRef", "https://live-news.example/x"),
        ("CaptureRef", "https://harbour-gazette.example/news/ferry-timetable"),
        ("Rejection", "not a url"),
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"from_": "yesterday"}, "bad --from"),
        ({"capture_policy": "newest"}, "bad --capture-policy"),
        ({"cdx": ["x.example/*"], "archive": "archive.example"}, "bad --archive"),
        ({"urls": ["/no/such/file.txt"]}, "URL list not found"),
    ],
)
def test_discover_checks_options_first(options, message):
    with Fetcher(HostRateLimiter()) as fetcher, pytest.raises(SourceError, match=message):
        discover(fetcher=fetcher, **options)  # raises at the call, before any iteration


@pytest.mark.parametrize(
    ("line", "archive_url", "captured_at"),
    [
        # a partial timestamp: the archive picks the nearest capture; its Memento-Datetime tells when
        (
            "https://web.archive.org/web/2020/https://news.example/a",
            "https://web.archive.org/web/2020id_/https://news.example/a",
            None,
        ),
        # the https:/ that some archives and copy-paste leave behind
        (
            "https://web.archive.org/web/20200102030405/https:/news.example/b",
            "https://web.archive.org/web/20200102030405id_/https://news.example/b",
            utc(2020, 1, 2, 3, 4, 5),
        ),
        # an OpenWayback / pywb collection with another replay modifier
        (
            "http://archive.example:8080/wayback/20200102030405mp_/http://news.example/c?x=1#top",
            "http://archive.example:8080/wayback/20200102030405id_/http://news.example/c?x=1#top",
            utc(2020, 1, 2, 3, 4, 5),
        ),
    ],
)
def test_parse_archived_url_forms(line, archive_url, captured_at):
    ref = parse_url_line(line)
    assert isinstance(ref, CaptureRef)
    assert (ref.archive_url, ref.captured_at) == (archive_url, captured_at)


@pytest.mark.parametrize(
    "line",
    [
        # news URLs with a date segment are live URLs, not replay URLs
        "https://www.example.de/politik/20200207/merkel.html",
        "https://news.example.com/2019/20190312/story",
    ],
)
def test_news_urls_with_digit_segments_are_live(line):
    ref = parse_url_line(line)
    assert isinstance(ref, CaptureRef)
    assert (ref.url, ref.archive_url, ref.captured_at) == (line, None, None)
