"""Real HTTP servers on 127.0.0.1 for the fetcher tests and the fetch benchmark.

`FaultServer` answers each path with one kind of fault (429 with Retry-After, 503, 500, a
connection reset, a stall past the client's timeout, a truncated body, a redirect loop, a body
over the size cap, a PDF, a wrong charset, an empty 200, ...). Paths under `/once/` fail on the
first request only and succeed afterwards, so tests can check that transient faults are retried.
The server records when every request arrived, so tests can check the client's rate limit.
`RouteServer` answers paths from Python functions (sitemaps, a Wayback-style CDX API).
`running_moto` is a real S3 API server (moto) for the object-storage tests.
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

from tests.support.factories import article_html

ROBOTS_TXT = b"User-agent: *\nDisallow: /private/\n"
# Latin-1 bytes declared as UTF-8: the fetcher must deliver them unchanged.
WRONG_CHARSET_BODY = article_html("Caf\u00e9 cr\u00e8me at the quay").encode("latin-1")
PDF_BODY = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so the client's pooling is exercised
    server: FaultServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(
        self,
        status: int,
        body: bytes = b"",
        content_type: str = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        content_length: int | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body) if content_length is None else content_length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def _reset(self) -> None:
        """Abort the connection with a TCP RST, before any response."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path = urlsplit(self.path).path
        first_time = self.server.record(path)
        if self.server.latency:
            time.sleep(self.server.latency)
        fault_now = first_time or not path.startswith("/once/")
        kind = path.removeprefix("/once/").removeprefix("/always/").split("/", 1)[0]
        if path == "/robots.txt":
            return self._send(200, ROBOTS_TXT, "text/plain")
        if path.startswith(("/ok/", "/private/")):
            return self._send(
                200, article_html(path).encode(), headers={"Link": f'<http://news.example{path}>; rel="original"'}
            )
        if path.startswith(("/once/", "/always/")) and fault_now:
            return self._fault(kind, path)
        if path.startswith("/once/"):
            return self._send(200, article_html(path).encode())
        if path.startswith("/redirect/"):
            return self._send(301, headers={"Location": "/ok/" + path.removeprefix("/redirect/")})
        if path.startswith("/loop/"):
            hop = int(path.rsplit("/", 1)[1])
            return self._send(302, headers={"Location": f"/loop/{(hop + 1) % 2}"})
        if path == "/pdf":
            return self._send(200, PDF_BODY, "application/pdf")
        if path == "/wrong-charset":
            return self._send(200, WRONG_CHARSET_BODY, "text/html; charset=utf-8")
        if path == "/lowercase-pdf":  # header names in lower case, as HTTP/2-era servers write them
            self.send_response(200)
            self.send_header("content-type", "application/pdf")
            self.send_header("content-length", str(len(PDF_BODY)))
            self.end_headers()
            self.wfile.write(PDF_BODY)
            return None
        if path == "/empty":
            return self._send(200, b"")
        if path == "/big":
            return self._send(200, b"<html>" + b"x" * self.server.big_bytes + b"</html>")
        if path == "/big-chunked":
            return self._chunked(b"<p>" + b"y" * 1000 + b"</p>", self.server.big_bytes // 1000 + 2)
        if path == "/gone":
            return self._send(410, b"<html>gone</html>")
        return self._send(404, b"<html>not here</html>")

    def _chunked(self, piece: bytes, count: int) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            for _ in range(count):
                self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.close_connection = True  # the client stopped reading: that is the point

    def _fault(self, kind: str, path: str) -> None:
        if kind == "429":
            return self._send(429, b"slow down", "text/plain", {"Retry-After": str(self.server.retry_after)})
        if kind == "429bare":
            return self._send(429, b"slow down", "text/plain")
        if kind == "503":
            return self._send(503, b"busy", "text/plain", {"Retry-After": str(self.server.retry_after)})
        if kind == "500":
            return self._send(500, b"oops", "text/plain")
        if kind == "reset":
            return self._reset()
        if kind == "stall":
            time.sleep(self.server.stall_seconds)
            self.close_connection = True
            try:
                return self._send(200, article_html(path).encode())
            except OSError:
                return None
        if kind == "truncated":
            body = article_html(path).encode()
            self.close_connection = True
            return self._send(200, body[: len(body) // 2], content_length=len(body))
        return self._send(404, b"<html>unknown fault</html>")


class FaultServer(ThreadingHTTPServer):
    """A ThreadingHTTPServer in a background thread; use as a context manager."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self, *, latency: float = 0.0, retry_after: int = 1, stall_seconds: float = 2.0, big_bytes: int = 200_000
    ) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.latency = latency
        self.retry_after = retry_after
        self.stall_seconds = stall_seconds
        self.big_bytes = big_bytes
        self.arrivals: list[float] = []  # time.monotonic() of every request
        self.counts: Counter[str] = Counter()  # requests per path
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name="fault-server", daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def record(self, path: str) -> bool:
        """Count a request; True when it is the first for this path."""
        with self._lock:
            self.arrivals.append(time.monotonic())
            self.counts[path] += 1
            return self.counts[path] == 1

    def handle_error(self, request, client_address) -> None:
        pass  # resets and clients that gave up are what this server is for

    def max_requests_in_window(self, window: float = 1.0) -> int:
        """The most requests that arrived within any `window` seconds (sliding)."""
        with self._lock:
            times = sorted(self.arrivals)
        best = 0
        start = 0
        for end, arrived in enumerate(times):
            while arrived - times[start] >= window:
                start += 1
            best = max(best, end - start + 1)
        return best

    def __enter__(self) -> FaultServer:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.shutdown()
        self.server_close()
        self._thread.join(timeout=5)


class _RouteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RouteServer

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        self.server.record(parts.path)
        self.server.requests.append((parts.path, query))
        route = self.server.routes.get(parts.path)
        if route is None:
            status, content_type, body = 404, "text/plain", b"no such route"
        else:
            status, content_type, body = route(query)
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


Route = Callable[[dict[str, list[str]]], tuple[int, str, bytes]]


class RouteServer(FaultServer):
    """A server whose paths answer from Python functions: `routes[path](query) ->
    (status, content_type, body)`. For sitemaps and a Wayback-style CDX API."""

    def __init__(self, routes: dict[str, Route]) -> None:
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", 0), _RouteHandler)
        self.routes = routes
        self.requests: list[tuple[str, dict[str, list[str]]]] = []
        self.latency = 0.0
        self.arrivals = []
        self.counts = Counter()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, name="route-server", daemon=True)


S3_BUCKET = "newsarchive-test"  # the bucket the `s3` fixture (tests/conftest.py) makes afresh per test


@contextmanager
def running_moto() -> Iterator[str]:
    """A moto S3 API server on a free port of 127.0.0.1, in a thread; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
