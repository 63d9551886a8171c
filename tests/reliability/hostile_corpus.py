"""The hostile-input corpus of issue 16, generated: every case, its input and its expected outcome.

Each case is one URL line, sitemap entry, server answer or WARC record, driven through the real
`newsarchive run` by tests/reliability/test_hostile_input.py in a few grouped runs:

    private   no --allow-private-hosts: every spelling of a private address, redirects and
              sitemap entries pointing at one (a RecordingServer that must see no request),
              bad URL lines; the --archive prefix (trusted) serves the redirects and sitemaps
    hostile   --allow-private-hosts against a HostileServer: bombs, slow bodies and headers,
              bad headers, bad redirects, huge and pathological pages
    warc      a WARC file of hostile records (no network)
    stop      Ctrl-C while a body trickles in
    config    `allow_private_hosts` in newsarchive.toml (dry runs)

`python -m tests.reliability.hostile_corpus` prints the table of cases (markdown).
Nothing here is copied from real pages: bodies are made by the functions below.
"""

from __future__ import annotations

import gzip
import random
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from io import BytesIO
from pathlib import Path

import brotli
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from tests.reliability.hostile_server import chunked, trickle
from tests.support.factories import article_html

MB = 1024 * 1024
ANY_OUTCOME = "any"  # a pathological page whose outcome is the extractor's call: no crash is the point


@dataclass(frozen=True)
class Case:
    name: str  # also the marker in the case's URL: `case-<name>`
    run: str  # private | hostile | warc | stop | config
    what: str
    expect: str  # a rejection reason, "article", or ANY_OUTCOME
    line: str = ""  # private run: the URL line ({victim} {trusted} filled in); hostile: the route
    xfail: str = ""  # why it is expected to fail for now (another engineer's part)


# --- private addresses: URL lines (no --allow-private-hosts) --------------------------------

