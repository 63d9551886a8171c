"""The polite fetcher against a real fault-injecting server on 127.0.0.1.

Timeouts, back-off and Retry-After are scaled down so the whole file runs in seconds; the
behaviour under test (which faults retry, which do not, the rate never exceeded) is the same.
"""

from __future__ import annotations

import random
import socket
import threading
import time
from datetime import UTC, datetime

import pytest
from fastwarc.warc import ArchiveIterator, WarcRecordType

from flows.acquire.addresses import AddressPolicy
from flows.acquire.captures import CaptureRef
from flows.acquire.fetching import fetch_batch
from flows.acquire.http import USER_AGENT, Fetcher, RetryPolicy
from flows.acquire.limits import HostRateLimiter, parse_rates
from flows.acquire.rawarchive import RawArchive
from flows.acquire.responses import PermanentFetchError, Response, TransientFetchError, is_html, parse_retry_after
from flows.acquire.sessions import SessionPool
from flows.acquire.warc import read_capture_at
from tests.support.servers import PDF_BODY, WRONG_CHARSET_BODY, FaultServer

LOOPBACK_ALLOWED = AddressPolicy(allow_private=True)  # as --allow-private-hosts

RATE = 20.0  # requests per second to 127.0.0.1 in these tests


def small_fetcher(
    *,
    rate: float = RATE,
    user_agent: str = USER_AGENT,
    respect_robots: bool = True,
    archive_hosts: frozenset[str] = frozenset(),
    **retry: float,
) -> Fetcher:
    """A fetcher with small timeouts and back-off; `retry` overrides RetryPolicy fields."""
    policy: dict = dict(
        connect_timeout=1.0, read_timeout=0.5, total_timeout=5.0, max_retries=3, backoff_base=0.05, backoff_max=0.2
    )
    policy.update(retry)
    return Fetcher(
        HostRateLimiter(host_limits={"127.0.0.1": rate}),
        retry=RetryPolicy(**policy),
        sessions=SessionPool(user_agent),
        max_bytes=50_000,
        max_redirects=5,
        respect_robots=respect_robots,
        archive_hosts=archive_hosts,
        policy=LOOPBACK_ALLOWED,  # the test servers listen on 127.0.0.1
    )


@pytest.fixture()
def fault_server():
    with FaultServer(retry_after=1, stall_seconds=1.5, big_bytes=200_000) as server:
        yield server


# path -> (expected error_reason or None for success, expected minimum attempts)
OUTCOMES = {
    "/ok/1": (None, 1),
    "/ok/2": (None, 1),
    "/once/429/a": (None, 2),  # 429 with Retry-After: every worker waits, then it succeeds
    "/once/503/a": (None, 2),  # 503 with Retry-After
    "/once/500/a": (None, 2),  # 500: exponential back-off, then success
    "/once/reset/a": (None, 2),  # TCP reset before any answer
    "/once/stall/a": (None, 2),  # no answer within the read timeout
    "/once/truncated/a": (None, 2),  # Content-Length larger than what was sent
    "/always/500/b": ("http_500", 4),  # still failing after all retries
    "/always/stall/b": ("timeout", 4),
    "/always/truncated/b": ("truncated", 4),
    "/always/reset/b": ("connection_error", 4),
    "/missing": ("http_404", 1),  # permanent: never retried
    "/gone": ("http_410", 1),
    "/loop/0": ("too_many_redirects", 1),
    "/big": ("too_large", 1),  # Content-Length over the cap: not downloaded
    "/big-chunked": ("too_large", 1),  # no length: stopped while streaming
    "/pdf": ("not_html", 1),  # known from Content-Type before download
    "/private/secret": ("robots_disallowed", 0),
    "/redirect/landed": (None, 1),
    "/wrong-charset": (None, 1),  # bytes delivered unchanged; decoding is extraction's job
    "/empty": (None, 1),  # an empty 200 is a response; extraction rejects it as `empty`
}


