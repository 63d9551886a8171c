"""The warehouse commands of the CLI (flows/cli/warehouse.py), run through click."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from flows.cli import warehouse as cli_warehouse
from tests.support.factories import make_article
from warehouse import db, parquet


@pytest.fixture
def loaded(data_dir):
    parquet.write_articles(data_dir, [make_article(i) for i in range(6)], run_id="r1")
    db.load(data_dir)
    return data_dir


def invoke(command, args, data_dir, **kwargs):
    result = CliRunner().invoke(command, [*args, "--data-dir", str(data_dir)], catch_exceptions=False, **kwargs)
    return result


@pytest.mark.parametrize("command", cli_warehouse.COMMANDS, ids=lambda c: c.name)
def test_every_command_has_help_with_an_example(command):
    result = CliRunner().invoke(command, ["--help"])
    assert result.exit_code == 0
    assert "Example" in result.output and f"newsarchive {command.name}" in result.output


def test_sql_prints_a_readable_table(loaded):
    result = invoke(
        cli_warehouse.sql_command, ["SELECT publication, count(*) AS n FROM articles GROUP BY 1 ORDER BY 1"], loaded
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["publication", "n"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["Example", "News", "0", "2"]
    assert lines[-1] == "(3 rows)"


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown"])
def test_sql_formats(loaded, fmt):
    result = invoke(
        cli_warehouse.sql_command,
        ["--format", fmt, "SELECT title, authors, captured_at FROM articles ORDER BY title LIMIT 2"],
        loaded,
    )
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(result.output)))
        assert rows[0] == ["title", "authors", "captured_at"] and rows[1][0] == "Story number 0"
        assert json.loads(rows[1][1]) == ["Jane Doe"]
    elif fmt == "json":
        rows = json.loads(result.output)
        assert rows[0] == {
            "title": "Story number 0",
            "authors": ["Jane Doe"],
            "captured_at": "2015-03-01T12:00:00+00:00",
        }
    else:
        lines = result.output.splitlines()
        assert lines[0] == "| title | authors | captured_at |" and lines[1] == "|---|---|---|"
        assert lines[2].startswith('| Story number 0 | ["Jane Doe"] |')


def test_sql_from_stdin_and_from_a_file(loaded, tmp_path):
    result = invoke(cli_warehouse.sql_command, ["-"], loaded, input="SELECT count(*) AS n FROM articles")
    assert result.exit_code == 0 and result.output.splitlines()[2].strip() == "6"
    query_file = tmp_path / "q.sql"
    query_file.write_text("-- how many\nSELECT count(*) AS n FROM articles WHERE title LIKE ?\n")
    result = invoke(
        cli_warehouse.sql_command, ["--file", str(query_file), "-p", "Story number 1%", "--format", "csv"], loaded
    )
    assert result.exit_code == 0 and result.output.splitlines() == ["n", "1"]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO articles (article_id) VALUES ('x')",
        "DROP TABLE articles",
        "COPY articles TO 'x.csv'",
        "ATTACH 'x.duckdb'",
    ],
)
def test_sql_refuses_writes_in_one_line(loaded, statement):
    result = invoke(cli_warehouse.sql_command, [statement], loaded)
    assert result.exit_code == 1
    assert result.output.startswith("Error: refused") and result.output.count("\n") == 1


def test_sql_errors(data_dir, loaded):
    result = invoke(cli_warehouse.sql_command, ["SELECT nope FROM articles"], loaded)
    assert result.exit_code == 1 and result.output.startswith("Error: ") and "nope" in result.output
    result = invoke(cli_warehouse.sql_command, [], loaded)
    assert result.exit_code == 2 and "no SQL given" in result.output
    empty = data_dir.parent / "empty"
    result = invoke(cli_warehouse.sql_command, ["SELECT 1"], empty)
    assert result.exit_code == 1 and "newsarchive run" in result.output


def test_data_dir_from_the_environment(loaded):
    result = CliRunner().invoke(
        cli_warehouse.sql_command,
        ["SELECT count(*) AS n FROM articles", "--format", "csv"],
        env={"NEWSARCHIVE_DATA_DIR": str(loaded)},
    )
    assert result.exit_code == 0 and result.output.splitlines() == ["n", "6"]


def test_search_command(loaded):
    result = invoke(cli_warehouse.search_command, ["story3", "--limit", "2"], loaded)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("1. Story number 3")
    assert "https://news0.example.com/story/3" in result.output and result.output.rstrip().endswith("(1 result)")
    as_json = json.loads(
        invoke(cli_warehouse.search_command, ["harbour", "--format", "json", "-n", "2"], loaded).output
    )
    assert len(as_json) == 2 and set(as_json[0]) >= {"score", "title", "snippet", "url"}
    nothing = invoke(cli_warehouse.search_command, ["zeppelin"], loaded)
    assert nothing.exit_code == 0 and "No articles match" in nothing.output
    bad_date = invoke(cli_warehouse.search_command, ["x", "--from", "yesterday"], loaded)
    assert bad_date.exit_code == 2 and "yesterday" in bad_date.output


def test_stats_command(loaded):
    result = invoke(cli_warehouse.stats_command, [], loaded)
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Articles:      6  (3 publications, 1 authors)")
    assert "field" in result.output and "published_at" in result.output
    facts = json.loads(invoke(cli_warehouse.stats_command, ["--format", "json"], loaded).output)
    assert facts["article_count"] == 6 and facts["files"]["articles"]["file_count"] == 3


def test_load_command(data_dir):
    parquet.write_articles(data_dir, [make_article(i) for i in range(4)], run_id="r1")
    first = invoke(cli_warehouse.load_command, [], data_dir)
    assert first.exit_code == 0 and "4 new articles" in first.output and "Articles in the warehouse: 4" in first.output
    second = invoke(cli_warehouse.load_command, [], data_dir)
    assert second.exit_code == 0 and second.output.startswith("Nothing new to load (3 files already loaded)")


def test_load_command_can_defer_the_search_index(data_dir):
    parquet.write_articles(data_dir, [make_article(i) for i in range(4)], run_id="r1")
    deferred = invoke(cli_warehouse.load_command, ["--defer-index"], data_dir)
    assert deferred.exit_code == 0 and "4 articles wait for the search index" in deferred.output
    stats = invoke(cli_warehouse.stats_command, [], data_dir)
    assert "Search index:  4 articles not indexed yet" in stats.output
    indexed = invoke(cli_warehouse.load_command, [], data_dir)
    assert indexed.exit_code == 0 and "wait for the search index" not in indexed.output
    assert "not indexed yet" not in invoke(cli_warehouse.stats_command, [], data_dir).output
    both = CliRunner().invoke(
        cli_warehouse.load_command, ["--defer-index", "--rebuild-index", "--data-dir", str(data_dir)]
    )
    assert both.exit_code == 2 and "contradict" in both.output


def test_compact_command(data_dir):
    for run in ("r1", "r2"):
        parquet.write_articles(
            data_dir, [make_article(i, publication="Gazette", run_id=run) for i in range(3)], run_id=run
        )
    assert (
        "Would merge 2 files in 1 partitions" in invoke(cli_warehouse.compact_command, ["--dry-run"], data_dir).output
    )
    # the same 3 articles written by two runs: compact keeps the current row of each (run r1's)
    merged = invoke(cli_warehouse.compact_command, [], data_dir).output
    assert "Merged 2 files into 1 (3 rows, 3 superseded or duplicate rows dropped)" in merged
    assert "Nothing to compact" in invoke(cli_warehouse.compact_command, [], data_dir).output


def test_export_and_verify_commands(loaded, tmp_path):
    dest = tmp_path / "shared"
    result = invoke(cli_warehouse.export_command, [str(dest), "--format", "jsonl"], loaded)
    assert result.exit_code == 0 and result.output.startswith("Exported 6 articles to")
    ok = CliRunner().invoke(cli_warehouse.verify_command, [str(dest)])
    assert ok.exit_code == 0 and ok.output.startswith("OK: ")
    first = sorted((dest / "data").glob("*.jsonl"))[0]
    first.write_text(first.read_text().replace("Story", "Stroy", 1))
    bad = CliRunner().invoke(cli_warehouse.verify_command, [str(dest)])
    assert bad.exit_code == 1 and "sha256 differs" in bad.output and "Error: " in bad.output
    again = invoke(cli_warehouse.export_command, [str(dest)], loaded)
    assert again.exit_code == 1 and again.output.startswith("Error: ") and "not an empty directory" in again.output