_PRIVATE_LINES = [
    ("loopback", "127.0.0.1", "http://127.0.0.1:{vport}/case-{name}"),
    ("decimal", "a decimal number", "http://2130706433:{vport}/case-{name}"),
    ("octal", "octal parts", "http://0177.0.0.1:{vport}/case-{name}"),
    ("hex", "one hex number", "http://0x7f000001:{vport}/case-{name}"),
    ("hex-dotted", "hex and short", "http://0x7f.1:{vport}/case-{name}"),
    ("short", "short form 127.1", "http://127.1:{vport}/case-{name}"),
    ("loopback-other", "another 127/8 address", "http://127.42.0.9:{vport}/case-{name}"),
    ("mapped", "IPv4-mapped IPv6", "http://[::ffff:127.0.0.1]:{vport}/case-{name}"),
    ("mapped-hex", "IPv4-mapped IPv6 in hex", "http://[::ffff:7f00:1]:{vport}/case-{name}"),
    ("ipv6-loopback", "[::1]", "http://[::1]:{vport}/case-{name}"),
    ("localhost", "localhost", "http://localhost:{vport}/case-{name}"),
    ("localhost-upper-dot", "LOCALHOST. (case, trailing dot)", "http://LOCALHOST.:{vport}/case-{name}"),
    ("sub-localhost", "a name under .localhost", "http://news.localhost:{vport}/case-{name}"),
    ("metadata", "cloud metadata 169.254.169.254", "http://169.254.169.254/latest/meta-data/case-{name}"),
    ("private-10", "10.0.0.8", "http://10.0.0.8/case-{name}"),
    ("private-192", "192.168.0.1", "http://192.168.0.1/case-{name}"),
    ("private-172", "172.16.5.4", "http://172.16.5.4/case-{name}"),
    ("unspecified", "0.0.0.0 (reaches this machine on Linux)", "http://0.0.0.0:{vport}/case-{name}"),
    ("cgnat", "shared 100.64.0.1", "http://100.64.0.1/case-{name}"),
    ("multicast", "multicast 224.0.0.1", "http://224.0.0.1/case-{name}"),
    ("link-local-v6", "[fe80::1]", "http://[fe80::1]/case-{name}"),
    ("unique-local-v6", "[fd00::1]", "http://[fd00::1]/case-{name}"),
    ("unspecified-v6", "[::]", "http://[::]:{vport}/case-{name}"),
    ("6to4", "6to4 of 127.0.0.1", "http://[2002:7f00:1::1]:{vport}/case-{name}"),
    ("nat64", "NAT64 of 127.0.0.1", "http://[64:ff9b::7f00:1]:{vport}/case-{name}"),
    (
        "untrusted-archive",
        "a replay URL on a local archive that is not --archive",
        "http://127.0.0.1:{vport}/coll/20200101000000/https://news.example/case-{name}",
    ),
    (
        "redirect-to-private",
        "302 from the trusted archive to another local server",
        "{trusted}/h/redirect-victim/case-{name}",
    ),
    (
        "redirect-to-localhost",
        "302 from the trusted archive to localhost",
        "{trusted}/h/redirect-localhost/case-{name}",
    ),
    ("https-private", "https to a private address", "https://127.0.0.1:{vport}/case-{name}"),
]
_BAD_LINES = [
    ("credentials", "user:password@ in the URL", "http://user:secret@news.example/case-{name}"),
    ("credentials-private", "credentials on a private host", "http://admin:admin@127.0.0.1:{vport}/case-{name}"),
    ("control-char", "a control character (\\x01)", "http://news.example/case-{name}/\x01x"),
    ("del-char", "DEL (\\x7f)", "http://news.example/case-{name}/\x7f"),
    ("nul-char", "NUL (\\x00)", "http://news.example/case-{name}/\x00"),
    ("long-line", "a 10,000-character URL", "http://news.example/case-{name}/" + "a" * 10_000),
    (
        "endless-line",
        "a 2 MB line (never read whole; the next line still counts)",
        "http://news.example/case-{name}/" + "b" * (2 * MB),
    ),
]
CASES: list[Case] = [
    *(Case(n, "private", f"private address: {w}", "private_address", t) for n, w, t in _PRIVATE_LINES),
    Case("sitemap-entry", "private", "a sitemap on the trusted archive lists a private URL", "private_address"),
    Case("sitemap-entry-localhost", "private", "a sitemap lists http://localhost:...", "private_address"),
    Case("nested-sitemap", "private", "a sitemap index lists a sitemap on a private address", "private_address"),
    Case(
        "trusted-article",
        "private",
        "a page on the --archive prefix's own origin (trusted)",
        "article",
        "{trusted}/h/article/case-{name}",
    ),
    *(Case(n, "private", f"URL line: {w}", "invalid_url", t) for n, w, t in _BAD_LINES),
    # --- hostile answers (--allow-private-hosts) --------------------------------------------
    Case("ok", "hostile", "an ordinary article (control)", "article", "article"),
    Case(
        "retry-after-superscript",
        "hostile",
        "503 with Retry-After: ² (isdigit, not int), then 200",
        "article",
        "retry-after-super",
    ),
    Case(
        "retry-after-bad-date",
        "hostile",
        "503 with a Retry-After date that is no date, then 200",
        "article",
        "retry-after-date",
    ),
    Case(
        "retry-after-20-digits", "hostile", "503 with a 20-digit Retry-After, then 200", "article", "retry-after-huge"
    ),
    Case("gzip-bomb", "hostile", "gzip body inflating to 64 MB (cap 20 MB)", "too_large", "gzip-bomb"),
    Case("deflate-bomb", "hostile", "deflate body inflating to 64 MB", "too_large", "deflate-bomb"),
    Case("brotli-bomb", "hostile", "br body inflating to 64 MB", "too_large", "br-bomb"),
    Case(
        "stacked-gzip-bomb",
        "hostile",
        "Content-Encoding: gzip, gzip (a bomb inside a bomb)",
        "too_large",
        "gzip-gzip-bomb",
    ),
    Case("chunked-huge", "hostile", "chunked body of 25 MB, no length", "too_large", "chunked-huge"),
    Case("chunked-gzip-bomb", "hostile", "chunked gzip bomb", "too_large", "chunked-gzip-bomb"),
    Case("length-huge", "hostile", "Content-Length: 52428800", "too_large", "length-huge"),
    Case("bad-gzip", "hostile", "Content-Encoding: gzip over bytes that are not gzip", "decode_error", "bad-gzip"),
    Case("slow-body", "hostile", "a body at 2 bytes/s (deadline 3 s per attempt)", "timeout", "slow-body"),
    Case("slow-headers", "hostile", "headers at 2 bytes/s", "timeout", "slow-headers"),
    Case(
        "single-line-15mb",
        "hostile",
        "a 15 MB single-line page (fetched whole, not extracted)",
        "too_large",
        "single-line-15mb",
    ),
    Case(
        "single-line-gzip",
        "hostile",
        "a 6 MB single-line page sent gzipped (decoded size counts)",
        "too_large",
        "single-line-gzip",
    ),
    Case(
        "slow-extraction",
        "hostile",
        "2 MB of <p><b><i> never closed (about 18 s to extract here; limit 5 s)",
        "extract_timeout",
        "slow-extraction",
    ),
    Case(
        "unclosed-inline",
        "hostile",
        "256 KB of <p><b><i> never closed (1.7 s to extract here; 40 s while the paragraph repair was quadratic)",
        ANY_OUTCOME,  # a faster extractor may make an article of it
        "unclosed-inline",
    ),
    Case("deep-nesting", "hostile", "100,000 nested <div>s", ANY_OUTCOME, "deep-nesting"),
    Case("binary-as-html", "hostile", "random bytes served as text/html", "not_html", "binary"),
    Case("nul-html", "hostile", "a page of NUL bytes served as text/html", "not_html", "nul-html"),
    Case("content-length-superscript", "hostile", "Content-Length: ² on an article", "article", "length-super"),
    Case("memento-garbage", "hostile", "Memento-Datetime that is no date", "article", "memento-garbage"),
    Case("link-garbage", "hostile", "a Link header of angle brackets", "article", "link-garbage"),
    Case("charset-garbage", "hostile", "Content-Type charset=\\x7f../../bogus", "article", "charset-garbage"),
    Case("unknown-encoding", "hostile", "Content-Encoding: x-evil on a plain page", "article", "unknown-encoding"),
    Case("location-unparsable", "hostile", "302 Location: http://[::1 (unparsable)", "bad_redirect", "location-broken"),
    Case("location-file", "hostile", "302 Location: file:///etc/passwd", "bad_redirect", "location-file"),
    Case("location-javascript", "hostile", "302 Location: javascript:alert(1)", "bad_redirect", "location-javascript"),
    Case("redirect-loop", "hostile", "302 to itself", "too_many_redirects", "redirect-loop"),
    Case("many-headers", "hostile", "150 response headers", "connection_error", "many-headers"),
    Case("header-line-huge", "hostile", "one 70 KB header line", "connection_error", "header-huge"),
    # --- WARC input ----------------------------------------------------------------------
    Case("warc-ok", "warc", "an ordinary article (control)", "article"),
    Case("warc-single-line-50mb", "warc", "a 50 MB single-line page in a record", "too_large"),
    Case("warc-record-bomb", "warc", "a 250 KB gzip member inflating to a 256 MB record", "too_large"),
    Case(
        "warc-encoded-bomb",
        "warc",
        "a record whose payload says Content-Encoding: gzip and inflates to 256 MB",
        "too_large",
    ),
    Case("warc-binary", "warc", "random bytes recorded as text/html", "not_html"),
    Case("warc-deep-nesting", "warc", "100,000 nested <div>s", ANY_OUTCOME),
    Case("warc-bad-hint", "warc", "Newsarchive-Published-Hint: not a date (the WARC is not lost)", "article"),
    # --- Ctrl-C and configuration --------------------------------------------------------
    Case("stop-slow-body", "stop", "Ctrl-C while a body trickles in at 2 bytes/s: exit 130 in seconds", "exit 130"),
    Case("config-allows", "config", "allow_private_hosts = true: a local sitemap is read (dry run)", "listed"),
    Case("config-refuses", "config", "the same config without it: one-line error naming private_address", "exit 1"),
]


