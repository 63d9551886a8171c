"""Read captures out of WARC files (the bundled sample, user files, our own raw archive).

FastWARC does the parsing (faster than warcio; the figures are in DESIGN.md §7). Paths may be
object-storage URIs (`s3://bucket/crawl.warc.gz`, read through warehouse/storage.py).
Response and resource records become `Capture`s; revisit records are resolved against an
earlier response with the same payload digest in the same input, or become a capture with
`error_reason="revisit"`.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from datetime import UTC, datetime

from fastwarc.warc import ArchiveIterator, WarcRecord, WarcRecordType

from flows.acquire.captures import Capture, CaptureRef
from warehouse import storage

_WANTED = WarcRecordType.response | WarcRecordType.resource | WarcRecordType.revisit


class WarcReadError(Exception):
    """A WARC file is missing, unreadable or corrupt."""


def _header(record: WarcRecord, name: str) -> str | None:
    value = record.headers.get(name)
    return value.strip() if value else None


def read_warc(path: str, *, source: str = "warc") -> Iterator[Capture]:
    """Yield one `Capture` per response/resource/revisit record of the WARC at `path`.

    Raises `WarcReadError` when the file cannot be opened or is corrupt; captures read
    before the corruption have already been yielded (and so are not lost).
    """
    size = _size(path)
    offsets_by_digest: dict[str, int] = {}
    record_count = 0
    pending: Capture | None = None  # held back one record: a damaged tail must not be yielded
    last_offset = 0
    try:
        # No record_types filter: a damaged record has no type and would be skipped silently.
        # Local files go to FastWARC by name (its own buffered reader); others as a stream.
        source_file = path if not storage.is_remote(path) else storage.open_input(path, sequential=True)
        try:
            for record in ArchiveIterator(source_file, parse_http=True, auto_decode="all"):
                record_count += 1
                last_offset = record.stream_pos
                intact = _header(record, "WARC-Type") is not None
                if intact and pending is not None:
                    yield pending  # a later record parsed, so the held one was complete
                    pending = None
                if intact and not record.record_type & _WANTED:
                    continue
                pending = _capture_from_record(record, path, source, offsets_by_digest)
        finally:
            if not isinstance(source_file, str):
                source_file.close()
    except OSError as error:
        if record_count == 0:
            raise WarcReadError(f"not a WARC file: {path} ({error})") from error
        raise WarcReadError(f"cannot read WARC file {path}: {error}") from error
    except ValueError as error:
        raise WarcReadError(f"corrupt WARC file {path}: {error}") from error
    if record_count == 0 and size > 0:
        _check_is_warc(path)
    if record_count:
        _check_tail(path, last_offset)
    if pending is not None:
        yield pending


def _size(path: str) -> int:
    """The file's size; WarcReadError when it does not exist (or the store cannot be reached)."""
    try:
        size = storage.file_size(path)
    except storage.StorageError as error:
        raise WarcReadError(str(error)) from error
    except OSError as error:
        raise WarcReadError(f"cannot read WARC file {path}: {error}") from error
    if size is None:
        raise WarcReadError(f"WARC file not found: {path}")
    return size


def _check_tail(path: str, last_offset: int) -> None:
    """FastWARC stops quietly at a truncated end; check the bytes after the last record read."""
    with storage.open_input(path) as handle:
        handle.seek(last_offset)
        tail = handle.read()
    if tail[:2] != b"\x1f\x8b":
        if not tail.rstrip(b" ").endswith(b"\r\n\r\n"):
            raise WarcReadError(f"truncated WARC file {path}: it ends inside the record at byte {last_offset}")
        return
    while tail:
        decompressor = zlib.decompressobj(wbits=31)
        try:
            decompressor.decompress(tail)
        except zlib.error as error:
            raise WarcReadError(f"corrupt WARC file {path}: bad gzip data after byte {last_offset}: {error}") from error
        if not decompressor.eof:
            raise WarcReadError(f"truncated WARC file {path}: it ends inside the record at byte {last_offset}")
        tail = decompressor.unused_data


