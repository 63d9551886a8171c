"""The warehouse commands of the CLI (flows/cli_warehouse.py), run through click."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner

from conftest import make_article
from flows import cli_warehouse
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
    result = invoke(cli_warehouse.sql_command, ["SELECT publication, count(*) AS n FROM articles GROUP BY 1 ORDER BY 1"], loaded)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["publication", "n"]
    assert set(lines[1]) <= {"-", " "}
    assert lines[2].split() == ["Example", "News", "0", "2"]
    assert lines[-1] == "(3 rows)"


@pytest.mark.parametrize("fmt", ["csv", "json", "markdown"])
def test_sql_formats(loaded, fmt):
    result = invoke(cli_warehouse.sql_command, ["--format", fmt, "SELECT title, authors, captured_at FROM articles ORDER BY title LIMIT 2"], loaded)
    assert result.exit_code == 0, result.output
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(result.output)))
        assert rows[0] == ["title", "authors", "captured_at"] and rows[1][0] == "Story number 0"
        assert json.loads(rows[1][1]) == ["Jane Doe"]
    elif fmt == "json":
        rows = json.loads(result.output)
        assert rows[0] == {"title": "Story number 0", "authors": ["Jane Doe"], "captured_at": "2015-03-01T12:00:00+00:00"}
    else:
        lines = result.output.splitlines()
        assert lines[0] == "| title | authors | captured_at |" and lines[1] == "|---|---|---|"
        assert lines[2].startswith("| Story number 0 | [\"Jane Doe\"] |")


def test_sql_from_stdin_and_from_a_file(loaded, tmp_path):
    result = invoke(cli_warehouse.sql_command, ["-"], loaded, input="SELECT count(*) AS n FROM articles")
    assert result.exit_code == 0 and result.output.splitlines()[2].strip() == "6"
    query_file = tmp_path / "q.sql"
    query_file.write_text("-- how many\nSELECT count(*) AS n FROM articles WHERE title LIKE ?\n")
    result = invoke(cli_warehouse.sql_command, ["--file", str(query_file), "-p", "Story number 1%", "--format", "csv"], loaded)
    assert result.exit_code == 0 and result.output.splitlines() == ["n", "1"]


@pytest.mark.parametrize("statement", ["INSERT INTO articles (article_id) VALUES ('x')", "DROP TABLE articles", "COPY articles TO 'x.csv'", "ATTACH 'x.duckdb'"])
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
    result = CliRunner().invoke(cli_warehouse.sql_command, ["SELECT count(*) AS n FROM articles", "--format", "csv"], env={"NEWSARCHIVE_DATA_DIR": str(loaded)})
    assert result.exit_code == 0 and result.output.splitlines() == ["n", "6"]
