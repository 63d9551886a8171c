"""Parquet dataset and WARC inputs on object storage: a real S3 API server (moto) on 127.0.0.1.

The same clients a user's run would use do the I/O: pyarrow's S3 filesystem for writes,
listings and WARC reads, DuckDB's httpfs for the ledger and the loads.
"""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pyarrow.parquet as pq
import pytest
from pyarrow import fs as pafs

from flows.acquire.warc import WarcReadError, check_warc_file, read_warc
from flows.ingest import SAMPLE_WARC, ingest
from flows.options import RunOptions
from tests.support.servers import S3_BUCKET as BUCKET
from warehouse import ledger, parquet, storage
from warehouse.layout import DataLayout

EXPECTED = json.loads((SAMPLE_WARC.parent / "expected.json").read_text(encoding="utf-8"))["captures"]
ARTICLE_COUNT = len({c["url"] for c in EXPECTED if c["kind"] == "article"})


def _upload(filesystem, local_path, key: str) -> str:
    with filesystem.open_output_stream(f"{BUCKET}/{key}", compression=None) as out:  # bytes as they are
        out.write(local_path.read_bytes())
    return f"s3://{BUCKET}/{key}"


def test_a_run_writes_its_dataset_to_s3_and_loads_it_into_duckdb(s3, prefect_server, tmp_path):
    data_dir = tmp_path / "data"
    options = RunOptions.build(data_dir=str(data_dir), parquet_uri=f"s3://{BUCKET}/news")
    layout = options.layout()
    first = ingest(options)
    assert first.article_count == ARTICLE_COUNT

    keys = [
        info.path
        for info in s3.get_file_info(pafs.FileSelector(f"{BUCKET}/news", recursive=True))
        if info.type == pafs.FileType.File
    ]
    assert any(k.startswith(f"{BUCKET}/news/articles/publication_slug=") for k in keys)
    assert any(k.startswith(f"{BUCKET}/news/captures/source_slug=") for k in keys)
    assert not any("/." in k for k in keys), "no temporary object is left behind"
    assert not (data_dir / "parquet").exists(), "nothing of the dataset is written locally"
    rows = sum(pq.read_metadata(k, filesystem=s3).num_rows for k in keys if "/articles/" in k)
    assert rows == ARTICLE_COUNT

    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == ARTICLE_COUNT
        loaded = con.execute("SELECT file FROM loads WHERE dataset = 'articles'").fetchall()
    assert loaded and all(row[0].startswith("parquet/articles/publication_slug=") for row in loaded)

    # The ledger is read back from S3: a second run has nothing to do.
    assert len(ledger.completed_capture_ids(layout)) == len(EXPECTED)
    second = ingest(options)
    assert second.capture_count == 0 and second.article_count == 0


def test_the_cli_takes_parquet_uri_and_queries_the_warehouse_built_from_s3(s3, tmp_path):
    data_dir = tmp_path / "data"
    command = [sys.executable, "-m", "flows.cli"]
    run = subprocess.run(
        [*command, "run", "--data-dir", str(data_dir), "--parquet-uri", f"s3://{BUCKET}/cli"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    stats = subprocess.run(
        [*command, "stats", "--data-dir", str(data_dir), "--parquet-uri", f"s3://{BUCKET}/cli"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert stats.returncode == 0, stats.stderr
    assert str(ARTICLE_COUNT) in stats.stdout
    # Rebuild from the S3 dataset alone: delete the DuckDB file and load again.
    (data_dir / "warehouse.duckdb").unlink()
    load = subprocess.run(
        [*command, "load", "--data-dir", str(data_dir), "--parquet-uri", f"s3://{BUCKET}/cli"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert load.returncode == 0, load.stderr
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == ARTICLE_COUNT


def test_warc_input_from_s3_reads_the_same_captures_as_the_local_file(s3):
    uri = _upload(s3, SAMPLE_WARC, "input/sample.warc.gz")
    check_warc_file(uri)
    local = [(c.ref.url, c.ref.captured_at, c.body, c.warc_offset) for c in read_warc(str(SAMPLE_WARC))]
    remote = [(c.ref.url, c.ref.captured_at, c.body, c.warc_offset) for c in read_warc(uri)]
    assert remote == local and len(remote) == len(EXPECTED)


def test_a_truncated_warc_on_s3_is_read_to_the_cut_and_a_missing_one_is_a_clear_error(s3, tmp_path):
    # Issue 13: a cut file no longer ends in an error (warcio reads on too); what precedes the
    # cut is read whole and the cut record is accounted for as `truncated_record`.
    data = SAMPLE_WARC.read_bytes()
    truncated = tmp_path / "truncated.warc.gz"
    truncated.write_bytes(data[: len(data) // 2])
    uri = _upload(s3, truncated, "input/truncated.warc.gz")
    captures = list(read_warc(uri))
    local = {c.warc_offset: c.body for c in read_warc(str(SAMPLE_WARC))}
    assert [c.error_reason for c in captures[:-1]] == [None] * (len(captures) - 1)
    assert all(c.body == local[c.warc_offset] for c in captures[:-1])
    assert captures[-1].error_reason == "truncated_record" and 10 < len(captures) < len(EXPECTED)
    with pytest.raises(WarcReadError, match="not found"):
        check_warc_file(f"s3://{BUCKET}/input/absent.warc.gz")


def test_a_failed_write_to_s3_leaves_no_visible_object(s3):
    target = f"s3://{BUCKET}/atomic/part-1.parquet"

    def half_then_crash(handle):
        handle.write(b"PAR1" + b"\0" * 1000)
        raise OSError("connection dropped (simulated)")

    with pytest.raises(OSError, match="connection dropped"):
        storage.atomic_write(target, half_then_crash)
    listing = s3.get_file_info(pafs.FileSelector(f"{BUCKET}/atomic", recursive=True, allow_not_found=True))
    assert [info.path for info in listing if info.type == pafs.FileType.File] == []


def test_listing_skips_hidden_objects_and_reports_sizes(s3, tmp_path):
    from tests.support.factories import make_article

    layout = DataLayout(tmp_path, parquet_uri=f"s3://{BUCKET}/listing")
    [uri] = parquet.write_articles(layout, [make_article(1)], run_id="r1")
    assert isinstance(uri, str) and uri.startswith(f"s3://{BUCKET}/listing/articles/")
    with s3.open_output_stream(f"{BUCKET}/listing/articles/.part-x.parquet.tmp") as out:
        out.write(b"half")
    [stored] = parquet.dataset_files(layout, "articles")
    assert stored.location == uri and stored.byte_count == s3.get_file_info(uri[len("s3://") :]).size
    assert stored.relative.startswith("parquet/articles/publication_slug=")
    assert parquet.read_dataset(layout, "articles").num_rows == 1
    with pytest.raises(storage.StorageError, match="local dataset only"):
        parquet.list_files(layout, "articles")


@pytest.mark.parametrize(
    "uri, message",
    [
        ("gs://bucket/x", "unsupported storage URI"),
        ("s3:///no-bucket", "names no bucket"),
    ],
)
def test_unsupported_locations_are_refused_with_the_reason(uri, message, tmp_path):
    with pytest.raises(storage.StorageError, match=message):
        parquet.dataset_files(DataLayout(tmp_path, parquet_uri=uri), "articles")
    result = subprocess.run(
        [sys.executable, "-m", "flows.cli", "stats", "--data-dir", str(tmp_path), "--parquet-uri", uri],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0 and message in result.stderr
