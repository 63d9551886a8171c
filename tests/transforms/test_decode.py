"""Decoding: declared charsets first (argument, header, <meta>), then detection; binary sniffing."""

from __future__ import annotations

import pytest

from transforms.decode import DecodeError, declared_charset, decode_html, is_html_content_type, looks_binary

GERMAN = "<p>Größere Fähren für die Überfahrt nach Süderoog</p>"
RUSSIAN = "<p>Жители требуют отремонтировать дорогу к посёлку</p>"


@pytest.mark.parametrize(
    "body, content_type, headers, codec",
    [
        # charset in the content_type argument
        (b"<html></html>", "text/html; charset=windows-1251", None, "cp1251"),
        # charset in a header, any capitalisation of the name
        (b"<html></html>", None, {"content-TYPE": "text/html; charset=KOI8-R"}, "koi8-r"),
        # <meta charset>
        (b'<html><head><meta charset="iso-8859-2"></head></html>', None, None, "iso8859-2"),
        # <meta http-equiv> form
        (b'<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">', None, None, "cp932"),
        # latin-1 means windows-1252, as browsers read it
        (b"<html></html>", "text/html; charset=ISO-8859-1", None, "cp1252"),
        # an unknown label is ignored
        (b"<html></html>", "text/html; charset=no-such-codec", None, None),
        # nothing declared
        (b"<html></html>", "text/html", None, None),
    ],
)
def test_declared_charset(body, content_type, headers, codec):
    assert declared_charset(body, content_type, headers) == codec


@pytest.mark.parametrize(
    "text, codec, content_type",
    [
        (GERMAN, "cp1252", "text/html; charset=windows-1252"),  # declared in the header
        (RUSSIAN, "cp1251", "text/html; charset=windows-1251"),
        (f'<meta charset="windows-1251">{RUSSIAN}', "cp1251", "text/html"),  # declared in <meta> only
        (GERMAN, "utf-8", "text/html"),  # undeclared UTF-8
        (GERMAN, "utf-8", "text/html; charset=iso-8859-1"),  # mislabelled UTF-8 still reads right
        (RUSSIAN * 20, "cp1251", None),  # undeclared single-byte: detection
    ],
)
def test_decode_html(text, codec, content_type):
    assert decode_html(text.encode(codec), content_type) == text


def test_decode_html_byte_order_mark_wins():
    assert decode_html("\ufeff<p>Ä</p>".encode("utf-8"), "text/html; charset=windows-1251") == "<p>Ä</p>"
    assert decode_html("<p>Ä</p>".encode("utf-16"), None) == "<p>Ä</p>"


def test_decode_html_passes_text_through():
    assert decode_html(GERMAN) == GERMAN


def test_decode_html_refuses_noise():
    with pytest.raises(DecodeError):
        decode_html(bytes(range(128, 256)) * 40 + b"\x81\x8d\x8f\x90\x9d" * 50, "text/html; charset=utf-8")


@pytest.mark.parametrize(
    "body, binary",
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00", True),  # PNG
        (b"\xff\xd8\xff\xe0\x00\x10JFIF", True),  # JPEG
        (b"%PDF-1.7\n", True),  # PDF
        (b"\x1f\x8b\x08\x00", True),  # gzip
        (bytes(range(0, 32)) * 10, True),  # control bytes
        (b"<!doctype html><p>hi</p>", False),
        ("<p>Привет</p>".encode("utf-16"), False),  # UTF-16 with its mark is text
        (b"", False),
    ],
)
def test_looks_binary(body, binary):
    assert looks_binary(body) is binary


@pytest.mark.parametrize(
    "content_type, html",
    [
        ("text/html; charset=utf-8", True),
        ("application/xhtml+xml", True),
        (None, True),  # unknown: judged by the body
        ("image/jpeg", False),
        ("application/pdf", False),
        ("application/json", False),
    ],
)
def test_is_html_content_type(content_type, html):
    assert is_html_content_type(content_type) is html
