"""CDX queries: web.archive.org's JSON shape (array of arrays, header row, `showResumeKey`
paging) from a small server of ours; pywb's shape is covered against a real pywb in
test_pywb.py.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from flows.acquire.addresses import AddressPolicy
from flows.acquire.captures import SourceError
from flows.acquire.cdx import CdxRow, cdx_endpoint, parse_cdx_json, query_cdx, select_captures
from flows.acquire.http import Fetcher, RetryPolicy
from flows.acquire.limits import HostRateLimiter
from tests.support.servers import RouteServer


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_cdx_endpoints():
    assert cdx_endpoint("https://web.archive.org/web") == "https://web.archive.org/cdx/search/cdx"
    assert cdx_endpoint("https://web.archive.org/web/") == "https://web.archive.org/cdx/search/cdx"
    assert cdx_endpoint("http://127.0.0.1:8080/my-coll") == "http://127.0.0.1:8080/my-coll/cdx"
    with pytest.raises(SourceError):
        cdx_endpoint("not-a-url")


def test_parse_both_cdx_shapes():
    wayback = json.dumps(
        [
            ["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest"],
            ["example,news)/a", "20200101000000", "https://news.example/a", "text/html", "200", "D1"],
            [],
            ["resume-me"],
        ]
    )
    rows, key = parse_cdx_json(wayback)
    assert key == "resume-me" and rows[0].original == "https://news.example/a" and rows[0].status == "200"
    pywb = (
        '{"urlkey": "example,news)/a", "timestamp": "20200101000000", "url": "https://news.example/a", '
        '"mime": "text/html", "status": "200", "digest": "D1"}\n'
    )
    rows, key = parse_cdx_json(pywb)
    assert key is None and rows[0].mime == "text/html" and rows[0].digest == "D1"
    assert parse_cdx_json("") == ([], None)
    with pytest.raises(SourceError):
        parse_cdx_json("<html>rate limited</html>")


# (urlkey, timestamp, original, mimetype, status, digest)
CDX_ROWS = [
    ("example,news)/a", "20200101000000", "https://news.example/a", "text/html", "200", "A1"),
    ("example,news)/a", "20200201000000", "https://news.example/a", "text/html", "200", "A1"),  # same bytes
    ("example,news)/a", "20200301000000", "https://news.example/a", "text/html", "200", "A2"),
    ("example,news)/b", "20200105000000", "https://news.example/b", "text/html", "301", "B0"),  # redirect
    ("example,news)/b", "20200106000000", "https://news.example/b", "text/html; charset=utf-8", "200", "B1"),
    ("example,news)/c.jpg", "20200107000000", "https://news.example/c.jpg", "image/jpeg", "200", "C1"),
    ("example,news)/d", "20200108000000", "https://news.example/d", "warc/revisit", "-", "D1"),
    ("example,news)/e", "20210101000000", "https://news.example/e", "text/html", "200", "E1"),
]


def wayback_cdx_route(rows):
    """web.archive.org's CDX API, as much of it as we use: from/to, limit, resume keys."""

    def route(query):
        from_ = query.get("from", [""])[0]
        to = query.get("to", [""])[0]
        limit = int(query.get("limit", ["100000"])[0])
        start = int(query.get("resumeKey", ["0"])[0])
        selected = [
            r for r in rows if (not from_ or r[1] >= from_.ljust(14, "0")) and (not to or r[1] <= to.ljust(14, "9"))
        ]
        page = selected[start : start + limit]
        answer = [["urlkey", "timestamp", "original", "mimetype", "statuscode", "digest"]] + [list(r) for r in page]
        if query.get("showResumeKey") == ["true"] and start + limit < len(selected):
            answer += [[], [str(start + limit)]]
        return 200, "application/json", json.dumps(answer).encode()

    return route


@pytest.fixture()
def wayback_cdx():
    with RouteServer({"/cdx/search/cdx": wayback_cdx_route(CDX_ROWS)}) as server:
        yield server