def test_every_fault_ends_with_the_right_outcome_within_the_rate_limit(fault_server, tmp_path):
    refs = [CaptureRef(url=fault_server.base_url + path) for path in OUTCOMES]
    fetcher = small_fetcher()
    started = time.monotonic()
    with fetcher, RawArchive(tmp_path / "warc") as archive:
        captures = fetch_batch(refs, fetcher, archive, max_workers=8)
    elapsed = time.monotonic() - started

    assert [c.ref for c in captures] == refs  # input order
    for capture, (path, (reason, min_attempts)) in zip(captures, OUTCOMES.items(), strict=True):
        assert capture.error_reason == reason, (path, capture.error_reason, capture.error_detail)
        assert capture.attempt_count >= min_attempts, (path, capture.attempt_count)
        if reason is None:
            assert capture.http_status == 200, path
        if reason in ("http_404", "http_410", "too_large", "not_html", "too_many_redirects", "robots_disallowed"):
            assert capture.attempt_count <= 1, (path, "permanent errors are not retried")
    assert fault_server.counts["/missing"] == 1
    # Transient faults were retried, once each, and the retry succeeded.
    for path in ("/once/429/a", "/once/503/a", "/once/500/a", "/once/reset/a", "/once/truncated/a"):
        assert fault_server.counts[path] == 2, path
    # Never more than RATE requests in any one-second window, robots.txt included.
    assert fault_server.max_requests_in_window(1.0) <= RATE
    assert elapsed < 30


def test_successful_bodies_are_the_exact_bytes(fault_server, tmp_path):
    base = fault_server.base_url
    refs = [
        CaptureRef(url=base + "/wrong-charset"),
        CaptureRef(url=base + "/empty"),
        CaptureRef(url=base + "/redirect/landed"),
    ]
    with small_fetcher() as fetcher, RawArchive(tmp_path) as archive:
        wrong, empty, redirected = fetch_batch(refs, fetcher, archive)
    assert wrong.body == WRONG_CHARSET_BODY
    assert wrong.content_type == "text/html; charset=utf-8"
    assert empty.body == b"" and empty.http_status == 200
    assert redirected.redirects == (base + "/redirect/landed",)
    assert redirected.final_url == base + "/ok/landed"
    assert redirected.original_url == "http://news.example/ok/landed"  # from Link rel="original"
    assert b"/ok/landed" in redirected.body


def test_retry_after_holds_back_every_worker(fault_server):
    """After one worker gets 429 + Retry-After: 1, no worker sends to that host for ~1 s."""
    base = fault_server.base_url
    fetcher = small_fetcher(rate=1000.0)
    refs = [CaptureRef(url=base + "/once/429/x")] + [CaptureRef(url=f"{base}/ok/{i}") for i in range(6)]
    # Let the 429 land first, then start the others while the host is blocked.
    first = threading.Thread(target=lambda: fetcher.fetch(refs[0]))
    first.start()
    deadline = time.monotonic() + 5
    while fetcher.limiter.blocked_for("127.0.0.1") == 0 and time.monotonic() < deadline:
        time.sleep(0.002)
    blocked_at = time.monotonic()
    assert fault_server.counts["/once/429/x"] == 1
    others = fetch_batch(refs[1:], fetcher, None, max_workers=6)
    first.join()
    assert all(c.error_reason is None for c in others)
    arrivals_after = [t for t in fault_server.arrivals if t > blocked_at]
    assert arrivals_after and min(arrivals_after) - blocked_at >= 0.8  # Retry-After: 1, minus the head start
    fetcher.close()


def test_pdf_body_is_not_downloaded(fault_server):
    with small_fetcher() as fetcher:
        capture = fetcher.fetch(CaptureRef(url=fault_server.base_url + "/pdf"))
    assert capture.error_reason == "not_html"
    assert capture.body == b"" and capture.content_type == "application/pdf"
    assert len(PDF_BODY) > 0


def test_get_raises_typed_errors(fault_server):
    with small_fetcher(max_retries=1) as fetcher:
        with pytest.raises(PermanentFetchError) as permanent:
            fetcher.get(fault_server.base_url + "/missing")
        assert permanent.value.reason == "http_404" and permanent.value.attempt_count == 1
        with pytest.raises(TransientFetchError) as transient:
            fetcher.get(fault_server.base_url + "/always/500/get")
        assert transient.value.reason == "http_500" and transient.value.attempt_count == 2


