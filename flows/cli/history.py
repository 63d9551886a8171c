"""`newsarchive runs` and `newsarchive rejections`: what the runs did, without writing SQL
(warehouse/history.py), in the output formats of `sql`."""

from __future__ import annotations

import click

from flows.cli.common import FORMATS, LAYOUT_OPTIONS, format_rows
from warehouse import db, history, storage
from warehouse.layout import DataLayout

_FORMAT = click.option(
    "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True, help="Output format."
)


def _print(result: db.QueryResult, fmt: str) -> None:
    click.echo(format_rows(result.columns, result.rows, fmt))


@click.command("runs")
@click.option(
    "--limit", "-n", type=click.IntRange(1), default=20, show_default=True, help="How many runs, newest first."
)
@_FORMAT
@LAYOUT_OPTIONS
def runs(limit: int, fmt: str, layout: DataLayout) -> None:
    """List the ingestion runs, newest first: status (completed, interrupted,
    failed), source, start, duration and counts.

    \b
    Examples:
        newsarchive runs
        newsarchive runs -n 5 --format json
        newsarchive runs --format csv > runs.csv
    """
    try:
        _print(history.list_runs(layout, limit=limit), fmt)
    except (db.WarehouseError, storage.StorageError) as error:
        raise click.ClickException(str(error)) from error


@click.command("rejections")
@click.option("--reason", metavar="REASON", help="Only this reason, e.g. not_article or http_404.")
@click.option("--run", "run_id", metavar="RUN_ID", help="Only this run's ('last': the latest run).")
@click.option("--limit", "-n", type=click.IntRange(1), default=100, show_default=True, help="How many, newest first.")
@_FORMAT
@LAYOUT_OPTIONS
def rejections(reason: str | None, run_id: str | None, limit: int, fmt: str, layout: DataLayout) -> None:
    """List the captures that did not become articles, with the reason, its
    detail and the URL (each capture's latest outcome).

    \b
    Examples:
        newsarchive rejections
        newsarchive rejections --reason http_404 --format csv
        newsarchive rejections --run last --format json
    """
    try:
        if run_id == "last":
            run_id = history.latest_run_id(layout)
        _print(history.list_rejections(layout, reason=reason, run_id=run_id, limit=limit), fmt)
    except (db.WarehouseError, storage.StorageError) as error:
        raise click.ClickException(str(error)) from error


COMMANDS = [runs, rejections]
