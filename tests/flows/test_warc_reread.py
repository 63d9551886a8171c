"""A capture read again at its offset (read_capture_at: revisits, reprocessing) is the capture
the file's reading gave, ARC records included (their ids are made up by the ARC-to-WARC
conversion, so an ARC record is known by file and offset)."""

from __future__ import annotations

from flows.acquire.warc import read_capture_at, read_warc
from tests.fixtures import quirky_warcs as quirks


def test_an_arc_record_read_again_at_its_offset_keeps_its_capture_id(tmp_path):
    for name, data in (("q.arc", quirks.arc_file()), ("q.arc.gz", quirks.arc_gz_file())):
        path = tmp_path / name
        path.write_bytes(data)
        captures = list(read_warc(str(path)))
        assert captures
        for capture in captures:
            again = read_capture_at(str(path), capture.warc_offset)
            assert again.ref.record_key == capture.ref.record_key == f"{name}@{capture.warc_offset}"
            assert again.ref.capture_id == capture.ref.capture_id
            assert again.body == capture.body
