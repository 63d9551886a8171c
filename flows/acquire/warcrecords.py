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

import functools
import zlib
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any

from fastwarc.warc import ArchiveIterator as FastIterator
from fastwarc.warc import HeaderMap, WarcHeader, WarcRecord
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from flows.acquire.warcbody import MAX_BODY_BYTES
from flows.acquire.warcbytes import member_end, next_record

CAPTURE_TYPES = frozenset({"response", "resource", "revisit"})

# The WARC headers the reader (flows/acquire/warc.py) reads from a capture record, lower-cased;
# FastWARC records give only these. Names are matched case-insensitively, but the spellings
# writers use are looked up as they are (lower-casing every name of every record costs more
# than the rest of the header pass); a repeated header's first value wins.
READ_HEADERS = frozenset(
    {"warc-target-uri", "warc-record-id", "warc-date", "warc-payload-digest", "content-type"}
    | {"warc-refers-to", "warc-refers-to-target-uri", "warc-refers-to-date", "warc-source-uri"}
    | {"newsarchive-source", "newsarchive-capture-id", "newsarchive-published-hint"}
)
_SPELLED = {
    spelled: spelled.lower()
    for spelled in (
        "WARC-Target-URI", "WARC-Record-ID", "WARC-Date", "WARC-Payload-Digest", "Content-Type",
        "WARC-Refers-To", "WARC-Refers-To-Target-URI", "WARC-Refers-To-Date", "WARC-Source-URI",
        "Newsarchive-Source", "Newsarchive-Capture-Id", "Newsarchive-Published-Hint",
    )
}  # fmt: skip
# Headers as writers spell them that the reader does not read (skipped without lower-casing).
_OTHER_HEADERS = frozenset(
    {"WARC-Type", "Content-Length", "WARC-Block-Digest", "WARC-IP-Address", "WARC-Concurrent-To"}
    | {"WARC-Warcinfo-ID", "WARC-Profile", "WARC-Truncated", "WARC-Identified-Payload-Type", "WARC-Filename"}
    | {"WARC-Segment-Number", "WARC-Segment-Origin-ID", "WARC-Segment-Total-Length"}
)
_WARC_TYPE = WarcHeader.WARC_TYPE
_ENCODING_NAMES = frozenset({"content-encoding", "transfer-encoding"})


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
    # WARC headers, names lower-cased (FastWARC: READ_HEADERS), values stripped (every maker
    # strips them, so the hot path reads `headers.get(name)` without a call per header)
    headers: dict[str, str] = field(default_factory=dict)
    http_status: int | None = None
    http_headers: Sequence[tuple[str, str]] = ()
    http_content_type: str | None = None  # the first Content-Type of `http_headers`
    http_encoded: bool = False  # `http_headers` name a Content-Encoding or Transfer-Encoding
    is_http: bool = False
    payload: bytes = b""  # the HTTP payload as stored (not de-chunked or decompressed)
    payload_complete: bool = True  # False: longer than the cap, `payload` holds the first part
    from_arc: bool = False
    problem: tuple[str, str] | None = None  # (reason, detail): the record could not be read

    def header(self, name: str) -> str | None:
        """The header `name` (lower-case, one of READ_HEADERS), or None when absent or empty."""
        return self.headers.get(name) or None

    @property
    def date(self) -> datetime | None:
        text = self.headers.get("warc-date")
        return _warc_date(text) if text else None


