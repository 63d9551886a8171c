"""Damaged Parquet files are named, skipped and reported by load, stats and the Parquet
fallback (warehouse/unreadable.py), never a crash and never silently dropped."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from flows.cli import warehouse as cli_warehouse
from tests.support.damage import overwrite_with_junk, scramble_pages, truncate
from tests.support.factories import BASE_TIME, make_article, make_outcome
from warehouse import compact, db, ledger, parquet, stats
from warehouse.schema import RunRecord

OUTLETS = 6


@pytest.fixture
def damaged(data_dir):
    """Six one-article files, three of them damaged three ways: (data_dir, damaged relative paths)."""
    parquet.write_articles(data_dir, [make_article(i, publication=f"Outlet {i}") for i in range(OUTLETS)], run_id="r1")
    files = parquet.list_files(data_dir, "articles")
    assert len(files) == OUTLETS
    for damage, path in zip([overwrite_with_junk, truncate, scramble_pages], files[:3], strict=True):
        damage(path)
    return data_dir, {path.relative_to(data_dir).as_posix() for path in files[:3]}


def test_load_skips_and_names_unreadable_files(damaged):
    data_dir, bad = damaged
    summary = db.load(data_dir)
    assert {item.file for item in summary.unreadable_files} == bad
    assert all(item.reason and item.dataset == "articles" for item in summary.unreadable_files)
    assert summary.new_file_count == OUTLETS - 3 and summary.total_article_count == OUTLETS - 3
    assert {row[0] for row in db.query(data_dir, "SELECT file FROM unreadable_files")[1]} == bad
    # not in the ledger: the next load tries them again and still names them
    again = db.load(data_dir)
    assert again.new_file_count == 0 and {item.file for item in again.unreadable_files} == bad


def test_a_repaired_file_loads_and_leaves_the_list(damaged):
    data_dir, bad = damaged
    db.load(data_dir)
    for path in parquet.list_files(data_dir, "articles"):
        path.unlink()
    parquet.write_articles(data_dir, [make_article(i, publication=f"Outlet {i}") for i in range(OUTLETS)], run_id="r1")
    summary = db.load(data_dir)
    assert summary.unreadable_files == () and summary.total_article_count == OUTLETS
    assert db.query(data_dir, "SELECT count(*) FROM unreadable_files")[1] == [(0,)]


def test_a_rebuild_that_skipped_files_says_so(damaged):
    data_dir, bad = damaged
    db.load(data_dir)
    (data_dir / "warehouse.duckdb").unlink()
    result = CliRunner().invoke(cli_warehouse.load_command, ["--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "Warning: 3 Parquet files cannot be read; skipped" in result.stderr
    assert "their rows were not loaded (a warehouse rebuilt from Parquet lacks them)" in result.stderr
    for file in bad:
        assert result.stderr.count(file) == 1  # named once, by the command (not again by the log)
    assert f"Articles in the warehouse: {OUTLETS - 3}" in result.stdout


def test_stats_names_unreadable_files_from_the_warehouse_and_from_parquet(damaged):
    data_dir, bad = damaged
    # Parquet fallback (no warehouse yet)
    facts = stats.collect(data_dir)
    assert facts.source == "parquet" and {file for file, _ in facts.unreadable_files} == bad
    assert facts.article_count == OUTLETS - 3
    # the warehouse: what the last load found ...
    db.load(data_dir)
    facts = stats.collect(data_dir)
    assert facts.source == "warehouse" and {file for file, _ in facts.unreadable_files} == bad
    # ... and a loaded file damaged since, whose footer fails now
    later = next(p for p in parquet.list_files(data_dir, "articles") if p.relative_to(data_dir).as_posix() not in bad)
    truncate(later)
    facts = stats.collect(data_dir)
    assert {file for file, _ in facts.unreadable_files} == bad | {later.relative_to(data_dir).as_posix()}
    result = CliRunner().invoke(cli_warehouse.stats_command, ["--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    assert "Warning: 4 Parquet files cannot be read" in result.stderr
    result = CliRunner().invoke(cli_warehouse.stats_command, ["--format", "json", "--data-dir", str(data_dir)])
    assert len(json.loads(result.stdout)["unreadable_files"]) == 4


def test_queries_and_search_in_the_fallback_skip_unreadable_files(damaged):
    data_dir, _bad = damaged
    assert db.run_query(data_dir, "SELECT count(*) FROM articles").rows == [(OUTLETS - 3,)]
    result = CliRunner().invoke(cli_warehouse.search_command, ["harbour", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output


def test_recording_a_run_beside_a_damaged_file_does_not_fail(damaged):
    """A run's loads go through the same load function: its run row still lands."""
    data_dir, bad = damaged
    run = RunRecord.create(
        run_id="20150301T000000Z-bbbbbb",
        source="warc",
        started_at=BASE_TIME,
        finished_at=BASE_TIME,
        capture_count=OUTLETS,
        article_count=OUTLETS,
        rejection_count=0,
        rejections={},
    )
    db.record_run(data_dir, run)
    assert db.query(data_dir, "SELECT run_id FROM runs")[1] == [(run.run_id,)]
    assert {row[0] for row in db.query(data_dir, "SELECT file FROM unreadable_files")[1]} == bad


def test_the_ledger_a_run_reads_first_skips_unreadable_files(damaged, caplog):
    """What a run asks before fetching (warehouse/ledger.py) answers from the readable files."""
    data_dir, bad = damaged
    parquet.write_captures(data_dir, [make_outcome(i) for i in range(3)], run_id="r1")
    captures = parquet.list_files(data_dir, "captures")
    parquet.write_captures(data_dir, [make_outcome(10 + i) for i in range(3)], run_id="r2")
    truncate(captures[0])
    assert ledger.completed_capture_ids(data_dir) == {f"cap{10 + i:04d}" for i in range(3)}
    assert len(ledger.article_ids(data_dir)) == OUTLETS - 3
    logged = caplog.text
    assert all(file in logged for file in bad) and captures[0].name in logged


def test_compact_leaves_an_unreadable_file_alone_and_names_it(data_dir):
    for run in range(3):
        batch = [make_article(10 * run + i, publication="Gazette") for i in range(3)]
        parquet.write_articles(data_dir, batch, run_id=f"r{run}")
    files = parquet.list_files(data_dir, "articles")
    assert len(files) == 3
    scramble_pages(files[0])
    damaged_bytes = files[0].read_bytes()
    summary = compact.compact(data_dir)
    assert [item.file for item in summary.unreadable_files] == [files[0].relative_to(data_dir).as_posix()]
    assert summary.source_file_count == 2 and summary.row_count == 6
    assert files[0].read_bytes() == damaged_bytes  # kept as it was, for someone to look at
    result = CliRunner().invoke(cli_warehouse.compact_command, ["--data-dir", str(data_dir)])
    assert result.exit_code == 0 and "cannot be read; left as they are" in result.stderr
