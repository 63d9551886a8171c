"""The Parquet location is an argument (DataLayout), not the environment; each ranking is written once."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from flows.cli import warehouse as cli_warehouse
from tests.support.factories import make_article, make_outcome
from warehouse import compact, db, ledger, parquet, stats
from warehouse.layout import DataLayout
from warehouse.sqlfiles import fragment, sql_text


@pytest.fixture
def elsewhere(tmp_path):
    """A layout whose Parquet dataset lives outside its data directory."""
    return DataLayout(tmp_path / "data", parquet_uri=str(tmp_path / "shared" / "parquet"))


def test_a_layout_puts_the_parquet_dataset_where_it_says(elsewhere, tmp_path):
    [path] = parquet.write_articles(elsewhere, [make_article(1)], run_id="r1")
    parquet.write_captures(elsewhere, [make_outcome(1)], run_id="r1")
    assert str(path).startswith(str(tmp_path / "shared" / "parquet" / "articles"))
    assert not (elsewhere.data_dir / "parquet").exists()
    summary = db.load(elsewhere)
    assert summary.total_article_count == 1
    assert elsewhere.warehouse_path.exists()
    assert db.query(elsewhere, "SELECT file FROM loads WHERE dataset = 'articles'")[1][0][0].startswith(
        "parquet/articles/publication_slug="
    )
    assert stats.collect(elsewhere).article_count == 1
    assert ledger.completed_capture_ids(elsewhere) == {"cap0001"}
    # a plain data directory means the default place, which holds nothing here
    assert parquet.dataset_files(elsewhere.data_dir, "articles") == []


def test_the_library_ignores_the_environment_variable(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSARCHIVE_PARQUET_URI", str(tmp_path / "not-here"))
    parquet.write_articles(data_dir, [make_article(1)], run_id="r1")
    assert parquet.parquet_root(data_dir) == str(data_dir / "parquet")
    assert len(parquet.dataset_files(data_dir, "articles")) == 1
    assert not (tmp_path / "not-here").exists()


def test_compact_tells_the_ledger_when_the_dataset_lives_elsewhere(elsewhere):
    for run in range(3):
        parquet.write_articles(
            elsewhere, [make_article(run * 10 + i, publication="Gazette") for i in range(3)], run_id=f"r{run}"
        )
    db.load(elsewhere)
    summary = compact.compact(elsewhere)
    assert summary.written_file_count == 1 and summary.ledger_updated
    again = db.load(elsewhere)
    assert again.new_file_count == 0 and again.total_article_count == 9


def test_the_commands_take_parquet_uri(elsewhere):
    parquet.write_articles(elsewhere, [make_article(i) for i in range(3)], run_id="r1")
    options = ["--data-dir", str(elsewhere.data_dir), "--parquet-uri", str(elsewhere.parquet_uri)]
    load = CliRunner().invoke(cli_warehouse.load_command, options, catch_exceptions=False)
    assert load.exit_code == 0 and "3 new articles" in load.output
    result = CliRunner().invoke(
        cli_warehouse.sql_command, ["SELECT count(*) AS n FROM articles", "--format", "csv", *options]
    )
    assert result.exit_code == 0 and result.output.splitlines() == ["n", "3"]
    from_env = CliRunner().invoke(
        cli_warehouse.stats_command,
        ["--format", "json"],
        env={"NEWSARCHIVE_DATA_DIR": str(elsewhere.data_dir), "NEWSARCHIVE_PARQUET_URI": str(elsewhere.parquet_uri)},
    )
    assert from_env.exit_code == 0 and '"article_count": 3' in from_env.output


@pytest.mark.parametrize("uri, message", [("gs://bucket/x", "unsupported storage URI"), ("s3:///x", "names no bucket")])
def test_a_bad_parquet_uri_is_a_usage_error(uri, message, data_dir):
    result = CliRunner().invoke(cli_warehouse.stats_command, ["--data-dir", str(data_dir), "--parquet-uri", uri])
    assert result.exit_code == 2 and "--parquet-uri" in result.output and message in result.output


@pytest.mark.parametrize("dataset", ["articles", "captures", "runs"])
def test_the_loader_and_the_parquet_views_share_one_ranking(dataset):
    ranking = fragment(f"rank_{dataset}")
    assert ranking and "--" not in ranking
    merge, view = sql_text(f"merge_{dataset}.sql"), sql_text(f"parquet_view_{dataset}.sql")
    assert f"ORDER BY {ranking}, is_incoming" in merge
    assert f"ORDER BY {ranking}\n" in view
    assert "{{" not in merge + view
