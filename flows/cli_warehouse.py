"""Warehouse commands of `newsarchive`: sql (and, registered the same way, the rest).

A thin layer over warehouse/: each command parses options, calls one function and prints.
Known errors (warehouse.db.WarehouseError) become one line `Error: ...` with exit status 1.
flows/cli.py registers every command in COMMANDS on the main group.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from warehouse import db

DATA_DIR_OPTION = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="data",
    show_default=True,
    envvar="NEWSARCHIVE_DATA_DIR",
    help="Where the Parquet dataset and the DuckDB warehouse live.",
)
FORMATS = ("table", "csv", "json", "markdown")
TABLE_CELL_WIDTH = 60  # table format only: longer cells are cut with '…' (use csv/json for full text)


def _plain(value: Any) -> Any:
    """A JSON-friendly version of a DuckDB value."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    plain = _plain(value)
    if isinstance(plain, (list, dict)):
        return json.dumps(plain, ensure_ascii=False)
    return str(plain)


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())  # one line per row
    return text if len(text) <= width else text[: width - 1] + "…"


def format_rows(columns: Sequence[str], rows: Sequence[tuple], fmt: str) -> str:
    """Render a result as table, csv, json (a list of objects) or markdown."""
    if fmt == "json":
        return json.dumps([{c: _plain(v) for c, v in zip(columns, row)} for row in rows], ensure_ascii=False, indent=2)
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(columns)
        writer.writerows([_text(v) for v in row] for row in rows)
        return buffer.getvalue().rstrip("\n")
    if fmt == "markdown":
        def cell(value: Any) -> str:
            return _text(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", "<br>")

        lines = ["| " + " | ".join(cell(c) for c in columns) + " |", "|" + "|".join("---" for _ in columns) + "|"]
        lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
        return "\n".join(lines)
    # table
    cells = [[_cut(_text(v), TABLE_CELL_WIDTH) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(columns)]
    numeric = [all(isinstance(row[i], (int, float, Decimal)) or row[i] is None for row in rows) and rows for i in range(len(columns))]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths))]
        return "  ".join(parts).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def _fail(error: Exception) -> click.ClickException:
    return click.ClickException(str(error))


@click.command("sql")
@click.argument("sql", required=False, metavar="SQL")
@click.option("--file", "-f", "sql_file", type=click.File("r", encoding="utf-8"), help="Read the SQL from this file ('-' for stdin).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format.")
@click.option("--param", "-p", "params", multiple=True, metavar="VALUE", help="Value for a ? placeholder (repeatable, in order).")
@DATA_DIR_OPTION
def sql_command(sql: str | None, sql_file, fmt: str, params: tuple[str, ...], data_dir: Path) -> None:
    """Run read-only SQL on the warehouse and print the result.

    The warehouse is opened read-only: INSERT, DROP, COPY, ATTACH and other writes are
    refused. SQL comes from the argument, from --file, or from stdin when SQL is '-'.
    While a load holds the warehouse, the query is answered from the Parquet dataset.

    \b
    Tables: articles, captures, runs, loads.
    Examples:
        newsarchive sql "SELECT publication, count(*) AS n FROM articles GROUP BY 1 ORDER BY n DESC"
        newsarchive sql --format csv "SELECT url, title, published_at FROM articles" > articles.csv
        newsarchive sql "SELECT title FROM articles WHERE domain = ?" -p example.com
        newsarchive sql --file report.sql --format markdown
        echo "SELECT count(*) FROM captures" | newsarchive sql -
    """
    if sql_file is not None and sql is not None:
        raise click.UsageError("give the SQL either as an argument or with --file, not both")
    if sql_file is not None:
        text = sql_file.read()
    elif sql == "-":
        text = sys.stdin.read()
    elif sql is not None:
        text = sql
    else:
        raise click.UsageError("no SQL given: pass it as an argument, with --file FILE, or '-' for stdin")
    try:
        result = db.run_query(data_dir, text, params)
    except db.WarehouseError as error:
        raise _fail(error) from error
    if result.source == "parquet":
        click.echo("Note: the warehouse is busy (a load is running); answered from the Parquet dataset.", err=True)
    click.echo(format_rows(result.columns, result.rows, fmt))


COMMANDS: list[click.Command] = [sql_command]