def check_warc_file(path: str) -> None:
    """Cheap check before a run: the file exists and starts like a WARC (gzipped or not)."""
    if _size(path) == 0:
        raise WarcReadError(f"empty WARC file: {path}")
    _check_is_warc(path)


def _check_is_warc(path: str) -> None:
    """An input with no records is either an empty WARC or not a WARC at all: say which."""
    try:
        with storage.open_input(path) as handle:
            head = handle.read(1 << 16)
        start = zlib.decompressobj(wbits=31).decompress(head, 9) if head[:2] == b"\x1f\x8b" else head[:9]
    except (OSError, zlib.error) as error:
        raise WarcReadError(f"corrupt WARC file {path}: {error}") from error
    if not start.startswith(b"WARC/"):
        raise WarcReadError(f"not a WARC file: {path} (no 'WARC/' record header)")


def _capture_from_record(
    record: WarcRecord, path: str, source: str, offsets_by_digest: dict[str, int]
) -> Capture | None:
    if not _header(record, "WARC-Type"):
        # FastWARC ends a damaged gzip member with a header-less record instead of an error.
        raise WarcReadError(f"corrupt or truncated WARC file {path}: unreadable record at byte {record.stream_pos}")
    url = _header(record, "WARC-Target-URI")
    if not url:
        return None
    url = url.strip("<>")
    captured_at = record.record_date
    if captured_at is not None:
        captured_at = captured_at.astimezone(UTC) if captured_at.tzinfo else captured_at.replace(tzinfo=UTC)
    hint = _header(record, "Newsarchive-Published-Hint")
    ref = CaptureRef(
        url=url,
        archive_url=_header(record, "WARC-Source-URI"),
        captured_at=captured_at,
        # Our own raw archive records the original source and capture id, so reprocessing
        # updates the same ledger rows instead of adding new ones.
        source=_header(record, "Newsarchive-Source") or source,
        digest=_header(record, "WARC-Payload-Digest"),
        published_hint=datetime.fromisoformat(hint) if hint else None,
        stored_capture_id=_header(record, "Newsarchive-Capture-Id"),
    )
    capture = Capture(ref=ref, warc_file=path, warc_offset=record.stream_pos)
    if record.is_http:
        capture.http_status = record.http_headers.status_code
        capture.headers = dict(record.http_headers.items())
        capture.content_type = record.http_content_type
    else:
        capture.http_status = 200
        capture.content_type = _header(record, "Content-Type")
    if record.record_type == WarcRecordType.revisit:
        offset = offsets_by_digest.get(ref.digest or "")
        if offset is None:
            capture.error_reason = "revisit"
            capture.error_detail = "revisit record whose original response is not in this input"
            return capture
        original = read_capture_at(path, offset, source=source)
        capture.body = original.body
        capture.http_status = original.http_status
        capture.content_type = original.content_type
        capture.headers = original.headers
        return capture
    capture.body = record.reader.read()
    if not record.is_http and len(capture.body) < record.content_length:
        raise WarcReadError(f"truncated WARC file {path}: record at byte {record.stream_pos} ends early")
    if ref.digest:
        # Offsets, not bodies: memory stays bounded however large the WARC is.
        offsets_by_digest[ref.digest] = record.stream_pos
    return capture


def read_capture_at(path: str, offset: int, *, source: str = "warc") -> Capture:
    """The capture whose record starts at byte `offset` of `path` (for reprocessing)."""
    with storage.open_input(path) as handle:
        handle.seek(offset)
        for record in ArchiveIterator(handle, record_types=_WANTED, parse_http=True, auto_decode="all"):
            capture = _capture_from_record(record, path, source, {})
            if capture is not None:
                capture.warc_offset = offset
                return capture
    raise WarcReadError(f"no WARC record at offset {offset} of {path}")
