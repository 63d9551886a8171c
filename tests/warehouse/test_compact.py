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


def test_compact_keeps_only_the_current_row_of_each_article(data_dir):
    """After a reprocess (a newer extractor_version) or an earlier capture met later, the Parquet
    files hold two rows of an article; compact keeps the one the warehouse keeps, even when the
    other sits alone in a partition of its own (another year)."""
    from datetime import timedelta

    first = [make_article(i, publication="Gazette", extractor_version="1.0") for i in range(6)]
    parquet.write_articles(data_dir, first, run_id="r1")
    newer = [make_article(i, publication="Gazette", extractor_version="2.0", title=f"New {i}") for i in range(3)]
    moved = make_article(
        4,
        publication="Gazette",
        extractor_version="2.0",
        title="Moved",
        published_at=first[4].published_at - timedelta(days=800),
    )
    parquet.write_articles(data_dir, [*newer, moved], run_id="r2")
    db.load(data_dir)
    warehouse_rows = sorted(db.query(data_dir, "SELECT article_id, title FROM articles")[1])
    assert len(parquet.read_dataset(data_dir, "articles")) == 10

    summary = compact.compact(data_dir)
    table = parquet.read_dataset(data_dir, "articles")
    assert (
        sorted(zip(table.column("article_id").to_pylist(), table.column("title").to_pylist(), strict=True))
        == warehouse_rows
    )
    assert table.num_rows == 6 and summary.duplicate_row_count == 4
    assert sorted(title for _, title in warehouse_rows) == [
        "Moved",
        "New 0",
        "New 1",
        "New 2",
        "Story number 3",
        "Story number 5",
    ]
    db.load(data_dir)  # the warehouse is unchanged by the rewrite
    assert sorted(db.query(data_dir, "SELECT article_id, title FROM articles")[1]) == warehouse_rows
    assert compact.compact(data_dir).partition_count == 0  # nothing left to do