@functools.lru_cache(maxsize=256)
def _warc_date(text: str) -> datetime | None:
    """WARC-Date as UTC. Cached: a crawl writes many records in each second."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


@dataclass(slots=True)
class Tally:
    """What `iter_records` counts as it reads: every record, where the last one starts, and the
    records it does not yield because they are not captures (request, metadata, warcinfo, ...;
    a capture record without a WARC-Target-URI), by WARC-Type."""

    records: int = 0
    last_offset: int = 0
    others: dict[str, int] = field(default_factory=dict)

    def keep(self, raw: RawRecord) -> bool:
        """Count `raw`; whether it is to be yielded (a capture, or a record that could not be read)."""
        self.records += 1
        self.last_offset = raw.offset
        if raw.problem is None and (raw.kind not in CAPTURE_TYPES or not raw.headers.get("warc-target-uri")):
            self.others[raw.kind] = self.others.get(raw.kind, 0) + 1
            return False
        return True


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


def iter_records(handle: IO[bytes], kind: str, tally: Tally, max_bytes: int = MAX_BODY_BYTES) -> Iterator[RawRecord]:
    """The capture records of the open file `handle` (seekable), of kind 'warc' or 'arc', and
    those that cannot be read (with a `problem`); every record is counted in `tally`."""
    if kind == "arc":
        yield from (raw for raw in _warcio_records(handle, 0, max_bytes, arc=True) if tally.keep(raw))
        return
    handle.seek(0, 2)
    size = handle.tell()
    position: int | None = 0
    gzipped = _starts_gzip(handle)
    while position is not None and position < size:
        stop = yield from _fast_records(handle, position, max_bytes, gzipped, tally)
        if stop is None:
            return
        last_start, failed_at = stop
        if failed_at is None and last_start is not None:
            # FastWARC refused what follows the record at `last_start` (Content-Length drift, a
            # header it cannot parse): go on from the next record header after that record.
            following = member_end(handle, last_start) if gzipped else None
            position = following if following is not None else next_record(handle, last_start + 1, gzipped)
            continue
        # FastWARC cannot read the record at `failed_at` (or at `position`): warcio reads it.
        slow = _one_slow_record(handle, position if failed_at is None else failed_at, max_bytes, gzipped)
        position = yield from _kept(slow, tally)


def _kept(records: Generator[RawRecord, None, int | None], tally: Tally) -> Generator[RawRecord, None, int | None]:
    """The records of `records` that `tally` keeps (it counts them all); returns what `records` returns."""
    while True:
        try:
            raw = next(records)
        except StopIteration as stop:
            return stop.value
        if tally.keep(raw):
            yield raw


def record_at(handle: IO[bytes], offset: int, kind: str, max_bytes: int = MAX_BODY_BYTES) -> RawRecord | None:
    """The one record that starts at byte `offset` (FastWARC, or warcio where FastWARC cannot)."""
    if kind == "warc":
        handle.seek(offset)
        try:
            for record in FastIterator(handle, parse_http=True, auto_decode="none"):
                kind_name = record.headers.get(_WARC_TYPE)
                http = record.http_headers if record.is_http else None
                if record.stream_pos == offset and kind_name and (not record.is_http or _parsed(http)):
                    return _from_fast(record, kind_name, http, max_bytes)
                break
        except (OSError, ValueError):
            pass
    for raw in _one_slow_record(handle, offset, max_bytes, _starts_gzip(handle), arc=kind == "arc"):
        return raw
    return None


def _starts_gzip(handle: IO[bytes]) -> bool:
    handle.seek(0)
    return handle.read(2) == b"\x1f\x8b"


def _fast_records(
    handle: IO[bytes], start: int, max_bytes: int, gzipped: bool, tally: Tally
) -> Generator[RawRecord, None, tuple[int | None, int | None] | None]:
    """FastWARC from `start`; returns None at a clean end, else (start of the last record read,
    start of the record it could not read, or None when unknown). The hot loop: per record, no
    more Python than counting it (in locals, written to `tally` on the way out), unless it is a
    capture (`Tally.keep` inlined)."""
    handle.seek(start)
    last: int | None = None
    records, counted, others = 0, tally.records, tally.others
    try:
        # inplace: one record object reused (each is done with before the next is read)
        for record in FastIterator(handle, parse_http=True, auto_decode="none", inplace=True):
            position = record.stream_pos
            kind = record.headers.get(_WARC_TYPE)
            if not kind:
                return last, position  # FastWARC ends a damaged gzip member with a header-less record
            if gzipped and position == last:
                raise WarcReadError(
                    "it is gzipped as a whole, not record by record (records cannot be addressed); "
                    "recompress it with `warcio recompress IN.warc.gz OUT.warc.gz`"
                )
            if kind in CAPTURE_TYPES:
                http = record.http_headers if record.is_http else None
                if record.is_http and not _parsed(http):
                    return last, position  # e.g. a status line without its reason text: warcio reads it
                raw = _from_fast(record, kind, http, max_bytes)
                last, records = position, records + 1
                if raw.headers.get("warc-target-uri"):
                    tally.records, tally.last_offset = counted + records, last  # (read while it waits)
                    yield raw
                    continue
            else:
                last, records = position, records + 1
            others[kind] = others.get(kind, 0) + 1
    except (OSError, ValueError):
        return last, None
    finally:
        tally.records = counted + records
        if last is not None:
            tally.last_offset = last
    return None


def _parsed(http: HeaderMap | None) -> bool:
    """Whether FastWARC parsed a record's HTTP head (a status line it reads has a status code)."""
    return http is not None and bool(http.status_code)


