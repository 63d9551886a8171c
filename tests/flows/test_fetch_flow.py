"""Fetching through the whole flow: a real pywb archive, a real HTTP server, a killed run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pyarrow.dataset as ds

from flows.acquire.warc import read_warc
from flows.ingest import ingest
from flows.options import RunOptions
from tests.support.pywb import PYWB_PAGES
from tests.support.servers import FaultServer

BIN = Path(sys.executable).parent / "newsarchive"


def _ledger(data_dir: Path) -> list[dict]:
    return ds.dataset(data_dir / "parquet" / "captures", format="parquet", partitioning="hive").to_table().to_pylist()


def _fetch_run(data_dir: Path, archive: str, **inputs: object) -> RunOptions:
    """A fetch run of CDX patterns against the pywb archive, 50 req/s to it."""
    rates = ["127.0.0.1=50", "127.0.0.1#cdx=50"]
    return RunOptions.build(archive=archive, data_dir=str(data_dir), rates=rates, **inputs)


def _warehouse(data_dir: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(data_dir / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_cdx_run_against_pywb_lands_the_archived_pages_in_duckdb(prefect_server, pywb_archive, tmp_path):
    data_dir = tmp_path / "data"
    options = _fetch_run(
        data_dir,
        pywb_archive.base_url,
        cdx_patterns=["harbour-gazette.example/*"],
        date_from="20200101",
        date_to="20201231",
    )
    summary = ingest(options)
    # 2020 captures of harbour-gazette pages that are 200 text/html: council-vote (first policy:
    # the earliest of its three), ferry-strike and cafe; the image and the 404 are filtered by CDX.
    expected = {
        page.url: page
        for page in PYWB_PAGES
        if page.url.startswith("https://harbour-gazette.example/news/")
        and page.captured_at.year == 2020
        and page.status == 200
        and page.content_type.startswith("text/html")
    }
    titles = dict(_warehouse(data_dir, "SELECT url, title FROM articles"))
    assert set(titles) == set(expected)
    assert titles["https://harbour-gazette.example/news/council-vote"] == "Council votes to rebuild the harbour wall"
    assert titles["https://harbour-gazette.example/news/cafe"] == "Café owners welcome the new pier"
    assert summary.article_count == len(expected) and summary.rejection_count == 0
    archive_urls = [row[0] for row in _warehouse(data_dir, "SELECT archive_url FROM articles")]
    assert all("id_/https://harbour-gazette.example/" in url for url in archive_urls)

    # Every response is in the raw WARC archive, byte for byte, findable from the ledger.
    bodies = {(page.url, page.captured_at): page.body for page in PYWB_PAGES}
    for row in _ledger(data_dir):
        [capture] = [c for c in read_warc(row["warc_file"]) if c.warc_offset == row["warc_offset"]]
        assert capture.body == bodies[(capture.ref.url, capture.ref.captured_at)]
        assert capture.ref.archive_url == row["archive_url"]

    # A second run asks the CDX API again but fetches no capture twice.
    again = ingest(options)
    assert again.capture_count == 0 and again.skipped_count == len(expected)

    # reprocess: extraction again from the stored WARCs only.
    result = subprocess.run(
        [str(BIN), "reprocess", "--data-dir", str(data_dir)], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert _warehouse(data_dir, "SELECT count(*), count(DISTINCT article_id) FROM articles") == [
        (len(expected), len(expected))
    ]


def test_a_killed_run_resumes_without_refetching_or_duplicates(prefect_server, tmp_path):
    with FaultServer(latency=0.15) as server:
        urls = [f"{server.base_url}/ok/story-{n}" for n in range(40)]
        url_file = tmp_path / "urls.txt"
        url_file.write_text("# forty stories\n" + "\n".join(urls) + "\n")
        data_dir = tmp_path / "data"
        command = [
            str(BIN),
            "run",
            "--urls",
            str(url_file),
            "--batch-size",
            "5",
            "--fetch-workers",
            "2",
            "--rate",
            "127.0.0.1=30",
            "--allow-private-hosts",  # the server listens on 127.0.0.1
            "--processes",
            "1",
            "--data-dir",
            str(data_dir),
        ]
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        ledger_dir = data_dir / "parquet" / "captures"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if ledger_dir.is_dir() and len(list(ledger_dir.rglob("*.parquet"))) >= 2:
                break
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
        done_before = {row["url"] for row in _ledger(data_dir) if row["status"] == "article"}
        assert 5 <= len(done_before) < len(urls), "the kill should land part-way through the run"
        counts_before = dict(server.counts)

        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr

        for url in done_before:
            path = url.removeprefix(server.base_url)
            assert server.counts[path] == counts_before[path] == 1, f"{url} was fetched again"
    assert _warehouse(data_dir, "SELECT count(*), count(DISTINCT article_id) FROM articles") == [(40, 40)]
    parquet_ids = (
        ds.dataset(data_dir / "parquet" / "articles", format="parquet", partitioning="hive")
        .to_table(columns=["article_id"])
        .column(0)
        .to_pylist()
    )
    assert len(parquet_ids) == len(set(parquet_ids)) == 40
    assert {row[0] for row in _warehouse(data_dir, "SELECT url FROM articles")} == set(urls)


def test_incremental_runs_continue_after_the_cursor_and_skip_recaptures(prefect_server, pywb_archive, tmp_path):
    data_dir = tmp_path / "data"
    common: dict = dict(cdx_patterns=["harbour-gazette.example/news/*"], source_name="gazette", incremental=True)
    first = ingest(_fetch_run(data_dir, pywb_archive.base_url, date_from="20200101", date_to="20200115", **common))
    assert first.article_count == 1  # council-vote, captured 2020-01-10
    second = ingest(_fetch_run(data_dir, pywb_archive.base_url, date_to="20201231", **common))
    # From 2020-01-10 08:00:01 on: council-vote's recaptures (its URL has an article: not
    # fetched), ferry-strike and cafe (new: fetched).
    assert second.capture_count == 2 and second.article_count == 2
    assert second.skipped_count == 1
    urls = {row[0] for row in _warehouse(data_dir, "SELECT url FROM articles")}
    assert urls == {f"https://harbour-gazette.example/news/{slug}" for slug in ("council-vote", "ferry-strike", "cafe")}
