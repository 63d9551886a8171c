"""Real HTTP servers on 127.0.0.1 that answer as an attacker's site would (issue 16's corpus).

`HostileServer` answers `/h/<kind>/...` with one hostile response each (bombs, slow bodies,
bad headers, bad redirects, huge pages); the bodies are made by `tests/reliability/hostile_corpus.py`.
`RecordingServer` answers every request with a small page and counts the requests: the
"internal" server that private-address cases must never reach.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

Answer = Callable[["_Handler"], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path = urlsplit(self.path).path
        with self.server.lock:
            self.server.counts[path] += 1
            count = self.server.counts[path]
        self.server.answer(self, path, count)

    def send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        """A whole response; Content-Type and Content-Length unless `headers` name them."""
        self.send_response(status)
        headers = {"Content-Type": "text/html; charset=utf-8", **(headers or {})}
        if "Content-Length" not in headers and "Transfer-Encoding" not in headers:
            headers["Content-Length"] = str(len(body))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.write(body)

    def write(self, data: bytes) -> bool:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except OSError:  # the client gave up (a cap or a deadline): what the case expects
            self.close_connection = True
            return False
        return True


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, answer: Callable[[_Handler, str, int], None]) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.answer = answer
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()

    def handle_error(self, request: object, client_address: object) -> None:
        """Quiet: a client that resets the connection (a cap, a deadline) is what a case expects."""


class _Running:
    def __init__(self, answer: Callable[[_Handler, str, int], None]) -> None:
        self.server = _Server(answer)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    @property
    def counts(self) -> Counter[str]:
        return self.server.counts

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class RecordingServer(_Running):
    """Answers everything with a page and counts what reached it (nothing should)."""

    def __init__(self) -> None:
        def answer(handler: _Handler, path: str, count: int) -> None:
            handler.send(200, b"<html><body><p>internal secret</p></body></html>")

        super().__init__(answer)


def trickle(handler: _Handler, head: bytes, body: bytes, every: float) -> None:
    """Send `head` at once, then `body` two bytes at a time, `every` seconds apart."""
    if not handler.write(head):
        return
    for start in range(0, len(body), 2):
        time.sleep(every)
        if not handler.write(body[start : start + 2]):
            return


def chunked(handler: _Handler, headers: dict[str, str], pieces: Callable[[], object]) -> None:
    """A chunked response whose chunks come from `pieces()` (an iterable of bytes)."""
    handler.send_response(200)
    for name, value in {"Content-Type": "text/html", **headers, "Transfer-Encoding": "chunked"}.items():
        handler.send_header(name, value)
    handler.end_headers()
    for piece in pieces():  # type: ignore[attr-defined]
        if not handler.write(b"%x\r\n%s\r\n" % (len(piece), piece)):
            return
    handler.write(b"0\r\n\r\n")


class HostileServer(_Running):
    """`/h/<kind>/<case>`: `routes[kind](handler, count)` answers (count: requests to that path)."""

    def __init__(self, routes: dict[str, Callable[[_Handler, int], None]]) -> None:
        def answer(handler: _Handler, path: str, count: int) -> None:
            if path == "/robots.txt":
                return handler.send(200, b"User-agent: *\nAllow: /\n", {"Content-Type": "text/plain"})
            parts = path.split("/")
            route = routes.get(parts[2]) if len(parts) > 2 and parts[1] == "h" else None
            if route is None:
                return handler.send(404, b"not here")
            route(handler, count)

        super().__init__(answer)
