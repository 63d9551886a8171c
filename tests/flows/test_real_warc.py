"""WARC and ARC files with real crawlers' quirks (written by tests/fixtures/quirky_warcs.py) read
to their last record, every record accounted for (issue 13)."""

from __future__ import annotations

import json
import resource

import duckdb
import pytest

from flows.acquire.captures import CaptureRef
from flows.acquire.warc import WarcInput, WarcReadError, read_capture_at, read_warc
from tests.fixtures import quirky_warcs as quirks
from tests.support.cli import newsarchive


def _read(*paths, max_bytes=None):
    shared = WarcInput() if max_bytes is None else WarcInput(max_bytes=max_bytes)
    captures = []
    for path in paths:
        captures += list(read_warc(str(path), shared=shared))
    return captures + list(shared.finish()), shared


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_chunked_header_over_a_dechunked_body_is_read_and_a_really_chunked_one_dechunked(tmp_path):
    captures, _ = _read(_write(tmp_path, "c.warc.gz", quirks.chunked_header_over_plain_body()))
    assert [c.ref.url.rsplit("/", 1)[1] for c in captures] == ["a", "style.css", "c", "d"]
    assert [c.error_reason for c in captures] == [None] * 4
    assert captures[0].body == quirks.page(0)
    assert captures[1].body == b"body { color: red }"
    assert captures[2].body == quirks.page(2)  # the chunking removed


def test_content_length_drift_resynchronises_on_the_next_record(tmp_path):
    captures, shared = _read(_write(tmp_path, "d.warc", quirks.content_length_drift()))
    assert [c.ref.url.rsplit("/", 1)[1] for c in captures] == ["1", "2", "3", "4"]
    assert captures[0].body == quirks.page(1)
    assert captures[3].body == quirks.page(4)
    assert shared.other_records == {"warcinfo": 1}


@pytest.mark.parametrize("name", ["quirky.arc", "quirky.arc.gz"])
def test_arc_v1_files_are_read_with_file_and_offset_as_the_record_key(tmp_path, name):
    data = quirks.arc_file() if name == "quirky.arc" else quirks.arc_gz_file()
    path = _write(tmp_path, name, data)
    captures, _ = _read(path)
    assert [c.ref.url for c in captures] == ["https://news.example.org/arc1", "https://news.example.org/arc2"]
    assert [c.body for c in captures] == [quirks.page(1), quirks.page(2)]
    assert [c.http_status for c in captures] == [200, 200]
    assert captures[0].ref.record_key == f"{name}@{captures[0].warc_offset}"
    again, _ = _read(path)
    assert [c.ref.capture_id for c in again] == [c.ref.capture_id for c in captures]
    assert read_capture_at(str(path), captures[1].warc_offset).body == quirks.page(2)


def test_warc_0_18_1_0_and_1_1_records_are_all_read(tmp_path):
    captures, _ = _read(_write(tmp_path, "v.warc.gz", quirks.versions()))
    assert [c.ref.url.rsplit("/", 1)[1] for c in captures] == ["v0.18", "v1.0", "v1.1"]
    assert all(c.body == quirks.page(n) for n, c in enumerate(captures))


def test_an_undecodable_record_is_one_rejection_and_the_file_is_read_on(tmp_path):
    captures, _ = _read(_write(tmp_path, "u.warc.gz", quirks.undecodable_middle()))
    assert [c.error_reason for c in captures] == [None, "unreadable_record", None]
    assert captures[2].body == quirks.page(2)


def test_a_gzip_bomb_is_too_large_with_bounded_memory_and_the_next_record_is_read(tmp_path):
    path = _write(tmp_path, "bomb.warc.gz", quirks.gzip_bomb(decoded_bytes=96 * 1024 * 1024))
    assert path.stat().st_size < 400_000
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    captures, _ = _read(path, max_bytes=8 * 1024 * 1024)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert [c.error_reason for c in captures] == ["too_large", None]
    assert grown_mb < 100  # 96 MB decoded would show; the cap stops inflating at 8 MB + 1
    assert captures[1].body == quirks.page(1)


def test_records_that_are_not_pages_are_counted_apart_and_feeds_are_not_html(tmp_path):
    captures, shared = _read(_write(tmp_path, "o.warc.gz", quirks.odd_records()))
    reasons = {c.ref.url: c.error_reason for c in captures}
    assert reasons["dns:news.example.org"] == "not_a_page"
    assert reasons["metadata://news.example.org/crawl"] == "not_a_page"
    assert reasons["https://news.example.org/feed.xml"] == "not_html"
    assert shared.other_records == {"warcinfo": 1, "request": 1, "metadata": 1}
    same_second = [c for c in captures if c.ref.url == "https://news.example.org/p"]
    assert len(same_second) == 2 and len({c.ref.capture_id for c in same_second}) == 2
    assert [c.ref.published_hint for c in same_second] == [None, None]  # the bad hint is ignored
    assert [c.body for c in same_second] == [quirks.page(1), quirks.page(2)]


