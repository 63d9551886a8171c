"""Append every fetched response, unchanged, to gzipped WARC files (the raw archive).

Extraction can then be re-run from disk (`reprocess`) without fetching again. Each response
becomes a request record and a response record:

- `WARC-Target-URI` is the ORIGINAL URL of the page (not the archive's replay URL), so a
  reader sees the page as the publisher served it;
- `WARC-Date` is the archive's capture time (or the fetch time for live pages);
- `WARC-Source-URI` is the archive URL the bytes came from (absent for live pages), which
  `flows/acquire/warc.py` reads back as `CaptureRef.archive_url`;
- `Newsarchive-Capture-Id`, `Newsarchive-Source` and `Newsarchive-Published-Hint` (extension
  fields) carry the rest of the `CaptureRef`.

Files are written by one `RawArchive` at a time (`newsarchive-<start>-<pid>-<seq>.warc.gz`,
a new one past `max_file_bytes`), never appended to by a later run. Each record is its own gzip
member, written whole under a lock and flushed: a process killed mid-write leaves at most a
torn last member, and every earlier record stays readable.
"""

from __future__ import annotations

import io
import os
import threading
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from flows.acquire.captures import Capture

DEFAULT_MAX_FILE_BYTES = 1024 * 1024 * 1024  # 1 GiB, the usual WARC file size
# Hop-by-hop or already undone by the fetcher: the stored body is the decoded payload.
_DROPPED_HEADERS = {"transfer-encoding", "content-encoding"}


def _warc_date(when: datetime) -> str:
    when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


class RawArchive:
    """Thread-safe WARC appender; `write(capture)` returns `(warc_file, offset)`."""

    def __init__(
        self,
        warc_dir: str | os.PathLike,
        *,
        max_file_bytes: int = DEFAULT_MAX_FILE_BYTES,
        prefix: str = "newsarchive",
        software: str | None = None,
    ) -> None:
        self.warc_dir = Path(warc_dir)
        self.max_file_bytes = max_file_bytes
        self.prefix = prefix
        self.software = software or "newsarchive"
        self._lock = threading.Lock()
        self._started = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        self._sequence = 0
        self._handle: io.BufferedWriter | None = None
        self._path: Path | None = None
        self.record_count = 0

    def __enter__(self) -> RawArchive:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def current_file(self) -> str | None:
        return str(self._path) if self._path else None

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None

    def write(self, capture: Capture) -> tuple[str, int]:
        """Append the capture's request and response; return the response record's location.

        The capture must hold an HTTP response (`http_status` set). Raises OSError when the
        disk refuses (that is a failure of the run, not of one capture).
        """
        if capture.http_status is None:
            raise ValueError(f"no HTTP response to archive for {capture.ref.url}")
        request_bytes, response_bytes = self._records(capture)
        with self._lock:
            handle = self._open_for(len(request_bytes) + len(response_bytes))
            # Response first: a reader that stops at a torn request record still has it.
            offset = handle.tell()
            handle.write(response_bytes)
            handle.write(request_bytes)
            handle.flush()
            self.record_count += 1
            return str(self._path), offset

    def _open_for(self, size: int) -> io.BufferedWriter:
        if self._handle is not None and self._handle.tell() + size > self.max_file_bytes and self._handle.tell() > 0:
            self._handle.close()
            self._handle = None
        if self._handle is None:
            self.warc_dir.mkdir(parents=True, exist_ok=True)
            while True:
                self._sequence += 1
                name = f"{self.prefix}-{self._started}-{os.getpid()}-{self._sequence:05d}.warc.gz"
                path = self.warc_dir / name
                try:
                    # "x": never append to someone else's file. Held open across writes; close() closes it.
                    self._handle = open(path, "xb")  # noqa: SIM115 - see the line above
                except FileExistsError:
                    continue
                break
            self._path = path
            self._handle.write(self._warcinfo(name))
            self._handle.flush()
        return self._handle

    def _warcinfo(self, name: str) -> bytes:
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        info = {
            "software": self.software,
            "format": "WARC File Format 1.0",
            "description": "raw responses fetched by newsarchive",
        }
        writer.write_record(writer.create_warcinfo_record(name, info))
        return buffer.getvalue()

    def _records(self, capture: Capture) -> tuple[bytes, bytes]:
        ref = capture.ref
        target_uri = ref.url
        when = ref.captured_at or capture.memento_at or capture.fetched_at or datetime.now(UTC)
        warc_headers = {"WARC-Date": _warc_date(when)}
        if ref.archive_url:
            warc_headers["WARC-Source-URI"] = ref.archive_url
        # Extension fields, so `reprocess` can rebuild the ref exactly (a live page's
        # capture_id has no capture time, though its WARC-Date is the fetch time).
        warc_headers["Newsarchive-Capture-Id"] = ref.capture_id
        warc_headers["Newsarchive-Source"] = ref.source
        if ref.published_hint is not None:
            warc_headers["Newsarchive-Published-Hint"] = ref.published_hint.astimezone(UTC).isoformat()
        fetched_from = capture.final_url or ref.archive_url or ref.url

        status_line = f"{capture.http_status} {capture.reason_phrase or ''}".rstrip()
        header_items = [(k, v) for k, v in capture.headers.items() if k.lower() not in _DROPPED_HEADERS]
        header_items = [(k, v) for k, v in header_items if k.lower() != "content-length"]
        header_items.append(("Content-Length", str(len(capture.body))))
        http_headers = StatusAndHeaders(status_line, header_items, protocol="HTTP/1.1")

        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        response = writer.create_warc_record(
            target_uri,
            "response",
            payload=io.BytesIO(capture.body),
            length=len(capture.body),
            http_headers=http_headers,
            warc_headers_dict=warc_headers,
        )
        writer.write_record(response)
        response_bytes = buffer.getvalue()

        parts = urlsplit(fetched_from)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        request_items = [(k, v) for k, v in capture.request_headers.items()]
        if not any(k.lower() == "host" for k, _ in request_items):
            request_items.insert(0, ("Host", parts.netloc))
        request_headers = StatusAndHeaders(
            f"GET {path} HTTP/1.1", request_items, protocol="HTTP/1.1", is_http_request=True
        )
        request_warc_headers = dict(warc_headers)
        request_warc_headers["WARC-Concurrent-To"] = response.rec_headers.get_header("WARC-Record-ID")
        buffer = io.BytesIO()
        writer = WARCWriter(buffer, gzip=True)
        request = writer.create_warc_record(
            target_uri,
            "request",
            payload=io.BytesIO(b""),
            length=0,
            http_headers=request_headers,
            warc_headers_dict=request_warc_headers,
        )
        writer.write_record(request)
        return buffer.getvalue(), response_bytes