def url_lines(run: str, *, vport: int, trusted: str) -> list[str]:
    """The URL lines of a run's cases (private run), in order."""
    return [
        case.line.format(vport=vport, trusted=trusted, name=case.name)
        for case in CASES
        if case.run == run and case.line
    ]


def write_url_list(path: Path, lines: list[str]) -> Path:
    with open(path, "w", encoding="utf-8", newline="\n") as handle:
        handle.write("# hostile corpus (tests/reliability/hostile_corpus.py)\n")
        for line in lines:
            handle.write(line + "\n")
    return path


def sitemap(urls: list[str], *, index: bool = False) -> bytes:
    tag, item = ("sitemapindex", "sitemap") if index else ("urlset", "url")
    entries = "".join(f"<{item}><loc>{url}</loc></{item}>" for url in urls)
    return f'<?xml version="1.0"?><{tag} xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</{tag}>'.encode()


# --- bodies ------------------------------------------------------------------------------


def article(title: str) -> bytes:
    return article_html(title, 6).encode()


def zeros(total: int, piece: int = MB) -> Iterator[bytes]:
    block = b"\0" * piece
    for _ in range(total // piece):
        yield block


@cache
def gzip_bomb(size: int = 64 * MB) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    return b"".join(compressor.compress(block) for block in zeros(size)) + compressor.flush()


@cache
def deflate_bomb(size: int = 64 * MB) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, zlib.MAX_WBITS)
    return b"".join(compressor.compress(block) for block in zeros(size)) + compressor.flush()


