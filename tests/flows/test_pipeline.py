"""The plain pipeline steps: every capture ends as one ledger row; duplicates are linked."""

from __future__ import annotations

from datetime import UTC, datetime

from flows.acquire.captures import Capture, CaptureRef
from flows.extraction import ArticleDeduplicator, extract_batch

WHEN = datetime(2021, 5, 4, 12, 0, tzinfo=UTC)


def _page(title: str, words: str) -> bytes:
    body = "".join(
        f"<p>{words} Sentence {n} adds a little more about the harbour and the council.</p>" for n in range(8)
    )
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>".encode()


def _capture(url: str, body: bytes, **fields) -> Capture:
    values = {"http_status": 200, "content_type": "text/html; charset=utf-8", **fields}
    return Capture(ref=CaptureRef(url=url, captured_at=WHEN, source="warc"), body=body, **values)


def test_every_capture_gets_one_ledger_row_with_its_outcome():
    story = _page("Harbour wall to be rebuilt", "The council voted on Tuesday to rebuild the harbour wall.")
    captures = [
        _capture("https://news.example.com/2021/05/harbour-wall", story),
        _capture("https://news.example.com/missing", b"gone", http_status=404),
        _capture("https://news.example.com/timeout", b"", error_reason="timeout", error_detail="read timed out"),
        _capture("https://news.example.com/logo.png", b"\x89PNG\r\n\x1a\n", content_type="image/png"),
    ]
    result = extract_batch(captures, run_id="run-1")
    assert [row.status for row in result.outcomes] == ["article", "rejected", "rejected", "rejected"]
    assert [row.reason for row in result.outcomes] == [None, "http_404", "timeout", "not_html"]
    assert [row.capture_id for row in result.outcomes] == [c.ref.capture_id for c in captures]
    assert len(result.articles) == 1 and result.articles[0].run_id == "run-1"
    assert result.outcomes[0].article_id == result.articles[0].article_id


def test_duplicates_are_recorded_and_copies_linked_not_dropped():
    story = _page("Ferry strike called off", "Ferry crews called off Friday's strike after talks ended late.")
    other = _page("Market day returns", "Stalls returned to the quay for the first market day of spring.")
    earlier = extract_batch([_capture("https://gazette.example.com/2021/ferry-strike", story)], run_id="r1")
    dedupe = ArticleDeduplicator({earlier.articles[0].article_id: earlier.articles[0].content_hash})
    batch = extract_batch(
        [
            _capture("https://gazette.example.com/2021/ferry-strike?utm_source=feed", story),  # same URL once canonical
            _capture("https://syndicate.example.org/wire/ferry-strike", story),  # the same text elsewhere
            _capture("https://gazette.example.com/2021/market-day", other),
        ],
        run_id="r2",
    )
    kept = dedupe.filter(batch)
    assert [row.status for row in kept.outcomes] == ["duplicate", "article", "article"]
    assert kept.outcomes[0].article_id == earlier.articles[0].article_id
    copy, fresh = kept.articles
    assert copy.url == "https://syndicate.example.org/wire/ferry-strike"
    assert copy.duplicate_of == earlier.articles[0].article_id
    assert fresh.duplicate_of is None