def test_unreachable_host_is_a_connection_error():
    # A port nothing listens on: refused at once, retried, then reported.
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with small_fetcher(max_retries=1, respect_robots=False) as fetcher:
        capture = fetcher.fetch(CaptureRef(url=f"http://127.0.0.1:{port}/x"))
    assert capture.error_reason == "connection_error"
    assert capture.attempt_count == 2


def test_responses_are_archived_as_warc_records(fault_server, tmp_path):
    base = fault_server.base_url
    captured_at = datetime(2021, 3, 4, 5, 6, 7, tzinfo=UTC)
    archived = CaptureRef(
        url="http://news.example/ok/arch", archive_url=base + "/ok/arch", captured_at=captured_at, source="cdx"
    )
    live = CaptureRef(url=base + "/ok/live")
    missing = CaptureRef(url=base + "/missing")
    with small_fetcher() as fetcher, RawArchive(tmp_path / "warc") as archive:
        captures = fetch_batch([archived, live, missing], fetcher, archive)
    for capture in captures:
        assert capture.warc_file is not None and capture.warc_offset is not None
        back = read_capture_at(capture.warc_file, capture.warc_offset)
        assert back.body == capture.body
        assert back.http_status == capture.http_status
        assert back.ref.url == capture.ref.url  # WARC-Target-URI: the original URL
        assert back.ref.archive_url == capture.ref.archive_url  # WARC-Source-URI
    assert captures[0].ref.capture_id == read_capture_at(captures[0].warc_file, captures[0].warc_offset).ref.capture_id
    with open(captures[0].warc_file, "rb") as handle:
        records = list(ArchiveIterator(handle, parse_http=False))
    kinds = [r.record_type for r in records]
    assert kinds.count(WarcRecordType.response) == 3 and kinds.count(WarcRecordType.request) == 3
    assert kinds[0] == WarcRecordType.warcinfo
    responses = {
        r.headers.get("WARC-Target-URI"): r.headers for r in records if r.record_type == WarcRecordType.response
    }
    assert responses["http://news.example/ok/arch"].get("WARC-Date") == "2021-03-04T05:06:07Z"  # the archive's time
    for capture in captures:
        headers = responses[capture.ref.url]
        assert headers.get("Newsarchive-Capture-Id") == capture.ref.capture_id
        assert headers.get("Newsarchive-Source") == capture.ref.source


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("5", 5.0),  # delta-seconds
        ("Thu, 01 Jan 1970 00:00:10 GMT", 10.0),  # an HTTP date, `now` pinned to the epoch
        ("soon", None),  # garbage is ignored, not trusted
        (None, None),
        ("\u00b2", None),  # '²' passes str.isdigit() and fails int(): ignored, no crash
        ("\u0663", None),  # an Arabic-Indic digit: not delta-seconds
        ("-5", None),
        ("9" * 20, None),  # absurd: ignored (the back-off applies)
        ("Mon, 99 Foo 99999 99:99:99 GMT", None),
    ],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value, now=0.0) == expected


def test_parse_rates():
    assert parse_rates(["3"]) == (3.0, {})
    assert parse_rates(["web.archive.org=8", "1.5"]) == (1.5, {"web.archive.org": 8.0})
    with pytest.raises(ValueError):
        parse_rates(["fast"])
    with pytest.raises(ValueError):
        parse_rates(["0"])