def test_revisits_resolve_across_the_files_of_a_run(tmp_path):
    first, second = quirks.split_crawl()
    one, two = _write(tmp_path, "crawl-1.warc.gz", first), _write(tmp_path, "crawl-2.warc.gz", second)
    captures, _ = _read(one, two)
    revisits = captures[2:]
    assert [c.error_reason for c in revisits] == [None, None]
    assert [c.body for c in revisits] == [quirks.page(1), quirks.page(2)]  # by digest, by WARC-Refers-To
    alone, _ = _read(two)
    assert [c.error_reason for c in alone] == ["revisit", "revisit"]
    run = WarcInput()
    assert list(read_warc(str(two), shared=run)) == []  # held until the run's end
    in_dataset = list(run.finish([str(one)]))  # the WARC files of captures already ingested
    assert [c.body for c in in_dataset] == [quirks.page(1), quirks.page(2)]


def test_a_whole_file_gzip_says_so_and_how_to_recompress(tmp_path):
    with pytest.raises(WarcReadError, match="gzipped as a whole.*warcio recompress"):
        list(read_warc(str(_write(tmp_path, "w.warc.gz", quirks.whole_file_gzip()))))


def test_a_record_done_under_its_old_url_and_second_id_is_still_done():
    ref = CaptureRef(url="https://news.example.org/p", record_key="<urn:uuid:1>@0")
    assert ref.capture_id != ref.legacy_capture_id
    assert ref.is_done_in({ref.legacy_capture_id})
    assert ref.is_done_in({ref.capture_id})
    assert not ref.is_done_in(set())


def test_a_run_over_several_files_reads_every_readable_one_and_names_each_unreadable_one(tmp_path):
    paths = quirks.write_all(tmp_path / "in")
    broken = tmp_path / "in" / "notes.warc"
    broken.write_bytes(b"Notes from the newsroom, not an archive.\n" * 3)
    order = ["chunked.warc.gz", "whole.warc.gz", "crawl-2.warc.gz", "quirky.arc.gz", "crawl-1.warc.gz", "odd.warc.gz"]
    args = [arg for name in order for arg in ("--warc", str(paths[name]))] + ["--warc", str(broken)]
    data = tmp_path / "data"
    result = newsarchive("run", *args, "--data-dir", str(data), "--format", "json", "-q", timeout=600)
    assert result.returncode == 1, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 2 and "whole.warc.gz" in errors[0] and "notes.warc" in errors[1], result.stderr
    summary = json.loads(result.stdout)
    files = [str(path) for path in (data / "parquet" / "captures").rglob("*.parquet")]
    rows = duckdb.sql(f"SELECT warc_file, count(*) FROM read_parquet({files!r}) GROUP BY 1").fetchall()
    per_file = {path.rsplit("/", 1)[1]: count for path, count in rows}
    assert per_file == {
        "chunked.warc.gz": 4,
        "crawl-2.warc.gz": 2,
        "quirky.arc.gz": 2,
        "crawl-1.warc.gz": 2,
        "odd.warc.gz": 5,
    }
    assert summary["capture_count"] == sum(per_file.values())
    assert summary["other_records"] == {"warcinfo": 3, "request": 1, "metadata": 1}  # the ARC filedesc too
    reasons = duckdb.sql(f"SELECT reason FROM read_parquet({files!r}) WHERE warc_file LIKE '%crawl-2%'").fetchall()
    assert ("revisit",) not in reasons  # resolved by crawl-1.warc.gz, read after it
    again = newsarchive("run", *args, "--data-dir", str(data), "--format", "json", "-q", timeout=600)
    assert json.loads(again.stdout)["capture_count"] == 0
    assert json.loads(again.stdout)["skipped_count"] == sum(per_file.values())


def test_a_repeated_header_reads_its_first_value_on_the_fast_and_the_fallback_path(tmp_path):
    # The second record's status line has doubled spaces: FastWARC leaves it to warcio.
    repeated = {"WARC-Target-Uri": "https://news.example.org/second-value"}
    fast = quirks.response("https://news.example.org/a", quirks.page(1), extra=repeated)
    slow = quirks.response("https://news.example.org/b", quirks.page(2), status=" 200  OK", extra=repeated)
    captures, _ = _read(_write(tmp_path, "repeated.warc.gz", quirks.members(quirks.warcinfo(), fast, slow)))
    assert [c.ref.url for c in captures] == ["https://news.example.org/a", "https://news.example.org/b"]
