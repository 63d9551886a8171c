"""Bytes to text: the declared charset first (Content-Type, then <meta>), then detection.

Also tells HTML from binary bodies (images, PDFs, archives) before anything tries to parse
them, so those become `not_html` rejections rather than garbage articles.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer


class DecodeError(ValueError):
    """The bytes cannot be turned into text with any plausible encoding (permanent)."""


_CHARSET_PARAM = re.compile(r"""charset\s*=\s*["']?\s*([\w.:\-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+?charset\s*=\s*["']?\s*([\w.:\-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]+encoding\s*=\s*["']([\w.:\-]+)""", re.IGNORECASE)
# What browsers actually use for these labels (WHATWG Encoding Standard).
_LABEL_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "l1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "iso-8859-11": "cp874",
    "tis-620": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "sjis": "cp932",
    "windows-31j": "cp932",
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "big5": "big5hkscs",
    "utf8": "utf-8",
    "unicode": "utf-16",
    "x-user-defined": "cp1252",
    "none": "",
}
# Leading bytes of common non-HTML payloads.
_BINARY_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF87a",
    b"GIF89a",
    b"%PDF",
    b"PK\x03\x04",
    b"\x1f\x8b",
    b"RIFF",
    b"\x00\x00\x01\x00",
    b"BM",
    b"OggS",
    b"ID3",
    b"fLaC",
    b"\x7fELF",
    b"MZ",
    b"wOFF",
    b"wOF2",
    b"\x00\x01\x00\x00\x00",
    b"BZh",
    b"7z\xbc\xaf",
    b"Rar!",
    b"\xd0\xcf\x11\xe0",
)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
HTML_CONTENT_TYPES = ("text/html", "application/xhtml+xml", "text/plain", "application/xml", "text/xml")


def media_type(content_type: str | None) -> str:
    """'text/html; charset=utf-8' -> 'text/html' ('' when absent)."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def is_html_content_type(content_type: str | None) -> bool:
    """True when the declared type may hold a page (absent types are judged by the body)."""
    kind = media_type(content_type)
    return not kind or kind in HTML_CONTENT_TYPES or kind.endswith("+xml") or kind == "application/octet-stream"


def looks_binary(body: bytes) -> bool:
    """True for bodies that are clearly not text: known magic numbers or many control bytes."""
    head = body[:1024]
    if any(head.startswith(magic) for magic in _BINARY_MAGIC):
        return True
    if any(head.startswith(bom) for bom, _ in _BOMS):
        return False
    if not head:
        return False
    controls = sum(1 for byte in head if byte < 9 or 13 < byte < 32)
    return controls / len(head) > 0.1


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = _LABEL_ALIASES.get(label, label)
    if not label:
        return None
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def declared_charset(body: bytes, content_type: str | None = None, headers: dict | None = None) -> str | None:
    """The charset the response declares: Content-Type argument, header, then <meta>/<?xml?>."""
    sources = [content_type or ""]
    for name, value in (headers or {}).items():
        if isinstance(name, str) and name.lower() == "content-type" and isinstance(value, str):
            sources.append(value)
    for source in sources:
        match = _CHARSET_PARAM.search(source)
        if match and _codec(match.group(1)):
            return _codec(match.group(1))
    head = body[:4096]
    for pattern in (_XML_ENCODING, _META_CHARSET):
        found = pattern.search(head)
        if found:
            codec = _codec(found.group(1).decode("ascii", "ignore"))
            if codec:
                return codec
    return None


def decode_html(body: bytes | str, content_type: str | None = None, headers: dict | None = None) -> str:
    """Text of an HTML body. Raises `DecodeError` when no encoding fits."""
    if isinstance(body, str):
        return body
    for bom, codec in _BOMS:
        if body.startswith(bom):
            try:
                return body.decode(codec)
            except UnicodeDecodeError:
                break
    declared = declared_charset(body, content_type, headers)
    # A page declaring a single-byte or UTF-16 charset but served as UTF-8 is common; trust
    # the declaration when it decodes cleanly, else UTF-8, else detection.
    if declared and declared != "utf-8" and not declared.startswith(("utf-16", "utf-32")):
        # Valid multi-byte UTF-8 almost never happens by accident in a single-byte charset:
        # a page declaring latin-1 whose bytes are valid UTF-8 is UTF-8 mislabelled.
        try:
            text = body.decode("utf-8")
            if not text.isascii():
                return text
        except UnicodeDecodeError:
            pass
    tried: list[str] = []
    for candidate in (declared, "utf-8"):
        if candidate and candidate not in tried:
            codec = candidate
            tried.append(codec)
            # A declared UTF-16 on an ASCII-compatible body is a lie; the meta was readable.
            if codec.startswith(("utf-16", "utf-32")) and b"\x00" not in body[:512]:
                continue
            try:
                return body.decode(codec)
            except (UnicodeDecodeError, LookupError):
                continue
    if declared == "utf-8":
        # Declared UTF-8 with a few invalid bytes (a pasted Windows quote, a cut multi-byte
        # character): the declaration wins and only the bad bytes are replaced. A page whose
        # non-ASCII bytes are mostly invalid UTF-8 is mislabelled and goes to detection.
        text = body.decode("utf-8", errors="replace")
        invalid = text.count("\ufffd") - body.count("\ufffd".encode())
        valid = sum(1 for ch in text if ord(ch) > 127) - text.count("\ufffd")
        if invalid <= 8 or invalid * 4 <= valid:
            return text
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        try:
            return body.decode(best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    # A declared (or UTF-8) page with a few broken bytes is still readable.
    for codec in tried:
        if codec.startswith(("utf-16", "utf-32")):
            continue
        text = body.decode(codec, errors="replace")
        if text.count("\ufffd") <= max(8, len(text) // 500):
            return text
    raise DecodeError(f"no encoding fits the body (declared: {declared or 'none'})")
