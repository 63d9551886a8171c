"""Every record of a WARC or ARC file, read to the file's last record.

FastWARC reads (fast) as long as the file is clean. Where it stops — a Content-Length a few
bytes off, a header it refuses, a damaged gzip member — the record there is read with warcio
instead, and FastWARC goes on after it: the fallback is per record, not per file. A record
neither can read becomes a `RawRecord` with a `problem` (one rejection), and reading
resynchronises on the next record header (the next gzip member, or the next `WARC/` line).
ARC v1 files (plain or gzip) are read by warcio, converted to WARC records (`arc2warc`).

A whole-file-gzipped WARC (one gzip stream holding every record; records cannot be addressed
by offset) and input that is no WARC or ARC at all raise `WarcReadError`.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import WarcRecord
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from flows.acquire.warcbody import MAX_BODY_BYTES

CAPTURE_TYPES = frozenset({"response", "resource", "revisit"})
_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_LINE = re.compile(rb"(?:^|\n)(WARC/[01]\.\d+\r?\n)")
_SCAN_WINDOW = 1 << 20
_RECORD_START = re.compile(rb"(?:^|\n)WARC/[01]\.\d+\r?\n")


class WarcioIterator(ArchiveIterator):
    """warcio's iterator without its stderr warning about a Content-Length that is off (the
    drift is read past as warcio does; the warning would end up in every run's output)."""

    INC_RECORD = ""


class WarcReadError(Exception):
    """A WARC file is missing, unreadable or corrupt."""


@dataclass(slots=True)
class RawRecord:
    """One record as read, whichever parser read it."""

    offset: int
    kind: str  # WARC-Type: response, resource, revisit, request, metadata, warcinfo, ...
    headers: dict[str, str] = field(default_factory=dict)  # WARC headers, names lower-cased
    http_status: int | None = None
    http_headers: Sequence[tuple[str, str]] = ()
    is_http: bool = False
    payload: bytes = b""  # the HTTP payload as stored (not de-chunked or decompressed)
    payload_complete: bool = True  # False: longer than the cap, `payload` holds the first part
    from_arc: bool = False
    problem: tuple[str, str] | None = None  # (reason, detail): the record could not be read

    def header(self, name: str) -> str | None:
        """The header `name` (lower-case) stripped, or None."""
        value = self.headers.get(name)
        return value.strip() if value else None

    @property
    def date(self) -> datetime | None:
        text = self.header("warc-date")
        if not text:
            return None
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def sniff(head: bytes) -> str:
    """'warc', 'arc', or 'unknown' from the first bytes of a file (gzipped or not)."""
    if head[:2] == b"\x1f\x8b":
        try:
            head = zlib.decompressobj(wbits=31).decompress(head, 64)
        except zlib.error:
            return "unknown"
    if head.startswith(b"WARC/"):
        return "warc"
    if head.startswith(b"filedesc://"):
        return "arc"
    return "unknown"


def iter_records(handle: IO[bytes], kind: str, max_bytes: int = MAX_BODY_BYTES) -> Iterator[RawRecord]:
    """Every record of the open file `handle` (seekable), of kind 'warc' or 'arc'."""
    if kind == "arc":
        yield from _warcio_records(handle, 0, max_bytes, arc=True)
        return
    handle.seek(0, 2)
    size = handle.tell()
    position: int | None = 0
    gzipped = _starts_gzip(handle)
    while position is not None and position < size:
        stop = yield from _fast_records(handle, position, max_bytes, gzipped)
        if stop is None:
            return
        last_start, failed_at = stop
        if failed_at is None and last_start is not None:
            # FastWARC refused what follows the record at `last_start` (Content-Length drift, a
            # header it cannot parse): go on from the next record header after that record.
            following = _member_end(handle, last_start) if gzipped else None
            position = following if following is not None else _next_record(handle, last_start + 1, gzipped)
            continue
        # FastWARC cannot read the record at `failed_at` (or at `position`): warcio reads it.
        position = yield from _one_slow_record(handle, position if failed_at is None else failed_at, max_bytes, gzipped)


def record_at(handle: IO[bytes], offset: int, kind: str, max_bytes: int = MAX_BODY_BYTES) -> RawRecord | None:
    """The one record that starts at byte `offset` (FastWARC, or warcio where FastWARC cannot)."""
    if kind == "warc":
        handle.seek(offset)
        try:
            for record in FastIterator(handle, parse_http=True, auto_decode="none"):
                kind_name = record.headers.get("WARC-Type")
                if record.stream_pos == offset and kind_name and (not record.is_http or _http_parsed(record)):
                    return _from_fast(record, kind_name, max_bytes)
                break
        except (OSError, ValueError):
            pass
    for raw in _one_slow_record(handle, offset, max_bytes, _starts_gzip(handle)):
        return raw
    return None


