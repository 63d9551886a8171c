"""One writer per data directory, and what a run killed outright (SIGKILL) leaves behind.

Real `newsarchive` subprocesses on real data directories: two runs at once (one proceeds, the
other stops at once naming the run that holds the directory), a lock that a killed run does not
keep, a run killed at its first write (no temp file, no mislabelled ledger row once the next run
is done), and a fetch run killed with batches in flight (the next run fetches what was lost, once).
"""

from __future__ import annotations

import json
import os
import re
import signal
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.dataset as ds

from tests.support.cli import newsarchive, sql_rows, start_newsarchive, wait_for_file
from tests.support.factories import archived_article, write_warc
from tests.support.servers import FaultServer

CAPTURE_COUNT = 400
URL_COUNT = 120  # fetched at 4 a second: 30 s at least


def _warc(tmp_path: Path, count: int = CAPTURE_COUNT) -> Path:
    captured_at = datetime(2021, 3, 1, tzinfo=UTC)
    pages = [
        archived_article(f"http://news.example/2021/story-{n}", captured_at, f"Story {n} about the ferry")
        for n in range(count)
    ]
    return write_warc(tmp_path / "stories.warc.gz", pages)


def _parquet_rows(data_dir: Path, dataset: str) -> list[dict]:
    return ds.dataset(data_dir / "parquet" / dataset, format="parquet").to_table().to_pylist()


def _temp_files(data_dir: Path) -> list[Path]:
    return [path for path in data_dir.rglob("*.tmp") if path.is_file()]


def _assert_each_capture_once(data_dir: Path, capture_count: int) -> None:
    """Parquet and the ledger hold every capture once, every article once, no temp file, and
    no capture recorded as a duplicate of an article that no capture is recorded as."""
    captures = _parquet_rows(data_dir, "captures")
    assert len(captures) == len({row["capture_id"] for row in captures}) == capture_count
    articles = _parquet_rows(data_dir, "articles")
    article_ids = [row["article_id"] for row in articles]
    assert len(article_ids) == len(set(article_ids))
    committed = {row["article_id"] for row in captures if row["status"] == "article"}
    assert committed == set(article_ids)
    assert all(row["article_id"] in committed for row in captures if row["status"] == "duplicate")
    assert _temp_files(data_dir) == []
    assert sql_rows(data_dir, "SELECT count(*) AS n FROM articles")[0]["n"] == len(article_ids)


def test_two_runs_on_one_data_directory_one_proceeds_the_other_names_it(tmp_path, prefect_server):
    """A fetch run held to 4 requests a second lasts at least 30 s: the second run, started once
    the first has written, finds it under way however fast the machine is."""
    data_dir = tmp_path / "data"
    with FaultServer() as server:
        urls = tmp_path / "urls.txt"
        urls.write_text("".join(f"{server.base_url}/ok/story-{n}\n" for n in range(URL_COUNT)))
        args = ("run", "--urls", str(urls), "--rate", "4", "--batch-size", "8", "--allow-private-hosts")
        first = start_newsarchive(*args, "--data-dir", str(data_dir))
        wait_for_file(data_dir / "parquet" / "captures", "*.parquet")  # under way, its run id known

        second = newsarchive(*args, "--data-dir", str(data_dir))
        still_running = first.poll() is None
        _, first_stderr = first.communicate(timeout=600)
        assert first.returncode == 0, first_stderr
        assert still_running

        assert second.returncode == 1, second.stderr
        assert "Traceback" not in second.stderr
        (error,) = [line for line in second.stderr.splitlines() if line.startswith("Error:")]
        (run,) = sql_rows(data_dir, "SELECT run_id, capture_count FROM runs")
        prefix = f"Error: data directory {data_dir} is in use by run {run['run_id']} (`newsarchive run`"
        assert error.startswith(prefix), error
        assert re.search(rf"pid {first.pid}, started \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)", error), error
        assert run["capture_count"] == URL_COUNT
        pages = {path: count for path, count in server.counts.items() if path.startswith("/ok/")}
        assert len(pages) == URL_COUNT and set(pages.values()) == {1}  # the second fetched nothing
        _assert_each_capture_once(data_dir, URL_COUNT)

        # The lock is free again: another writer (and a rerun) proceeds.
        assert newsarchive("load", "--data-dir", str(data_dir)).returncode == 0
        again = newsarchive(*args, "--data-dir", str(data_dir))
        assert again.returncode == 0 and "Nothing new" in again.stdout, again.stderr