def test_fetcher_from_cli_options():
    from flows.acquire.fetching import fetcher_from_options

    fetcher = fetcher_from_options(rates=["3", "news.example=1", "cdx=0.2"], archive="http://127.0.0.1:8080/coll")
    assert fetcher.limiter.rate_for("web.archive.org") == 3.0  # a plain rate applies to the archive too
    assert fetcher.limiter.rate_for("any.example") == 3.0
    assert fetcher.limiter.rate_for("news.example") == 1.0
    assert fetcher.limiter.rate_for("web.archive.org", "cdx") == 0.2
    assert "127.0.0.1" in fetcher.archive_hosts
    assert fetcher.user_agent == USER_AGENT and USER_AGENT.startswith("newsarchive/")
    polite = fetcher_from_options()
    assert (
        polite.limiter.rate_for("web.archive.org") == 4.0 and polite.limiter.rate_for("web.archive.org", "cdx") == 0.4
    )
    custom = fetcher_from_options(user_agent="research-bot/2.0 (+mailto:me@example.org)")
    assert custom.robots_agent == "research-bot"


def test_user_agent_is_sent_and_robots_rules_match_it(fault_server):
    base = fault_server.base_url
    with small_fetcher(user_agent="research-bot/2.0 (+mailto:me@example.org)") as fetcher:
        ok = fetcher.fetch(CaptureRef(url=base + "/ok/ua"))
        private = fetcher.fetch(CaptureRef(url=base + "/private/ua"))
        # An archive URL is a capture, not the live site: robots.txt does not apply.
        archived = fetcher.fetch(CaptureRef(url="http://news.example/private/ua", archive_url=base + "/private/ua"))
    assert ok.request_headers["User-Agent"] == "research-bot/2.0 (+mailto:me@example.org)"
    assert private.error_reason == "robots_disallowed"
    assert archived.error_reason is None
    assert fault_server.counts["/robots.txt"] == 1  # fetched once per host, not per URL


def test_fetch_stream_yields_batches_in_order_and_overlaps_with_the_consumer(fault_server, tmp_path):
    from flows.acquire.fetching import fetch_stream

    base = fault_server.base_url
    refs = [CaptureRef(url=f"{base}/ok/s{i}") for i in range(25)] + [CaptureRef(url=base + "/missing")]
    with small_fetcher(rate=200.0) as fetcher, RawArchive(tmp_path) as archive:
        batches = []
        for batch in fetch_stream(iter(refs), fetcher, archive, max_workers=4, batch_size=10):
            if not batches:
                seen_before = len(fault_server.arrivals)
                time.sleep(0.3)  # the caller "extracts"; fetching goes on meanwhile
                assert len(fault_server.arrivals) > seen_before
            batches.append(batch)
    assert [len(b) for b in batches] == [10, 10, 6]
    captures = [c for b in batches for c in b]
    assert [c.ref for c in captures] == refs
    assert captures[-1].error_reason == "http_404" and captures[-1].warc_file
    assert all(c.error_reason is None and c.warc_offset is not None for c in captures[:-1])


def test_fetch_stream_stops_cleanly_when_the_caller_stops(fault_server):
    from flows.acquire.fetching import fetch_stream

    base = fault_server.base_url

    def endless():
        i = 0
        while True:
            yield CaptureRef(url=f"{base}/ok/e{i}")
            i += 1

    with small_fetcher(rate=200.0) as fetcher:
        stream = fetch_stream(endless(), fetcher, None, max_workers=2, batch_size=5, buffered_batches=2)
        first = next(stream)
        stream.close()
    assert len(first) == 5
    assert len(fault_server.arrivals) <= 1 + 5 * 2 + 2  # robots.txt + the buffer, not the endless input


def test_429_without_retry_after_waits_and_halves_the_rate(fault_server):
    base = fault_server.base_url
    with small_fetcher(default_retry_after=0.5) as fetcher:
        started = time.monotonic()
        capture = fetcher.fetch(CaptureRef(url=base + "/once/429bare/x"))
        waited = time.monotonic() - started
        assert capture.error_reason is None and capture.attempt_count == 2
        assert waited >= 0.5
        assert fetcher.limiter.rate_for("127.0.0.1") == RATE / 2


def test_header_names_are_matched_in_any_case(fault_server):
    with small_fetcher() as fetcher:
        capture = fetcher.fetch(CaptureRef(url=fault_server.base_url + "/lowercase-pdf"))
    assert capture.error_reason == "not_html"
    assert capture.content_type == "application/pdf"


