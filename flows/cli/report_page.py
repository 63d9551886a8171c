"""`newsarchive report`: the warehouse as one HTML page with charts (listed in flows/cli/warehouse.py's
COMMANDS, like export and verify). warehouse/report.py computes, warehouse/report_html.py writes.

Not to be confused with flows/cli/report.py, which prints a run's summary at its end.
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from flows.cli.common import LAYOUT_OPTIONS
from warehouse import db, storage
from warehouse.layout import DataLayout

KNOWN_ERRORS = (db.WarehouseError, storage.StorageError)


@click.command("report")
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write report.html into (made if missing).  [default: <data-dir>/report]",
)
@LAYOUT_OPTIONS
def report_command(out_dir: Path | None, layout: DataLayout) -> None:
    """Write an HTML report of the warehouse: one self-contained page, no network needed to view it.

    Charts of articles per month per outlet, field coverage per outlet, rejections by
    reason, the precision of publication dates, top authors and sections and the run
    history with durations, each with its numbers in a table; then the latest articles,
    linking to their original URLs. Light or dark as the browser prefers, and fits a phone.
    The first report on a machine takes a few seconds more (the charts' JavaScript is
    built once and cached in ~/.cache/newsarchive).

    \b
    Examples:
        newsarchive report                  # writes data/report/report.html
        newsarchive report --out /tmp/r && xdg-open /tmp/r/report.html
    """
    from warehouse import report, report_html

    started = time.perf_counter()
    try:
        data = report.collect(layout)
    except KNOWN_ERRORS as error:
        raise click.ClickException(str(error)) from error
    target = report_html.write(data, out_dir if out_dir is not None else layout.data_dir / "report")
    what = "no articles yet" if data.empty else f"{data.totals['article_count']} articles"
    click.echo(f"Wrote {target} ({what}; {time.perf_counter() - started:.1f} s).")
    click.echo(f"Open it in a browser: {target.resolve().as_uri()}")