def _from_fast(record: WarcRecord, kind: str, http: HeaderMap | None, max_bytes: int) -> RawRecord:
    if kind not in CAPTURE_TYPES:
        return RawRecord(offset=record.stream_pos, kind=kind)
    raw = RawRecord(record.stream_pos, kind, _read_headers(record.headers))
    if http is not None:
        raw.is_http = True
        raw.http_status = http.status_code
        raw.http_headers = headers = http.to_tuples()
        raw.http_content_type, raw.http_encoded = _http_facts(headers)
    raw.payload = payload = record.reader.read(max_bytes + 1)
    raw.payload_complete = len(payload) <= max_bytes
    return raw


def _http_facts(headers: Sequence[tuple[str, str]]) -> tuple[str | None, bool]:
    """The first Content-Type, and whether a Content-Encoding or Transfer-Encoding is named: one
    pass over the headers (FastWARC's lookup by name costs more than this whole loop)."""
    content_type, encoded = None, False
    for name, value in headers:
        lower = name.lower()
        if lower == "content-type":
            if content_type is None:
                content_type = value
        elif lower in _ENCODING_NAMES:
            encoded = True
    return content_type, encoded


def _read_headers(headers: HeaderMap) -> dict[str, str]:
    """READ_HEADERS of a FastWARC record, names lower-cased (absent ones left out): the values
    `_lower_headers(headers.to_tuples())` gives them (the first of a repeated name). One pass
    over the headers: names as writers spell them are looked up, not lower-cased."""
    found: dict[str, str] = {}
    for name, value in headers.to_tuples():
        key = _SPELLED.get(name)
        if key is None:
            if name in _OTHER_HEADERS:
                continue
            key = name.lower()
            if key not in READ_HEADERS:
                continue
        if key not in found:
            found[key] = value.strip()
    return found


def _lower_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Header names lower-cased, values stripped; the first value of a repeated name wins, as
    in FastWARC's lookups and warcio's `get_header` (so both paths read a record alike)."""
    found: dict[str, str] = {}
    for name, value in items:
        found.setdefault(name.lower(), value.strip())
    return found


def _one_slow_record(
    handle: IO[bytes], position: int, max_bytes: int, gzipped: bool, *, arc: bool = False
) -> Generator[RawRecord, None, int | None]:
    """The record at `position` read by warcio; returns where the next record starts (None at
    the end). A record warcio cannot read either is one `problem` record, then the next header."""
    handle.seek(position)
    iterator = WarcioIterator(handle, arc2warc=True)
    try:
        record = next(iterator)
        raw = _from_warcio(record, position, max_bytes, arc=arc)
        iterator.read_to_end(record)
        length = iterator.get_record_length()
    except StopIteration:
        return None
    except (ArchiveLoadFailed, OSError, ValueError, EOFError, zlib.error) as error:
        yield RawRecord(
            offset=position, kind="unreadable", problem=("unreadable_record", f"record at byte {position}: {error}")
        )
        return next_record(handle, position + 1, gzipped)
    yield raw
    return position + length if length else next_record(handle, position + 1, gzipped)


def _warcio_records(handle: IO[bytes], start: int, max_bytes: int, *, arc: bool) -> Iterator[RawRecord]:
    handle.seek(start)
    iterator = WarcioIterator(handle, arc2warc=True)
    where = f"from byte {start}"
    try:
        for record in iterator:
            raw = _from_warcio(record, start, max_bytes, arc=arc)
            raw.offset = start + iterator.get_record_offset()  # (this reads the record to its end)
            where = f"after the record at byte {raw.offset}"
            yield raw
    except (ArchiveLoadFailed, OSError, ValueError, EOFError, zlib.error) as error:
        raise WarcReadError(f"unreadable {where}: {error}") from error


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
        raw.http_headers = headers = [(str(k), str(v)) for k, v in record.http_headers.headers]
        raw.http_content_type, raw.http_encoded = _http_facts(headers)
    raw.payload = record.raw_stream.read(max_bytes + 1)
    raw.payload_complete = len(raw.payload) <= max_bytes
    return raw