def test_unreachable_robots_txt_forbids_the_url_for_this_run_only():
    """RFC 9309: an unreachable robots.txt means disallow; the ledger retries it next run."""
    from warehouse.ledger import is_transient

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fetcher = Fetcher(
        HostRateLimiter(),
        retry=RetryPolicy(max_retries=0, connect_timeout=1, backoff_base=0.01),
        policy=LOOPBACK_ALLOWED,
    )
    capture = fetcher.fetch(CaptureRef(url=f"http://127.0.0.1:{port}/news/story"))
    assert capture.error_reason == "robots_unreachable"
    assert is_transient(capture.error_reason)


@pytest.mark.parametrize(
    ("content_type", "html"),
    [
        ("text/html", True),
        ("text/html; charset=utf-8", True),
        ("Application/XHTML+XML", True),  # media types are case-insensitive
        ("application/pdf", False),
        ("text/plain", False),  # extraction reads it, but the fetcher and CDX do not ask for it
        ("", False),
        (None, False),  # unknown: the fetcher lets it through and extraction decides
    ],
)
def test_is_html(content_type, html):
    assert is_html(content_type) is html


class _NoJitter(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return 1.0


def test_retry_policy_delays():
    policy = RetryPolicy(backoff_base=1.0, backoff_max=5.0, default_retry_after=30.0, max_retry_after=60.0)
    timeout = TransientFetchError("timeout")
    # exponential back-off, capped
    assert [policy.delay(attempt, timeout, _NoJitter()) for attempt in (1, 2, 3, 4)] == [1.0, 2.0, 4.0, 5.0]
    # Retry-After wins over back-off, cut to max_retry_after
    assert policy.delay(1, TransientFetchError("http_503", retry_after=7.0), _NoJitter()) == 7.0
    assert policy.delay(1, TransientFetchError("http_503", retry_after=900.0), _NoJitter()) == 60.0
    # a 429 without Retry-After waits default_retry_after at least
    refused = Response(url="u", final_url="u", status=429, reason_phrase="", headers={}, body=b"")
    assert policy.delay(1, TransientFetchError("http_429", response=refused), _NoJitter()) == 30.0
    # jitter spreads the workers' retries between half and one and a half times the back-off
    delays = {policy.delay(2, timeout, random.Random(seed)) for seed in range(20)}
    assert len(delays) > 1 and all(1.0 <= delay <= 3.0 for delay in delays)


def test_default_retry_after_cap_is_five_minutes():
    assert RetryPolicy().max_retry_after == 300.0
    error = TransientFetchError("http_503", retry_after=10**9)
    assert RetryPolicy().delay(1, error, _NoJitter()) == 300.0


@pytest.mark.parametrize(
    ("host", "refused"),
    [
        ("127.0.0.1", True),
        ("2130706433", True),  # decimal
        ("0177.0.0.1", True),  # octal
        ("0x7f.1", True),  # hex, short
        ("127.1", True),
        ("[::ffff:127.0.0.1]", True),  # IPv4-mapped
        ("[::1]", True),
        ("[2002:a00:1::]", True),  # 6to4 of 10.0.0.1
        ("localhost.", True),
        ("169.254.169.254", True),
        ("100.64.0.1", True),  # shared address space
        ("224.0.0.1", True),  # multicast
        ("93.184.216.34", False),
        ("[2606:4700::1111]", False),
        ("news.example", False),  # a name: judged after DNS, by the connection
    ],
)
def test_refusal_without_dns(host, refused):
    from flows.acquire.addresses import refusal_without_dns

    assert (refusal_without_dns(host) is not None) == refused


def test_a_name_that_resolves_to_a_private_address_is_refused_after_dns(fault_server):
    """/etc/hosts names this machine (`vm`, `runsc`, or whatever `socket.gethostname()` is):
    a real resolution to 127.0.0.x, refused before and at connection time."""
    from flows.acquire.addresses import AddressRefused, resolve_public

    name = socket.gethostname()
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(name, 80)}
    except OSError:
        pytest.skip(f"{name} does not resolve here")
    if not any(address.startswith(("127.", "::1")) for address in addresses):
        pytest.skip(f"{name} resolves to {addresses}, not to loopback")
    with pytest.raises(AddressRefused, match="resolves to a loopback"):
        resolve_public(name, 80)
    port = fault_server.base_url.rsplit(":", 1)[1]
    refused = Fetcher(HostRateLimiter(), retry=RetryPolicy(max_retries=0))
    capture = refused.fetch(CaptureRef(url=f"http://{name}:{port}/ok/by-name"))
    assert capture.error_reason == "private_address" and "loopback" in (capture.error_detail or "")
    assert fault_server.counts == {}
    # The connection layer checks too, when the early look is skipped (archived: no robots.txt)
    with pytest.raises(PermanentFetchError) as raised:
        refused.get(f"http://{name}:{port}/ok/by-name", archived=True)
    assert raised.value.reason == "private_address" and fault_server.counts == {}


