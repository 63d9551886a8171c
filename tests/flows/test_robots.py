"""robots.txt read by Protego through a real HTTP server: wildcards, `$`, Allow precedence,
Crawl-delay as a cap on the host's rate, IPv6-literal hosts (issue 13, issue 16's robots bug)."""

from __future__ import annotations

import urllib.request

import pytest

from flows.acquire.limits import HostRateLimiter
from flows.acquire.responses import PermanentFetchError, Response
from flows.acquire.robots import RobotsCache
from tests.support.servers import RouteServer

ROBOTS = b"""User-agent: *
Disallow: /*.html$
Disallow: /private/
Allow: /private/open/
Crawl-delay: 4
"""


def _get(url: str) -> Response:
    with urllib.request.urlopen(url, timeout=10) as answer:
        return Response(url, answer.url, answer.status, answer.reason, dict(answer.headers), answer.read())


def _allowed(cache: RobotsCache, url: str) -> bool:
    try:
        cache.check(url)
    except PermanentFetchError as error:
        assert error.reason == "robots_disallowed"
        return False
    return True


@pytest.fixture
def robots_server():
    with RouteServer({"/robots.txt": lambda query: (200, "text/plain", ROBOTS)}) as server:
        yield server


def test_wildcards_end_anchors_and_allow_precedence(robots_server):
    limiter = HostRateLimiter(default_rate=10)
    cache = RobotsCache(_get, limiter, "newsarchive")
    base = robots_server.base_url
    assert not _allowed(cache, f"{base}/2024/story.html")  # `*` and `$`: the stdlib parser fetched it
    assert _allowed(cache, f"{base}/2024/story.html?page=2")  # `$` anchors at the end
    assert _allowed(cache, f"{base}/2024/story")
    assert not _allowed(cache, f"{base}/private/notes")
    assert _allowed(cache, f"{base}/private/open/notes")  # the longer Allow wins
    assert robots_server.counts["/robots.txt"] == 1
    assert limiter.rate_for("127.0.0.1", "content") == pytest.approx(0.25)  # Crawl-delay 4 s caps 10/s


def test_crawl_delay_never_raises_a_slower_configured_rate(robots_server):
    limiter = HostRateLimiter(default_rate=0.1)
    cache = RobotsCache(_get, limiter, "newsarchive")
    assert _allowed(cache, f"{robots_server.base_url}/a")
    assert limiter.rate_for("127.0.0.1", "content") == pytest.approx(0.1)


def test_the_robots_url_of_an_ipv6_literal_host_keeps_its_brackets():
    asked = []

    def get(url: str) -> Response:
        asked.append(url)
        return Response(url, url, 200, "OK", {}, b"User-agent: *\nDisallow: /x\n")

    cache = RobotsCache(get, HostRateLimiter(), "newsarchive")
    assert not _allowed(cache, "http://[2001:db8::1]:8080/x/story")
    assert _allowed(cache, "http://[2001:db8::1]:8080/story")
    assert asked == ["http://[2001:db8::1]:8080/robots.txt"]
