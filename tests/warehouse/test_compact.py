"""`compact` merges small files per partition and changes no data."""

from __future__ import annotations

import pyarrow.parquet as pq

from tests.support.factories import make_article, make_outcome
from warehouse import compact, db, parquet


def _many_small_files(data_dir):
    for run in range(4):
        parquet.write_articles(
            data_dir, [make_article(run * 10 + i, publication="Gazette") for i in range(5)], run_id=f"r{run}"
        )
        parquet.write_captures(
            data_dir, [make_outcome(run * 10 + i, run_id=f"r{run}") for i in range(5)], run_id=f"r{run}"
        )


def _content(data_dir, dataset, key):
    return sorted(parquet.read_dataset(data_dir, dataset).to_pylist(), key=lambda row: [str(row[k]) for k in key])


def test_compact_merges_files_without_changing_data(data_dir):
    _many_small_files(data_dir)
    articles_before = _content(data_dir, "articles", ["article_id"])
    captures_before = _content(data_dir, "captures", ["capture_id", "run_id"])
    assert len(parquet.list_files(data_dir, "articles")) == 4

    planned = compact.compact(data_dir, dry_run=True)
    assert (planned.partition_count, planned.source_file_count) == (2, 8)
    assert len(parquet.list_files(data_dir, "articles")) == 4  # dry run touches nothing

    summary = compact.compact(data_dir)
    assert (summary.partition_count, summary.source_file_count, summary.written_file_count) == (2, 8, 2)
    assert summary.row_count == 40 and summary.duplicate_row_count == 0
    [merged] = parquet.list_files(data_dir, "articles")
    assert merged.name.startswith("part-compact-")
    assert pq.read_metadata(merged).metadata[b"newsarchive.schema_version"] == b"1"
    assert _content(data_dir, "articles", ["article_id"]) == articles_before
    assert _content(data_dir, "captures", ["capture_id", "run_id"]) == captures_before

    again = compact.compact(data_dir)
    assert again.partition_count == 0  # one file per partition now


def test_compact_keeps_the_warehouse_in_step(data_dir):
    _many_small_files(data_dir)
    db.load(data_dir)
    before = db.query(data_dir, "SELECT * FROM articles ORDER BY article_id")[1]
    summary = compact.compact(data_dir)
    assert summary.ledger_updated
    reload = db.load(data_dir)
    assert reload.new_file_count == 0  # the ledger knows the merged files hold loaded rows
    assert db.query(data_dir, "SELECT * FROM articles ORDER BY article_id")[1] == before
    # and a rebuild from the compacted dataset gives the same warehouse
    db.warehouse_path(data_dir).unlink()
    db.load(data_dir)
    assert db.query(data_dir, "SELECT * FROM articles ORDER BY article_id")[1] == before


def test_interrupted_compact_converges(data_dir):
    """Killed after writing the merged file but before deleting the sources: run it again."""
    _many_small_files(data_dir)
    before = _content(data_dir, "articles", ["article_id"])
    sources = parquet.list_files(data_dir, "articles")
    saved = {path: path.read_bytes() for path in sources}
    compact.compact(data_dir)
    for path, data in saved.items():  # the sources come back, as if never deleted
        path.write_bytes(data)
    summary = compact.compact(data_dir)
    assert summary.duplicate_row_count == 20
    assert _content(data_dir, "articles", ["article_id"]) == before