def _starts_gzip(handle: IO[bytes]) -> bool:
    handle.seek(0)
    return handle.read(2) == b"\x1f\x8b"


def _fast_records(
    handle: IO[bytes], start: int, max_bytes: int, gzipped: bool
) -> Generator[RawRecord, None, tuple[int | None, int | None] | None]:
    """FastWARC from `start`; returns None at a clean end, else (start of the last record read,
    start of the record it could not read, or None when unknown)."""
    handle.seek(start)
    last: int | None = None
    try:
        for record in FastIterator(handle, parse_http=True, auto_decode="none"):
            position = record.stream_pos
            kind = record.headers.get("WARC-Type")
            if not kind:
                return last, position  # FastWARC ends a damaged gzip member with a header-less record
            if gzipped and last is not None and position == last:
                raise WarcReadError(
                    "it is gzipped as a whole, not record by record (records cannot be addressed); "
                    "recompress it with `warcio recompress IN.warc.gz OUT.warc.gz`"
                )
            if kind in CAPTURE_TYPES and record.is_http and not _http_parsed(record):
                return last, position  # e.g. a status line without its reason text: warcio reads it
            last = position
            yield _from_fast(record, kind, max_bytes)
    except (OSError, ValueError):
        return last, None
    return None


def _http_parsed(record: WarcRecord) -> bool:
    headers = record.http_headers
    return headers is not None and bool(headers.status_code)


def _from_fast(record: WarcRecord, kind: str, max_bytes: int) -> RawRecord:
    if kind not in CAPTURE_TYPES:
        return RawRecord(offset=record.stream_pos, kind=kind)
    raw = RawRecord(offset=record.stream_pos, kind=kind, headers=_lower_headers(reversed(record.headers.astuples())))
    raw.is_http = record.is_http
    if record.is_http:
        raw.http_status = record.http_headers.status_code
        raw.http_headers = record.http_headers.astuples()
    raw.payload = record.reader.read(max_bytes + 1)
    raw.payload_complete = len(raw.payload) <= max_bytes
    return raw