def test_the_trusted_archive_origin_is_fetched_and_others_are_not(fault_server):
    from flows.acquire.addresses import AddressPolicy

    policy = AddressPolicy.of(trusted=[f"{fault_server.base_url}/coll"])
    fetcher = Fetcher(HostRateLimiter(host_limits={"127.0.0.1": 50}), retry=RetryPolicy(max_retries=0), policy=policy)
    assert fetcher.fetch(CaptureRef(url=f"{fault_server.base_url}/ok/a")).error_reason is None
    # the same server by another spelling is another origin: refused
    other = fault_server.base_url.replace("127.0.0.1", "127.1")
    assert fetcher.fetch(CaptureRef(url=f"{other}/ok/a")).error_reason == "private_address"


def test_a_slow_body_ends_at_the_attempt_deadline(fault_server):
    """The fault server's stall sends headers, then waits; a trickle would too: the deadline
    is wall-clock, not per read."""
    from tests.reliability.hostile_server import HostileServer, trickle

    page = b"<html><body>" + b"x" * 2000 + b"</body></html>"
    routes = {
        "slow": lambda handler, count: trickle(
            handler, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 2027\r\n\r\n", page, 0.5
        )
    }
    with HostileServer(routes) as server:
        fetcher = small_fetcher(total_timeout=1.5, read_timeout=5.0, max_retries=0)
        started = time.monotonic()
        capture = fetcher.fetch(CaptureRef(url=f"{server.base_url}/h/slow/x"))
        elapsed = time.monotonic() - started
    assert capture.error_reason == "timeout", capture.error_detail
    assert elapsed < 4.0  # the deadline (1.5 s) plus robots.txt, not the 5 s read timeout


def test_a_stop_ends_a_request_in_flight(fault_server):
    from tests.reliability.hostile_server import HostileServer, trickle

    routes = {
        "slow": lambda handler, count: trickle(
            handler, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 999\r\n\r\n", b"y" * 999, 0.5
        )
    }
    stop = threading.Event()
    with HostileServer(routes) as server:
        fetcher = small_fetcher(total_timeout=60.0, read_timeout=5.0, max_retries=0)
        fetcher.stop = stop
        threading.Timer(1.0, stop.set).start()
        started = time.monotonic()
        capture = fetcher.fetch(CaptureRef(url=f"{server.base_url}/h/slow/x"))
        elapsed = time.monotonic() - started
    assert capture.error_reason == "interrupted"
    assert elapsed < 3.0


@pytest.mark.parametrize(
    ("coding", "encode"),
    [
        ("gzip", lambda data: __import__("gzip").compress(data)),
        ("deflate", lambda data: __import__("zlib").compress(data)),
        ("br", lambda data: __import__("brotli").compress(data)),
        ("gzip, br", lambda data: __import__("brotli").compress(__import__("gzip").compress(data))),
    ],
)
def test_content_codings_are_undone_under_the_cap(coding, encode):
    from flows.acquire.sessions import decode_body

    page = b"<html><body>hello</body></html>"
    assert decode_body(encode(page), coding, "u", 1000) == page
    with pytest.raises(PermanentFetchError) as raised:
        decode_body(encode(b"\0" * 5000), coding, "u", 1000)
    assert raised.value.reason == "too_large"
