"""Reading captures out of WARC files with flows.acquire.warc."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import pytest

from flows.acquire.warc import WarcReadError, read_capture_at, read_warc
from tests.support.factories import write_warc

PAGE = b"<html><head><title>Harbour works</title></head><body><p>Text.</p></body></html>"


def test_reads_responses_with_url_time_status_and_exact_body(tmp_path):
    path = write_warc(
        tmp_path / "a.warc.gz",
        [
            {
                "url": "https://news.example.com/a",
                "body": PAGE,
                "date": "2019-03-04T10:15:00Z",
                "source_uri": "https://web.archive.org/web/20190304101500id_/https://news.example.com/a",
            },
            {"url": "https://news.example.com/missing", "body": b"gone", "status": 404},
            {"url": "https://news.example.com/logo.jpg", "body": b"\xff\xd8\xff\xe0", "content_type": "image/jpeg"},
        ],
    )
    captures = list(read_warc(str(path)))
    assert [c.ref.url for c in captures] == [
        "https://news.example.com/a",
        "https://news.example.com/missing",
        "https://news.example.com/logo.jpg",
    ]
    first = captures[0]
    assert first.body == PAGE
    assert first.http_status == 200
    assert first.ref.captured_at == datetime(2019, 3, 4, 10, 15, tzinfo=UTC)
    assert first.ref.archive_url.startswith("https://web.archive.org/web/20190304101500id_/")
    assert first.content_type.startswith("text/html")
    assert captures[1].http_status == 404
    assert captures[2].content_type == "image/jpeg"


def test_capture_ids_are_stable_and_distinct(tmp_path):
    path = write_warc(
        tmp_path / "a.warc.gz",
        [
            {"url": "https://news.example.com/a", "body": PAGE, "date": "2019-03-04T10:15:00Z"},
            {"url": "https://news.example.com/a", "body": PAGE, "date": "2020-01-01T00:00:00Z"},
        ],
    )
    first_read = [c.ref.capture_id for c in read_warc(str(path))]
    second_read = [c.ref.capture_id for c in read_warc(str(path))]
    assert first_read == second_read
    assert len(set(first_read)) == 2


def test_revisit_takes_the_body_of_its_original(tmp_path):
    records = [{"url": "https://news.example.com/a", "body": PAGE, "date": "2019-03-04T10:15:00Z"}]
    write_warc(tmp_path / "probe.warc.gz", records)
    records.append(
        {"url": "https://news.example.com/a", "date": "2019-05-01T00:00:00Z", "revisit_of": records[0]["digest"]}
    )
    path = write_warc(tmp_path / "a.warc.gz", records)
    captures = list(read_warc(str(path)))
    assert len(captures) == 2
    assert captures[1].body == PAGE
    assert captures[1].error_reason is None


def test_revisit_without_original_is_kept_as_a_failed_capture(tmp_path):
    path = write_warc(tmp_path / "a.warc.gz", [{"url": "https://news.example.com/a", "revisit_of": "sha1:AAAA"}])
    [capture] = read_warc(str(path))
    assert capture.error_reason == "revisit"


def test_read_capture_at_offset_returns_the_same_capture(tmp_path):
    path = write_warc(
        tmp_path / "a.warc.gz",
        [{"url": f"https://news.example.com/{n}", "body": PAGE + str(n).encode()} for n in range(5)],
    )
    for capture in read_warc(str(path)):
        again = read_capture_at(str(path), capture.warc_offset)
        assert again.ref.url == capture.ref.url
        assert again.body == capture.body


def test_uncompressed_warc_is_read_too(tmp_path):
    path = write_warc(tmp_path / "a.warc", [{"url": "https://news.example.com/a", "body": PAGE}], gzip=False)
    assert [c.body for c in read_warc(str(path))] == [PAGE]


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(WarcReadError, match="not found"):
        list(read_warc(str(tmp_path / "nope.warc.gz")))


def test_a_file_that_is_not_a_warc_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.warc.gz"
    path.write_bytes(gzip.compress(b"just some text, not a WARC\n" * 10))
    with pytest.raises(WarcReadError, match="not a WARC"):
        list(read_warc(str(path)))


def test_a_truncated_last_record_is_a_truncated_record_rejection_and_the_rest_is_read(tmp_path):
    # Issue 13: a file cut inside its last record no longer ends in an error (warcio reads it
    # too); the cut record is accounted for as `truncated_record`, the ones before it are whole.
    path = write_warc(
        tmp_path / "a.warc.gz", [{"url": f"https://news.example.com/{n}", "body": PAGE * 50} for n in range(4)]
    )
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * 0.8)])
    captures = list(read_warc(str(path)))
    assert [c.ref.url for c in captures[:3]] == [f"https://news.example.com/{n}" for n in range(3)]
    assert captures[3].ref.url in ("https://news.example.com/3", "")  # cut inside its header: no URL
    assert [c.error_reason for c in captures] == [None, None, None, "truncated_record"]
    assert captures[0].body == PAGE * 50


def test_a_response_cut_inside_is_the_only_record_lost_to_the_cut(tmp_path):
    path = write_warc(
        tmp_path / "a.warc.gz",
        [{"url": f"https://news.example.com/{n}", "body": PAGE * 20 + str(n).encode()} for n in range(6)],
        with_requests=True,
    )
    complete = [c.warc_offset for c in read_warc(str(path))]
    data = path.read_bytes()
    path.write_bytes(data[: complete[4] + 20])  # cut inside the fifth response
    captures = list(read_warc(str(path)))
    assert [c.ref.url for c in captures if c.error_reason is None] == [
        f"https://news.example.com/{n}" for n in range(4)
    ]
    assert [c.error_reason for c in captures[4:]] in ([], ["truncated_record"], ["unreadable_record"])