def _lower_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased; the first value of a repeated name wins when `items` come last
    to first (FastWARC's HeaderMap.get costs more than making this dict once)."""
    return {name.lower(): value for name, value in items}


def _one_slow_record(
    handle: IO[bytes], position: int, max_bytes: int, gzipped: bool
) -> Generator[RawRecord, None, int | None]:
    """The record at `position` read by warcio; returns where the next record starts (None at
    the end). A record warcio cannot read either is one `problem` record, then the next header."""
    handle.seek(position)
    iterator = WarcioIterator(handle, arc2warc=True)
    try:
        record = next(iterator)
        raw = _from_warcio(record, position, max_bytes)
        iterator.read_to_end(record)
        length = iterator.get_record_length()
    except StopIteration:
        return None
    except (ArchiveLoadFailed, OSError, ValueError, EOFError, zlib.error) as error:
        yield RawRecord(
            offset=position, kind="unreadable", problem=("unreadable_record", f"record at byte {position}: {error}")
        )
        return _next_record(handle, position + 1, gzipped)
    yield raw
    return position + length if length else _next_record(handle, position + 1, gzipped)


def _warcio_records(handle: IO[bytes], start: int, max_bytes: int, *, arc: bool) -> Iterator[RawRecord]:
    handle.seek(start)
    iterator = WarcioIterator(handle, arc2warc=True)
    try:
        for record in iterator:
            raw = _from_warcio(record, start, max_bytes, arc=arc)
            raw.offset = start + iterator.get_record_offset()  # (this reads the record to its end)
            yield raw
    except (ArchiveLoadFailed, OSError, ValueError, EOFError, zlib.error) as error:
        raise WarcReadError(f"unreadable after byte {start + iterator.get_record_offset()}: {error}") from error


def _from_warcio(record: Any, offset: int, max_bytes: int, *, arc: bool = False) -> RawRecord:
    raw = RawRecord(
        offset=offset,
        kind=record.rec_type or "unknown",
        headers=_lower_headers(record.rec_headers.headers),
        from_arc=arc,
    )
    if not record.rec_type:
        raw.problem = ("unreadable_record", f"the record at byte {offset} has no WARC-Type (cut or damaged)")
    if raw.kind not in CAPTURE_TYPES:
        return raw
    if record.http_headers is not None and record.rec_type != "resource":
        raw.is_http = True
        status = record.http_headers.get_statuscode()
        raw.http_status = int(status) if status and status.isdigit() else None
        raw.http_headers = [(str(k), str(v)) for k, v in record.http_headers.headers]
    raw.payload = record.raw_stream.read(max_bytes + 1)
    raw.payload_complete = len(raw.payload) <= max_bytes
    return raw


def _member_end(handle: IO[bytes], start: int) -> int | None:
    """Where the gzip member at `start` ends (the next member starts), or None when it is damaged."""
    handle.seek(start)
    decompressor = zlib.decompressobj(wbits=31)
    fed = 0
    try:
        while not decompressor.eof and (chunk := handle.read(1 << 16)):
            fed += len(chunk)
            decompressor.decompress(chunk, 1 << 16)
            while decompressor.unconsumed_tail and not decompressor.eof:
                decompressor.decompress(decompressor.unconsumed_tail, 1 << 16)
    except zlib.error:
        return None
    return start + fed - len(decompressor.unused_data) if decompressor.eof else None


def _next_record(handle: IO[bytes], start: int, gzipped: bool) -> int | None:
    """The offset of the first record header at or after `start` (a gzip member that opens
    with `WARC/` for gzipped files, a `WARC/x.y` line otherwise), or None."""
    position = start
    while True:
        handle.seek(position)
        window = handle.read(_SCAN_WINDOW + 16)
        if not window:
            return None
        found = _find_in(window, handle, position, gzipped)
        if found is not None:
            return found
        if len(window) <= _SCAN_WINDOW:
            return None
        position += _SCAN_WINDOW


def _find_in(window: bytes, handle: IO[bytes], base: int, gzipped: bool) -> int | None:
    if not gzipped:
        match = _WARC_LINE.search(window)
        return base + match.start(1) if match else None
    index = window.find(_GZIP_MAGIC)
    while index >= 0:
        handle.seek(base + index)
        try:
            head = zlib.decompressobj(wbits=31).decompress(handle.read(4096), 16)
        except zlib.error:
            head = b""
        if head.startswith(b"WARC/"):
            return base + index
        index = window.find(_GZIP_MAGIC, index + 1)
    return None


def gzipped_as_a_whole(handle: IO[bytes]) -> bool:
    """Whether the file's first gzip member holds more than one record (looked at in its
    first 4 MiB): a WARC must gzip each record as a member of its own."""
    handle.seek(0)
    if handle.read(2) != b"\x1f\x8b":
        return False
    handle.seek(0)
    decompressor = zlib.decompressobj(wbits=31)
    seen = b""
    try:
        while not decompressor.eof and len(seen) < 1 << 22 and (chunk := handle.read(1 << 16)):
            seen += decompressor.decompress(chunk, (1 << 22) - len(seen))
            if len(_RECORD_START.findall(seen)) > 1:
                return True
    except zlib.error:
        return False
    return False


def ends_early(handle: IO[bytes], offset: int, size: int) -> tuple[bool, int | None]:
    """Whether the record at `offset` (the last one read) is cut: its gzip member does not
    end, or fewer bytes follow its header than its Content-Length says; and where the bytes
    after it start when they are more than padding (a last gzip member cut too early to read)."""
    handle.seek(offset)
    if handle.read(2) != b"\x1f\x8b":
        handle.seek(offset)
        head = handle.read(1 << 16)
        header_end = block_start(head)
        length = _content_length(head[:header_end]) if header_end >= 0 else None
        return header_end < 0 or length is None or offset + header_end + length > size, None
    handle.seek(offset)
    decompressor = zlib.decompressobj(wbits=31)
    head, total, fed = b"", 0, 0
    try:
        while not decompressor.eof and (chunk := handle.read(1 << 16)):
            fed += len(chunk)
            out = decompressor.decompress(chunk)
            total += len(out)
            if len(head) < 1 << 16:
                head += out[: (1 << 16) - len(head)]
    except zlib.error:
        return True, None
    header_end = block_start(head)
    length = _content_length(head[:header_end]) if header_end >= 0 else None
    cut = not decompressor.eof or header_end < 0 or length is None or header_end + length > total
    member_end = offset + fed - len(decompressor.unused_data)
    return cut, member_end if not cut and size - member_end > 4 else None


def salvaged_headers(handle: IO[bytes], offset: int) -> dict[str, str]:
    """The WARC headers of a damaged or cut record at `offset`, as far as they can be read."""
    handle.seek(offset)
    head = handle.read(1 << 16)
    try:
        text = zlib.decompressobj(wbits=31).decompress(head) if head[:2] == b"\x1f\x8b" else head
    except zlib.error:
        return {}
    if not text.startswith(b"WARC/"):
        return {}
    end = block_start(text)
    headers: dict[str, str] = {}
    for line in text[: end if end > 0 else len(text)].decode("utf-8", "replace").splitlines()[1:]:
        name, colon, value = line.partition(":")
        if colon:
            headers.setdefault(name.strip().lower(), value.strip())
    return headers


def block_start(head: bytes) -> int:
    """Where a record's block starts (after the blank line ending its header), or -1."""
    match = re.search(rb"\n\r*\n", head)
    return match.end() if match else -1


def _content_length(header: bytes) -> int | None:
    match = re.search(rb"(?im)^content-length:\s*(\d+)", header)
    return int(match.group(1)) if match else None