def test_a_run_killed_at_its_first_write_leaves_no_lock_no_temp_file_and_no_mislabelled_row(tmp_path, prefect_server):
    """kill -9 as soon as the first article file appears: between the articles and their ledger
    rows, or just after. The next run is not turned away, and ends with every capture once."""
    data_dir = tmp_path / "data"
    args = ("run", "--warc", str(_warc(tmp_path)), "--batch-size", "50", "--data-dir", str(data_dir))
    process = start_newsarchive(*args, new_session=True)
    wait_for_file(data_dir / "parquet" / "articles", "*.parquet")
    os.killpg(process.pid, signal.SIGKILL)  # the run and its extraction processes
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL

    again = newsarchive(*args)
    assert again.returncode == 0, again.stderr
    _assert_each_capture_once(data_dir, CAPTURE_COUNT)
    assert sql_rows(data_dir, "SELECT count(*) AS n FROM captures WHERE status = 'duplicate'")[0]["n"] == 0


def test_article_files_a_killed_run_wrote_without_ledger_rows_are_taken_back_not_duplicated(tmp_path, prefect_server):
    """The state a SIGKILL between the two writes leaves, made exactly: article files with no
    ledger row for them, and a hidden temp file of a write that never finished. The next run
    records each of those captures as its article (not as a duplicate of itself), does not
    write the article twice, and removes the temp file."""
    data_dir = tmp_path / "data"
    args = ("run", "--warc", str(_warc(tmp_path, 60)), "--data-dir", str(data_dir), "--no-load")
    assert newsarchive(*args).returncode == 0
    for path in (data_dir / "parquet" / "captures").rglob("*.parquet"):
        path.unlink()  # the ledger rows a kill between the two writes never wrote
    article_file = next((data_dir / "parquet" / "articles").rglob("*.parquet"))
    temp = article_file.parent / f".{article_file.name}.0123456789ab.tmp"
    temp.write_bytes(article_file.read_bytes()[:100])  # a write cut short

    again = newsarchive("run", "--warc", str(_warc(tmp_path, 60)), "--data-dir", str(data_dir))
    assert again.returncode == 0, again.stderr
    summary = again.stdout
    assert "new articles:        60" in summary and "duplicate captures" not in summary, summary
    _assert_each_capture_once(data_dir, 60)


def test_a_fetch_run_takes_back_article_files_without_ledger_rows_too(tmp_path, prefect_server):
    """The same state in a fetch run, where a URL that has its article is not fetched again
    (one capture per URL): the URLs of uncommitted articles are fetched, and recorded, once more."""
    data_dir = tmp_path / "data"
    with FaultServer() as server:
        urls = tmp_path / "urls.txt"
        urls.write_text("".join(f"{server.base_url}/ok/story-{n}\n" for n in range(12)))
        args = ("run", "--urls", str(urls), "--allow-private-hosts", "--data-dir", str(data_dir))
        assert newsarchive(*args, "--no-load").returncode == 0
        for path in (data_dir / "parquet" / "captures").rglob("*.parquet"):
            path.unlink()
        again = newsarchive(*args)
        assert again.returncode == 0, again.stderr
        assert "new articles:        12" in again.stdout and "skipped" not in again.stdout, again.stdout
        pages = {path: count for path, count in server.counts.items() if path.startswith("/ok/")}
        assert len(pages) == 12 and set(pages.values()) == {2}
    _assert_each_capture_once(data_dir, 12)


def test_a_fetch_run_killed_with_batches_in_flight_loses_only_those_and_the_next_run_redoes_them(
    tmp_path, prefect_server
):
    """kill -9 while batches are being fetched: what was written stays, what was in flight is
    lost, and the next run fetches exactly the captures the ledger lacks (each page fetched at
    most twice over the two runs, and never again once written)."""
    data_dir = tmp_path / "data"
    with FaultServer(latency=0.05) as server:
        urls = tmp_path / "urls.txt"
        urls.write_text("".join(f"{server.base_url}/ok/story-{n}\n" for n in range(80)))
        args = ("run", "--urls", str(urls), "--rate", "8", "--batch-size", "8", "--allow-private-hosts")
        process = start_newsarchive(*args, "--data-dir", str(data_dir), new_session=True)
        wait_for_file(data_dir / "parquet" / "captures", "*.parquet")
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate(timeout=60)
        kept = {row["url"].removeprefix(server.base_url) for row in _parquet_rows(data_dir, "captures")}
        fetched_before = {path for path in server.counts if path.startswith("/ok/")}
        assert 0 < len(kept) < 80

        again = newsarchive(*args, "--format", "json", "--data-dir", str(data_dir))
        assert again.returncode == 0, again.stderr
        summary = json.loads(again.stdout)
        assert summary["skipped_count"] == len(kept) and summary["capture_count"] == 80 - len(kept)
        pages = {path: count for path, count in server.counts.items() if path.startswith("/ok/")}
        assert len(pages) == 80 and max(pages.values()) <= 2
        # Fetched twice: only pages the killed run had in flight (fetched, not yet written).
        assert {path for path, count in pages.items() if count == 2} <= fetched_before - kept
    _assert_each_capture_once(data_dir, 80)
