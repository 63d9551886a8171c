"""Revisits that keep pointing at the same few originals (as a real crawl's do: pywb's iana.org
crawl has 123 revisits of 10 originals): each gets its original's body and headers, whether the
original was read for it or kept from an earlier revisit."""

from __future__ import annotations

from flows.acquire.warc import WarcInput, read_warc
from tests.fixtures import quirky_warcs as quirks


def _revisit(url: str, body: bytes, n: int) -> bytes:
    extra = {"WARC-Payload-Digest": quirks.digest(body)}
    return quirks.warc_record("revisit", url, quirks.http_response(b""), date=f"2021-06-01T00:00:{n:02d}Z", extra=extra)


def test_many_revisits_of_two_originals_each_get_the_original(tmp_path):
    one, two = quirks.page(1), quirks.page(2)
    originals = quirks.members(
        quirks.response("https://news.example.org/style", one, http_headers={"X-Original": "1"}),
        quirks.response("https://news.example.org/logo", two, http_headers={"X-Original": "2"}),
    )
    revisits = quirks.members(*(_revisit("https://news.example.org/style", one, n) for n in range(40)))
    revisits += quirks.members(*(_revisit("https://news.example.org/logo", two, n) for n in range(3)))
    (tmp_path / "a.warc.gz").write_bytes(originals)
    (tmp_path / "b.warc.gz").write_bytes(revisits)
    run = WarcInput()
    captures = [c for name in ("a", "b") for c in read_warc(str(tmp_path / f"{name}.warc.gz"), shared=run)]
    captures += list(run.finish())
    filled = captures[2:]
    assert len(filled) == 43 and [c.error_reason for c in filled] == [None] * 43
    assert [c.body for c in filled] == [one] * 40 + [two] * 3
    assert [c.headers.get("X-Original") for c in filled] == ["1"] * 40 + ["2"] * 3
    assert len({id(c.headers) for c in filled}) == 43  # each capture its own headers
    assert len({c.ref.capture_id for c in captures}) == 45