@cache
def brotli_bomb(size: int = 64 * MB) -> bytes:
    compressor = brotli.Compressor(quality=5)
    return b"".join(compressor.process(block) for block in zeros(size)) + compressor.finish()


def single_line_page(size: int) -> bytes:
    """One line of `size` bytes: a page with no newline at all."""
    head = b"<html><head><title>One line</title></head><body><p>"
    filler = b"word " * ((size - len(head)) // 5)
    return head + filler + b"</p></body></html>"


def unclosed_inline_page(size: int) -> bytes:
    """Lines of `<p><b><i>` never closed: the slowest shape per byte found for the extractor
    (its paragraph repair was quadratic here: 256 KB took 40 s; 1.7 s since it is linear)."""
    parts = [b"<html><head><title>Unclosed</title></head><body>"]
    total = 0
    number = 0
    while total < size:
        number += 1
        piece = f"<p><b><i>para {number} text text text\n".encode()
        parts.append(piece)
        total += len(piece)
    return b"".join(parts)


def nested_page(depth: int = 100_000) -> bytes:
    return b"<html><body>" + b"<div>" * depth + b"deep" + b"</div>" * depth + b"</body></html>"


def binary_body(size: int = 200_000) -> bytes:
    return random.Random(7).randbytes(size)


# --- the hostile server's routes ------------------------------------------------------------


def _once(kind: str, first: Callable) -> Callable:
    def answer(handler, count: int) -> None:
        if count == 1:
            return first(handler)
        handler.send(200, article(f"Second try after {kind}"))

    return answer


def _headers_then_article(headers: dict[str, str]) -> Callable:
    return lambda handler, count: handler.send(200, article("Odd headers"), headers)


def hostile_routes() -> dict[str, Callable]:
    """`/h/<kind>/...` → how the hostile server answers."""
    page = article("Plain page")
    slow_page = unclosed_inline_page(2 * MB)
    unclosed = unclosed_inline_page(256 * 1024)
    big_line = single_line_page(15 * MB)
    gzip_line = gzip.compress(single_line_page(6 * MB))

    def redirect(location: str) -> Callable:
        return lambda handler, count: handler.send(302, b"", {"Location": location})

    return {
        "article": lambda handler, count: handler.send(200, page),
        "retry-after-super": _once("superscript", lambda h: h.send(503, b"", {"Retry-After": "\u00b2"})),
        "retry-after-date": _once(
            "bad date", lambda h: h.send(503, b"", {"Retry-After": "Mon, 99 Foo 99999 99:99:99 GMT"})
        ),
        "retry-after-huge": _once("huge", lambda h: h.send(503, b"", {"Retry-After": "9" * 20})),
        "gzip-bomb": lambda handler, count: handler.send(200, gzip_bomb(), {"Content-Encoding": "gzip"}),
        "deflate-bomb": lambda handler, count: handler.send(200, deflate_bomb(), {"Content-Encoding": "deflate"}),
        "br-bomb": lambda handler, count: handler.send(200, brotli_bomb(), {"Content-Encoding": "br"}),
        "gzip-gzip-bomb": lambda handler, count: handler.send(
            200, gzip.compress(gzip_bomb()), {"Content-Encoding": "gzip, gzip"}
        ),
        "chunked-huge": lambda handler, count: chunked(
            handler, {}, lambda: (b"<p>" + b"x" * 65_000 for _ in range(400))
        ),
        "chunked-gzip-bomb": lambda handler, count: chunked(
            handler,
            {"Content-Encoding": "gzip"},
            lambda: (gzip_bomb()[i : i + 4096] for i in range(0, len(gzip_bomb()), 4096)),
        ),
        "length-huge": lambda handler, count: handler.send(200, b"<html>", {"Content-Length": str(50 * MB)}),
        "bad-gzip": lambda handler, count: handler.send(200, b"\x1f\x8bnot gzip at all", {"Content-Encoding": "gzip"}),
        "slow-body": lambda handler, count: trickle(
            handler, b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 4000\r\n\r\n", page[:4000], 1.0
        ),
        "slow-headers": lambda handler, count: trickle(
            handler, b"HTTP/1.1 200 OK\r\n", b"X-Slow: " + b"z" * 2000 + b"\r\n\r\n", 1.0
        ),
        "single-line-15mb": lambda handler, count: handler.send(200, big_line),
        "single-line-gzip": lambda handler, count: handler.send(200, gzip_line, {"Content-Encoding": "gzip"}),
        "slow-extraction": lambda handler, count: handler.send(200, slow_page),
        "unclosed-inline": lambda handler, count: handler.send(200, unclosed),
        "deep-nesting": lambda handler, count: handler.send(200, nested_page()),
        "binary": lambda handler, count: handler.send(200, binary_body()),
        "nul-html": lambda handler, count: handler.send(200, b"\0" * 100_000),
        "length-super": lambda handler, count: _raw(
            handler, b"Content-Length: \xc2\xb2\r\nConnection: close\r\n", page
        ),
        "memento-garbage": _headers_then_article({"Memento-Datetime": "Mon, 99 Foo 99999 99:99:99 GMT"}),
        "link-garbage": _headers_then_article({"Link": '<<<>>>; rel="original", <; rel=<'}),
        "charset-garbage": _headers_then_article({"Content-Type": "text/html; charset=\x7f../../bogus"}),
        "unknown-encoding": _headers_then_article({"Content-Encoding": "x-evil"}),
        "location-broken": redirect("http://[::1"),
        "location-file": redirect("file:///etc/passwd"),
        "location-javascript": redirect("javascript:alert(1)"),
        "redirect-loop": lambda handler, count: handler.send(302, b"", {"Location": handler.path}),
        "many-headers": _headers_then_article({f"X-Header-{n}": "x" for n in range(150)}),
        "header-huge": _headers_then_article({"X-Huge": "y" * 70_000}),
    }


def _raw(handler, header_lines: bytes, body: bytes) -> None:
    handler.close_connection = True
    handler.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n" + header_lines + b"\r\n" + body)


def hostile_lines(base: str) -> list[str]:
    """The hostile run's URL lines: `/h/<route>/case-<name>` on the hostile server."""
    return [f"{base}/h/{case.line}/case-{case.name}" for case in CASES if case.run == "hostile"]


def private_routes(victim: str) -> dict[str, Callable]:
    """The trusted archive's answers in the private run (redirects and sitemaps to `victim`)."""
    victim_port = victim.rsplit(":", 1)[1]
    entry = f"{victim}/case-sitemap-entry"
    entry_localhost = f"http://localhost:{victim_port}/case-sitemap-entry-localhost"
    nested = f"http://[::1]:{victim_port}/case-nested-sitemap.xml"
    return {
        "article": lambda handler, count: handler.send(200, article("Trusted archive page")),
        "redirect-victim": lambda handler, count: handler.send(302, b"", {"Location": f"{victim}/secret"}),
        "redirect-localhost": lambda handler, count: handler.send(
            302, b"", {"Location": f"http://localhost:{victim_port}/secret"}
        ),
        "sitemap": lambda handler, count: handler.send(
            200, sitemap([entry, entry_localhost]), {"Content-Type": "application/xml"}
        ),
        "sitemap-index": lambda handler, count: handler.send(
            200, sitemap([nested], index=True), {"Content-Type": "application/xml"}
        ),
    }


# --- the WARC file ----------------------------------------------------------------------------


class _Zeros:
    """A file-like payload of `size` zero bytes, never held whole."""

    def __init__(self, size: int) -> None:
        self.left = size

    def read(self, size: int = -1) -> bytes:
        size = self.left if size is None or size < 0 else min(size, self.left)
        size = min(size, MB)
        self.left -= size
        return b"\0" * size


def _record(writer: WARCWriter, url: str, payload, length: int, headers: list[tuple[str, str]], warc: dict) -> None:
    http_headers = StatusAndHeaders("200 OK", [*headers, ("Content-Length", str(length))], protocol="HTTP/1.1")
    record = writer.create_warc_record(
        url,
        "response",
        payload=payload,
        length=length,
        http_headers=http_headers,
        warc_headers_dict={"WARC-Date": "2021-06-01T08:00:00Z", **warc},
    )
    writer.write_record(record)


def write_warc_corpus(path: Path) -> Path:
    """The warc run's file: one record per warc case (gzipped, each record its own member)."""
    html = [("Content-Type", "text/html; charset=utf-8")]
    encoded_bomb = gzip_bomb(256 * MB)
    big_line = single_line_page(50 * MB)
    pages: list[tuple[str, object, int, list[tuple[str, str]], dict]] = [
        ("warc-ok", BytesIO(article("Quiet record")), len(article("Quiet record")), html, {}),
        ("warc-single-line-50mb", BytesIO(big_line), len(big_line), html, {}),
        ("warc-record-bomb", _Zeros(256 * MB), 256 * MB, html, {}),
        ("warc-encoded-bomb", BytesIO(encoded_bomb), len(encoded_bomb), [*html, ("Content-Encoding", "gzip")], {}),
        ("warc-binary", BytesIO(binary_body()), len(binary_body()), html, {}),
        ("warc-deep-nesting", BytesIO(nested_page()), len(nested_page()), html, {}),
        (
            "warc-bad-hint",
            BytesIO(article("Hinted record")),
            len(article("Hinted record")),
            html,
            {"Newsarchive-Published-Hint": "not a date \u00b2"},
        ),
    ]
    with open(path, "wb") as handle:
        writer = WARCWriter(handle, gzip=True)
        for name, payload, length, headers, warc in pages:
            _record(writer, f"https://news.example/case-{name}", payload, length, headers, warc)
    return path


def markdown_table() -> str:
    rows = ["| # | run | case | input | expected |", "|---|---|---|---|---|"]
    for number, case in enumerate(CASES, start=1):
        rows.append(f"| {number} | {case.run} | {case.name} | {case.what} | {case.expect} |")
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
