"""The ingest flow end to end, under a real (temporary) Prefect server."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from flows.ingest import SAMPLE_WARC, ingest
from flows.options import LoadOptions, RunOptions
from tests.support.factories import write_warc

EXPECTED = json.loads((SAMPLE_WARC.parent / "expected.json").read_text(encoding="utf-8"))["captures"]
ARTICLE_URLS = {c["url"] for c in EXPECTED if c["kind"] == "article"}


@pytest.fixture(scope="module")
def sample_run(prefect_server, tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("data")
    first = ingest(RunOptions.build(data_dir=str(data_dir)))
    second = ingest(RunOptions.build(data_dir=str(data_dir)))
    return data_dir, first, second


def _articles(data_dir: Path) -> list[dict]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        cursor = con.execute("SELECT * FROM articles ORDER BY url")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def test_every_article_page_of_the_sample_becomes_one_article(sample_run):
    data_dir, first, _ = sample_run
    articles = _articles(data_dir)
    assert len(articles) == len(ARTICLE_URLS)
    assert {a["url"] for a in articles} == ARTICLE_URLS
    assert first.article_count == len(ARTICLE_URLS)
    assert first.capture_count == len(EXPECTED)


def test_every_capture_is_accounted_for_in_the_summary_and_the_ledger(sample_run):
    data_dir, first, _ = sample_run
    assert first.article_count + first.duplicate_count + first.rejection_count == first.capture_count
    expected_reasons = Counter(c["reason"] for c in EXPECTED if c["reason"])
    assert first.rejections == dict(expected_reasons)
    ledger = ds.dataset(data_dir / "parquet" / "captures", format="parquet", partitioning="hive").to_table().to_pylist()
    assert len(ledger) == len(EXPECTED)
    assert Counter(row["status"] for row in ledger) == {
        "article": len(ARTICLE_URLS),
        "duplicate": first.duplicate_count,
        "rejected": first.rejection_count,
    }


def test_articles_have_the_contract_fields_filled(sample_run):
    data_dir, _, _ = sample_run
    for article in _articles(data_dir):
        assert article["title"] and article["text"].strip() and article["publication"], article["url"]
        assert article["domain"] and article["content_hash"] and article["extractor_version"]
        assert article["word_count"] > 20
        assert isinstance(article["authors"], list)
        for name in article["authors"]:
            assert name == name.strip() and not name.lower().startswith(("by ", "von ")) and "@" not in name
        assert article["published_at"] is not None and article["published_at"].utcoffset().total_seconds() == 0
        assert article["published_at"] <= article["captured_at"]


def test_second_run_finds_nothing_new_and_adds_no_duplicates(sample_run):
    data_dir, _, second = sample_run
    assert second.capture_count == 0
    assert second.skipped_count == len(EXPECTED)
    assert second.article_count == 0
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        total, distinct = con.execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone()
        runs = con.execute("SELECT count(*) FROM runs").fetchone()[0]
    assert total == distinct == len(ARTICLE_URLS)
    assert runs == 2
    parquet_ids = (
        ds.dataset(data_dir / "parquet" / "articles", format="parquet", partitioning="hive")
        .to_table(columns=["article_id"])
        .column(0)
        .to_pylist()
    )
    assert len(parquet_ids) == len(set(parquet_ids)) == len(ARTICLE_URLS)


def test_a_truncated_warc_keeps_what_was_read_and_records_the_cut_record(prefect_server, tmp_path):
    # Issue 13: a file cut inside a record is read to the cut (as warcio does), not an error;
    # the cut record is a `truncated_record` row of the ledger.
    page = (
        "<html><head><title>T {n}</title></head><body>" + "<p>" + "Harbour council news. " * 40 + "</p></body></html>"
    )
    warc = write_warc(
        tmp_path / "crawl.warc.gz",
        [{"url": f"https://news.example.com/2020/story-{n}", "body": page.format(n=n).encode()} for n in range(6)],
    )
    data = warc.read_bytes()
    warc.write_bytes(data[: int(len(data) * 0.75)])
    data_dir = tmp_path / "data"
    summary = ingest(RunOptions.build(warc_paths=[str(warc)], data_dir=str(data_dir)))
    assert summary.errors == [] and summary.status == "completed"
    ledger = ds.dataset(data_dir / "parquet" / "captures", format="parquet", partitioning="hive").to_table()
    assert 3 <= ledger.num_rows < 6 and ledger.num_rows == summary.capture_count
    assert ledger.column("reason").to_pylist().count("truncated_record") == 1


def test_load_and_reprocess_are_flows_of_their_own(prefect_server, tmp_path):
    from prefect.client.orchestration import get_client

    from flows.ingest import load_warehouse, reprocess_captures

    data_dir = tmp_path / "data"
    run = ingest(RunOptions.build(data_dir=str(data_dir), load=False))
    assert run.article_count == len(ARTICLE_URLS)
    assert not (data_dir / "warehouse.duckdb").exists()
    loaded = load_warehouse(LoadOptions(data_dir=str(data_dir)))
    assert (loaded.new_article_count, loaded.total_article_count) == (len(ARTICLE_URLS), len(ARTICLE_URLS))
    assert load_warehouse(LoadOptions(data_dir=str(data_dir))).new_file_count == 0

    # The ledger names the WARC each capture came from (here the bundled sample): extract all
    # again, offline; the warehouse still holds one row per article.
    again = reprocess_captures(data_dir=str(data_dir), processes=1)
    assert again.capture_count == len(EXPECTED) and again.total_article_count == len(ARTICLE_URLS)
    with pytest.raises(FileNotFoundError, match="no stored WARC files"):
        reprocess_captures(data_dir=str(tmp_path / "empty"))

    async def flow_names() -> list[str]:
        async with get_client() as client:
            return [run.name for run in await client.read_flow_runs()]

    import asyncio

    names = asyncio.run(flow_names())
    assert any(name.startswith("load ") for name in names) and any(name.startswith("reprocess ") for name in names)


def test_loads_during_a_run_defer_the_index_and_the_last_load_indexes_everything(prefect_server, tmp_path):
    data_dir = tmp_path / "data"
    summary = ingest(RunOptions.build(data_dir=str(data_dir), batch_size=10, write_every=10, load_every=10))
    assert summary.total_article_count == len(ARTICLE_URLS)
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        loads = con.execute("SELECT count(DISTINCT load_id) FROM loads").fetchone()[0]
        pending = con.execute("SELECT count(*) FROM fts_pending").fetchone()[0]
        indexed = con.execute("SELECT count(*) FROM fts_main_articles.docs").fetchone()[0]
    assert loads > 2  # several loads during the run, then the final one
    assert pending == 0 and indexed == len(ARTICLE_URLS)


def test_the_last_batches_are_loaded_once_by_the_final_load_and_the_rest_indexed_before(prefect_server, tmp_path):
    """Loads merge rows while the input lasts. When it ends, what is written is loaded and
    indexed while the last batches still extract; those batches are then written as they
    finish and loaded once, by the final load, which so has little left to do."""
    data_dir = tmp_path / "data"
    batch_count = -(-len(EXPECTED) // 10)
    summary = ingest(
        RunOptions.build(data_dir=str(data_dir), batch_size=10, write_every=10, load_every=1, max_in_flight=4)
    )
    assert summary.total_article_count == len(ARTICLE_URLS)
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        loads = con.execute(
            "SELECT load_id, count(*) FILTER (dataset = 'captures') FROM loads WHERE dataset <> 'runs' "
            "GROUP BY load_id ORDER BY min(loaded_at)"
        ).fetchall()
        pending = con.execute("SELECT count(*) FROM fts_pending").fetchone()[0]
        indexed = con.execute("SELECT count(*) FROM fts_main_articles.docs").fetchone()[0]
    # each batch is written on its own (write_every=10) and, while the input lasts, loaded on its
    # own; then one load when the input ends, and the final load with the last four batches
    assert batch_count == 8 and 3 <= len(loads) <= batch_count - 4 + 2
    assert loads[-1][1] == 4
    assert pending == 0 and indexed == len(ARTICLE_URLS)
