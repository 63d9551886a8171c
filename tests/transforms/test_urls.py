"""URL canonicalisation, article ids, registered domains and dates in paths."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from transforms.urls import (
    InvalidURL,
    archive_timestamp,
    article_id_for,
    canonicalize_url,
    date_from_url,
    is_home_page,
    original_url_from_link,
    parse_capture_timestamp,
    parse_replay_url,
    registered_domain,
    unwrap_archive_url,
)


@pytest.mark.parametrize(
    "raw, canonical",
    [
        # scheme and host lower-cased, default port dropped
        ("HTTP://Example.COM:80/News/Story", "http://example.com/News/Story"),
        ("https://example.com:443/a", "https://example.com/a"),
        # a non-default port stays
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        # fragment removed
        ("https://example.com/a#comments", "https://example.com/a"),
        # tracking parameters removed, the rest sorted
        ("https://example.com/a?utm_source=x&utm_medium=email&b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?fbclid=abc&gclid=def", "https://example.com/a"),
        # session ids, in the query and as a path parameter
        ("https://example.com/a;jsessionid=ABC123?PHPSESSID=1&id=7", "https://example.com/a?id=7"),
        # empty path becomes "/"
        ("https://example.com", "https://example.com/"),
        # dot segments resolved
        ("https://example.com/a/./b/../c", "https://example.com/a/c"),
        # percent-escapes in one form: unreserved characters decoded, the rest upper-case
        ("https://example.com/a%7eb/%c3%a9", "https://example.com/a~b/%C3%A9"),
        ("https://example.com/é", "https://example.com/%C3%A9"),
        # surrounding whitespace ignored
        ("  https://example.com/a  ", "https://example.com/a"),
        # a trailing dot in the host is the same host
        ("https://example.com./a", "https://example.com/a"),
    ],
)
def test_canonicalize_url(raw, canonical):
    assert canonicalize_url(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "ftp://example.com/file",  # not http(s)
        "mailto:someone@example.com",  # no host
        "https:///path-only",  # empty host
        "not a url",  # no scheme
        "",  # nothing
        "https://exa mple.com/",  # space in the host
    ],
)
def test_canonicalize_url_rejects_unusable_input(raw):
    with pytest.raises(InvalidURL):
        canonicalize_url(raw)


def test_article_id_is_stable_across_url_variants():
    plain = article_id_for("https://example.com/2020/05/17/story/")
    assert len(plain) == 32 and int(plain, 16) >= 0
    assert article_id_for("HTTPS://EXAMPLE.com/2020/05/17/story/?utm_source=twitter#top") == plain
    assert article_id_for("https://example.com/2020/05/17/other/") != plain


@pytest.mark.parametrize(
    "url, domain",
    [
        ("https://www.example.com/a", "example.com"),
        ("https://news.bbc.co.uk/a", "bbc.co.uk"),  # multi-label public suffix
        ("https://www.harbour-gazette.co.uk/x", "harbour-gazette.co.uk"),
        ("https://a.b.example.de/", "example.de"),  # several subdomains
        ("http://127.0.0.1:8080/x", "127.0.0.1"),  # IP addresses stay as they are
        ("https://www.outlet.example/x", "outlet.example"),  # unlisted suffix: last two labels
        ("not a url", ""),
    ],
)
def test_registered_domain(url, domain):
    assert registered_domain(url) == domain


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://example.com/2020/05/17/story/", datetime(2020, 5, 17, tzinfo=UTC)),
        ("https://example.com/2020/5/7/story", datetime(2020, 5, 7, tzinfo=UTC)),  # unpadded
        ("https://example.com/news/2019-12-31-new-year", datetime(2019, 12, 31, tzinfo=UTC)),
        ("https://example.com/story-20180102.html", datetime(2018, 1, 2, tzinfo=UTC)),
        ("https://example.com/2016/02/30/missing/", None),  # not a real day
        ("https://example.com/news/12345678901/", None),  # an id, not a date
        ("https://example.com/2020/05/story/", None),  # month only
    ],
)
def test_date_from_url(url, expected):
    assert date_from_url(url) == expected


@pytest.mark.parametrize(
    "url, home",
    [
        ("https://example.com/", True),
        ("https://example.com/index.html", True),
        ("https://example.com/en/", True),
        ("https://example.com/news/", False),
        ("https://example.com/?page=2", False),
    ],
)
def test_is_home_page(url, home):
    assert is_home_page(url) is home


_hosts = st.from_regex(r"[a-z][a-z0-9\-]{0,10}(\.[a-z]{2,6}){1,2}", fullmatch=True)
_paths = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=8), max_size=4)
_query = st.lists(
    st.tuples(st.sampled_from(["a", "id", "utm_source", "page", "q", "sid", "x y"]), st.text(max_size=6)), max_size=4
)


@settings(max_examples=300, deadline=None)
@given(
    scheme=st.sampled_from(["http", "https", "HTTP"]),
    host=_hosts,
    port=st.sampled_from(["", ":80", ":443", ":8080"]),
    path=_paths,
    query=_query,
    fragment=st.text(max_size=5),
)
def test_canonicalize_url_is_idempotent(scheme, host, port, path, query, fragment):
    from urllib.parse import quote

    url = f"{scheme}://{host}{port}/" + "/".join(quote(p) for p in path)
    if query:
        url += "?" + "&".join(f"{quote(k)}={quote(v)}" for k, v in query)
    if fragment:
        url += "#" + quote(fragment)
    try:
        once = canonicalize_url(url)
    except InvalidURL:
        assume(False)
        return
    assert canonicalize_url(once) == once
    assert article_id_for(once) == article_id_for(url)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_canonicalize_url_on_arbitrary_text_is_idempotent_or_refuses(text):
    try:
        once = canonicalize_url(text)
    except InvalidURL:
        return
    assert canonicalize_url(once) == once


@pytest.mark.parametrize(
    "url, original, replay",
    [
        # Wayback Machine replay URL
        (
            "https://web.archive.org/web/20120216182711/http://www.example.com/a",
            "http://www.example.com/a",
            "https://web.archive.org/web/20120216182711/http://www.example.com/a",
        ),
        # raw id_ form, original without a scheme
        (
            "https://web.archive.org/web/20130307194448id_/example.net/2008/05/x",
            "http://example.net/2008/05/x",
            "https://web.archive.org/web/20130307194448id_/example.net/2008/05/x",
        ),
        # pywb collection, scheme slashes collapsed by a proxy
        (
            "http://127.0.0.1:8080/coll/20200101000000id_/https:/example.com/a?b=1",
            "https://example.com/a?b=1",
            "http://127.0.0.1:8080/coll/20200101000000id_/https:/example.com/a?b=1",
        ),
        # an ordinary URL with a date in its path is no replay URL
        ("https://example.com/2020/05/17/story", "https://example.com/2020/05/17/story", None),
    ],
)
def test_unwrap_archive_url(url, original, replay):
    assert unwrap_archive_url(url) == (original, replay)


def test_archive_timestamp():
    assert archive_timestamp("https://web.archive.org/web/20120216182711/http://example.com/") == datetime(
        2012, 2, 16, 18, 27, 11, tzinfo=UTC
    )
    assert archive_timestamp("https://web.archive.org/web/2012/http://example.com/") is None  # not a full time


@pytest.mark.parametrize(
    "url, parts",
    [
        # Wayback Machine: /web/<timestamp>/<url>, the scheme written out
        (
            "https://web.archive.org/web/20120216182711/http://www.example.com/a",
            ("https://web.archive.org/web", "20120216182711", "", "http://www.example.com/a"),
        ),
        # a partial timestamp and a replay modifier
        (
            "https://web.archive.org/web/2013id_/https://example.net/x",
            ("https://web.archive.org/web", "2013", "id_", "https://example.net/x"),
        ),
        # no scheme: a dotted host name followed by a path
        (
            "https://web.archive.org/web/20130307194448if_/example.net/2008/05/x",
            ("https://web.archive.org/web", "20130307194448", "if_", "http://example.net/2008/05/x"),
        ),
        # a scheme-less host with a port
        (
            "https://web.archive.org/web/20130307194448/example.net:8080/x",
            ("https://web.archive.org/web", "20130307194448", "", "http://example.net:8080/x"),
        ),
        # pywb collection, `https://` collapsed to `https:/` by a proxy
        (
            "http://127.0.0.1:8080/coll/20200101000000id_/https:/example.com/a?b=1",
            ("http://127.0.0.1:8080/coll", "20200101000000", "id_", "https://example.com/a?b=1"),
        ),
        # an archive whose prefix has several path segments (OpenWayback under a context path)
        (
            "https://archive.example.org/wayback/web/20100101000000mp_/http://news.example/c?x=1#top",
            ("https://archive.example.org/wayback/web", "20100101000000", "mp_", "http://news.example/c?x=1#top"),
        ),
        # the embedded URL may itself hold a date segment
        (
            "https://web.archive.org/web/20200301000000/https://www.example.de/politik/20200207/merkel.html",
            (
                "https://web.archive.org/web",
                "20200301000000",
                "",
                "https://www.example.de/politik/20200207/merkel.html",
            ),
        ),
    ],
)
def test_parse_replay_url(url, parts):
    replay = parse_replay_url(url)
    assert replay is not None
    assert (replay.prefix, replay.timestamp, replay.modifier, replay.original) == parts


@pytest.mark.parametrize(
    "url",
    [
        # news URLs with an 8-14 digit path segment: what follows is a file or a slug, not a URL
        "https://www.example.de/politik/20200207/merkel.html",
        "https://news.example.com/2019/20190312/story",
        "https://news.example.com/article/20190312123456/story-title.html?page=2",
        "https://www.example.com/web/20200207/index.php",
        # a dotted name after the digits, but no path after it: a file name, not a host
        "https://example.org/archive/20200207/report.pdf",
        # dates written in the path
        "https://example.com/2020/05/17/story",
        "https://example.com/20200517/",
        # not URLs at all
        "",
        "20200207/http://example.com/",
    ],
)
def test_parse_replay_url_refuses_urls_that_only_contain_digits(url):
    assert parse_replay_url(url) is None
    assert unwrap_archive_url(url) == (url, None)


def test_parse_capture_timestamp():
    assert parse_capture_timestamp("20120216182711") == datetime(2012, 2, 16, 18, 27, 11, tzinfo=UTC)
    assert parse_capture_timestamp("2012") is None  # partial: the archive picks the nearest capture
    assert parse_capture_timestamp("20121399000000") is None  # month 13


@pytest.mark.parametrize(
    "link, original",
    [
        # a Memento answer: the original and the timemap
        (
            '<http://news.example/a>; rel="original", <http://archive.example/timemap/link/http://news.example/a>; '
            'rel="timemap"; type="application/link-format"',
            "http://news.example/a",
        ),
        # several relation types in one rel
        ('<http://a.example/>; rel="original timegate"', "http://a.example/"),
        # no original
        ('<http://archive.example/x>; rel="memento"', None),
        ("", None),
        (None, None),
    ],
)
def test_original_url_from_link(link, original):
    assert original_url_from_link(link) == original