def cdx_fetcher() -> Fetcher:
    return Fetcher(
        HostRateLimiter(cdx_rate=100.0),
        retry=RetryPolicy(max_retries=0, read_timeout=2.0),
        policy=AddressPolicy(allow_private=True),  # the CDX server listens on 127.0.0.1
    )


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        (
            "first",
            [
                ("https://news.example/a", "20200101000000"),
                ("https://news.example/b", "20200106000000"),
                ("https://news.example/e", "20210101000000"),
            ],
        ),
        (
            "last",
            [
                ("https://news.example/a", "20200301000000"),
                ("https://news.example/b", "20200106000000"),
                ("https://news.example/e", "20210101000000"),
            ],
        ),
        # all: every distinct digest; the Feb. capture of /a has the Jan. bytes and is dropped
        (
            "all",
            [
                ("https://news.example/a", "20200101000000"),
                ("https://news.example/a", "20200301000000"),
                ("https://news.example/b", "20200106000000"),
                ("https://news.example/e", "20210101000000"),
            ],
        ),
    ],
)
def test_query_cdx_wayback_shape_with_paging(wayback_cdx, policy, expected):
    endpoint = wayback_cdx.base_url + "/cdx/search/cdx"
    with cdx_fetcher() as fetcher:
        refs = list(
            query_cdx(
                "news.example/*",
                archive="https://web.archive.org/web",
                capture_policy=policy,
                fetcher=fetcher,
                page_size=3,
                endpoint=endpoint,
            )
        )
    assert [(r.url, r.archive_url.split("/")[4][:14]) for r in refs] == expected
    assert all(r.archive_url == f"https://web.archive.org/web/{r.archive_url.split('/')[4]}/{r.url}" for r in refs)
    assert all(r.archive_url.split("/")[4].endswith("id_") for r in refs)
    assert all(r.source == "cdx" and r.http_status == 200 and r.digest for r in refs)
    paged = [q for path, q in wayback_cdx.requests if path == "/cdx/search/cdx"]
    assert len(paged) == 3  # 8 rows, 3 per page: followed the resume keys to the end
    assert paged[1]["resumeKey"] == ["3"] and paged[2]["resumeKey"] == ["6"]
    assert paged[0]["output"] == ["json"] and paged[0]["showResumeKey"] == ["true"]


def test_query_cdx_from_to(wayback_cdx):
    endpoint = wayback_cdx.base_url + "/cdx/search/cdx"
    with cdx_fetcher() as fetcher:
        refs = list(query_cdx("news.example/*", from_="202002", to="20201231", fetcher=fetcher, endpoint=endpoint))
    assert [(r.url, r.captured_at) for r in refs] == [("https://news.example/a", utc(2020, 2, 1))]
    first = wayback_cdx.requests[0][1]
    assert first["from"] == ["202002"] and first["to"] == ["20201231"]


@pytest.mark.parametrize("bad", [{"from_": "2020-01-01"}, {"to": "20201340"}, {"capture_policy": "best"}])
def test_query_cdx_bad_options(bad):
    with Fetcher(HostRateLimiter()) as fetcher, pytest.raises(SourceError):
        list(query_cdx("news.example/*", fetcher=fetcher, **bad))


def test_query_cdx_server_down():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with (
        Fetcher(
            HostRateLimiter(cdx_rate=100.0), retry=RetryPolicy(max_retries=0), policy=AddressPolicy(allow_private=True)
        ) as fetcher,
        pytest.raises(SourceError, match="CDX query"),
    ):
        list(query_cdx("x.example/*", archive=f"http://127.0.0.1:{port}/C", fetcher=fetcher))


def test_select_captures_keeps_only_good_html():
    rows = [CdxRow(*r) for r in CDX_ROWS]
    kept = list(select_captures(rows, "all"))
    assert {r.original for r in kept} == {"https://news.example/a", "https://news.example/b", "https://news.example/e"}


def plain_cdx_route(rows):
    """A CDX server that answers the plain-text format whatever `output` asks (space-separated
    lines, a length column, the resume key alone after a blank line)."""

    def route(query):
        limit = int(query.get("limit", ["100000"])[0])
        start = int(query.get("resumeKey", ["0"])[0])
        page = rows[start : start + limit]
        lines = [" ".join((*row[:3], row[3].replace(" ", ""), *row[4:], "1234")) for row in page]
        if start + limit < len(rows):
            lines += ["", str(start + limit)]
        return 200, "text/plain", ("\n".join(lines) + "\n").encode()

    return route


def test_a_plain_text_cdx_answer_is_read_as_a_fallback_with_its_resume_keys():
    with RouteServer({"/cdx/search/cdx": plain_cdx_route(CDX_ROWS)}) as server, cdx_fetcher() as fetcher:
        refs = list(
            query_cdx(
                "news.example/*",
                capture_policy="first",
                fetcher=fetcher,
                page_size=3,
                endpoint=server.base_url + "/cdx/search/cdx",
            )
        )
        pages = [q for path, q in server.requests if path == "/cdx/search/cdx"]
    assert [(r.url, r.captured_at.year, r.digest) for r in refs] == [
        ("https://news.example/a", 2020, "A1"),
        ("https://news.example/b", 2020, "B1"),
        ("https://news.example/e", 2021, "E1"),
    ]
    assert len(pages) == 3


def test_plain_text_cdx_lines_and_their_header():
    rows, key = parse_cdx_json(
        " CDX N b a m s k r M S V g\nexample,news)/a 20200101000000 https://news.example/a text/html 200 D1 987\n"
    )
    assert key is None and rows == [
        CdxRow("example,news)/a", "20200101000000", "https://news.example/a", "text/html", "200", "D1")
    ]
