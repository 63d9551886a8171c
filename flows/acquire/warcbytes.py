"""Byte-level looks at a WARC file, for what FastWARC and warcio do not say: where the next
record starts after one neither can read (the next gzip member, or the next `WARC/` line),
whether a file is gzipped as a whole, whether its last record is cut, and the headers of a
record too damaged to parse."""

from __future__ import annotations

import re
import zlib
from typing import IO

_GZIP_MAGIC = b"\x1f\x8b\x08"
_WARC_LINE = re.compile(rb"(?:^|\n)(WARC/[01]\.\d+\r?\n)")
_SCAN_WINDOW = 1 << 20
_RECORD_START = re.compile(rb"(?:^|\n)WARC/[01]\.\d+\r?\n")


def member_end(handle: IO[bytes], start: int) -> int | None:
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


def next_record(handle: IO[bytes], start: int, gzipped: bool) -> int | None:
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
