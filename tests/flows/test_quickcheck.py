"""The quick check before a run (flows/quickcheck.py): a rerun of WARC files the ledger has done
is answered from the ledger, also when the ledger is older than records' own capture ids."""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.parquet as pq

from flows.acquire.warc import read_warc
from flows.options import RunOptions
from flows.quickcheck import captures_to_do, done_capture_count
from tests.fixtures import quirky_warcs as quirks


def _crawl(tmp_path):
    path = tmp_path / "crawl.warc.gz"
    urls = [f"https://news.example.org/2021/{n}" for n in range(3)]
    path.write_bytes(
        quirks.members(quirks.warcinfo(), *(quirks.response(url, quirks.page(n)) for n, url in enumerate(urls)))
    )
    return path


def _ledger(data_dir, capture_ids):
    """A captures ledger (the run ledger's Parquet dataset) with `capture_ids` done as articles."""
    directory = data_dir / "parquet" / "captures"
    directory.mkdir(parents=True)
    rows = {
        "capture_id": capture_ids,
        "status": ["article"] * len(capture_ids),
        "reason": [None] * len(capture_ids),
        "recorded_at": [datetime(2024, 1, 1, tzinfo=UTC)] * len(capture_ids),
        "run_id": ["run-1"] * len(capture_ids),
    }
    schema = pa.schema(
        [("capture_id", pa.string()), ("status", pa.string()), ("reason", pa.string())]
        + [("recorded_at", pa.timestamp("us", tz="UTC")), ("run_id", pa.string())]
    )
    pq.write_table(pa.table(rows, schema=schema), directory / "part-0.parquet")


def test_a_rerun_over_a_dataset_with_url_and_second_ids_is_done_from_the_ledger(tmp_path):
    warc = _crawl(tmp_path)
    refs = [capture.ref for capture in read_warc(str(warc))]
    assert len(refs) == 3 and all(ref.capture_id != ref.legacy_capture_id for ref in refs)
    _ledger(tmp_path / "data", [ref.legacy_capture_id for ref in refs])  # written before record ids
    options = RunOptions.build(warc_paths=[str(warc)], data_dir=str(tmp_path / "data"))
    assert done_capture_count(options) == 3
    assert captures_to_do(options, 0) == []


def test_the_quick_check_still_sees_a_capture_that_is_not_done(tmp_path):
    warc = _crawl(tmp_path)
    refs = [capture.ref for capture in read_warc(str(warc))]
    # one under its legacy id, one under its record id, the third not in the ledger
    _ledger(tmp_path / "data", [refs[0].legacy_capture_id, refs[1].capture_id])
    options = RunOptions.build(warc_paths=[str(warc)], data_dir=str(tmp_path / "data"))
    assert done_capture_count(options) is None
    assert [capture.ref for capture in captures_to_do(options, 1)] == [refs[2]]
    assert captures_to_do(options, 0) is None
