"""The HTTP payload of a WARC record as the page's bytes: transfer and content encodings undone,
with a cap on the decoded size.

Records are read with their payload as stored (FastWARC `auto_decode="none"`, warcio's
`raw_stream`) and decoded here, because real writers are inconsistent: many keep the header
`Transfer-Encoding: chunked` over a body they stored de-chunked (pywb's iana.org crawl, some
browsertrix records). A payload that does not parse as chunked is taken as it is, and one that
does not decompress is kept raw, as warcio does. A body that decodes to more than `max_bytes`
(a gzip bomb: a few KB inflating to a GiB) is a `BodyTooLarge`; memory stays bounded because
decompression never produces more than `max_bytes + 1` bytes.
"""

from __future__ import annotations

import functools
import re
import zlib
from collections.abc import Iterable

import brotli

MAX_BODY_BYTES = 25 * 1024 * 1024  # a news page is well under 5 MB; larger decoded bodies are `too_large`
_CHUNK_SIZE_LIMIT = 1 << 40
_ENCODING_HEADERS = frozenset({"transfer-encoding", "content-encoding"})
_FEED_MARKERS = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]")
_XML_DECLARATION = re.compile(rb"[ \t\n\r\x0b\x0c]*<\?xml")  # after what bytes.lstrip() strips
_XML_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/xml", "text/xml")


class BodyTooLarge(Exception):
    """The payload (as stored, or decoded) exceeds the cap."""


def header_values(headers: Iterable[tuple[str, str]], name: str) -> list[str]:
    """Every comma-separated token of the header `name`, lower-cased."""
    wanted = name.lower()
    return [
        token.strip().lower()
        for key, value in headers
        if key.lower() == wanted
        for token in value.split(",")
        if token.strip()
    ]


def decode_payload(payload: bytes, headers: Iterable[tuple[str, str]], max_bytes: int = MAX_BODY_BYTES) -> bytes:
    """The page's bytes: chunking removed when the payload really is chunked, then each content
    encoding (gzip, deflate, br) undone; raises `BodyTooLarge` past `max_bytes`."""
    if len(payload) > max_bytes:
        raise BodyTooLarge(f"the stored body has {len(payload)} bytes, more than {max_bytes}")
    encoded = [(name, value) for name, value in headers if name.lower() in _ENCODING_HEADERS]
    if not encoded:  # the common case, kept cheap
        return payload
    if "chunked" in header_values(encoded, "Transfer-Encoding"):
        payload = dechunk(payload)
    for encoding in reversed(header_values(encoded, "Content-Encoding")):
        payload = _decompress(payload, encoding, max_bytes)
    return payload


def dechunk(payload: bytes) -> bytes:
    """`payload` without HTTP/1.1 chunking, or unchanged when it is not validly chunked (a
    writer that stored the body de-chunked but kept the header)."""
    parts: list[bytes] = []
    position = 0
    while True:
        end = payload.find(b"\r\n", position)
        if end < 0 or end - position > 64:
            return payload
        size_text = payload[position:end].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError:
            return payload
        if size < 0 or size > _CHUNK_SIZE_LIMIT:
            return payload
        start = end + 2
        if size == 0:
            return b"".join(parts)
        if start + size > len(payload):
            parts.append(payload[start:])  # a cut last chunk: keep what is there
            return b"".join(parts)
        parts.append(payload[start : start + size])
        position = start + size
        if payload[position : position + 2] == b"\r\n":
            position += 2
        if position >= len(payload):
            return b"".join(parts)


def _decompress(payload: bytes, encoding: str, max_bytes: int) -> bytes:
    if encoding in ("gzip", "x-gzip"):
        return _inflate(payload, 47, max_bytes)  # 32 + 15: gzip or zlib header
    if encoding == "deflate":
        try:
            return _inflate(payload, 15, max_bytes)
        except zlib.error:
            return _inflate(payload, -15, max_bytes)  # raw deflate, as some servers send
    if encoding == "br":
        return _unbrotli(payload, max_bytes)
    return payload  # identity, or an encoding we do not know: kept as stored


def _inflate(payload: bytes, wbits: int, max_bytes: int) -> bytes:
    decompressor = zlib.decompressobj(wbits)
    try:
        out = decompressor.decompress(payload, max_bytes + 1)
    except zlib.error:
        if wbits == 15:
            raise
        return payload  # not really compressed: kept raw, as warcio does
    if len(out) > max_bytes:
        raise BodyTooLarge(f"the body decodes to more than {max_bytes} bytes")
    return out


def _unbrotli(payload: bytes, max_bytes: int) -> bytes:
    decompressor = brotli.Decompressor()
    try:
        out = decompressor.process(payload, output_buffer_limit=max_bytes + 1)
    except brotli.error:
        return payload
    if len(out) > max_bytes:
        raise BodyTooLarge(f"the body decodes to more than {max_bytes} bytes")
    return out


def is_feed(content_type: str | None, body: bytes) -> bool:
    """Whether `body` is an RSS/Atom/RDF feed (an XML type or declaration, then a feed's root
    element, and no <html>): a feed is `not_html`, not a page without article text."""
    if not _is_xml_type(content_type) and not _XML_DECLARATION.match(body, 0, 1024):
        return False  # (the common case: an HTML page, its bytes not copied)
    head = body[:1024].lstrip()
    return bool(_FEED_MARKERS.search(head)) and b"<html" not in head.lower()


@functools.lru_cache(maxsize=256)
def _is_xml_type(content_type: str | None) -> bool:
    return (content_type or "").split(";", 1)[0].strip().lower() in _XML_TYPES
