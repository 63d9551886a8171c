"""`newsarchive reprocess`: extract every stored capture again, offline (flows/ingest.py's
`reprocess-captures` flow), under the data directory's lock, with `run`'s Ctrl-C handling."""

from __future__ import annotations

import click

from flows import stopping
from flows.cli.common import LAYOUT_OPTIONS
from flows.cli.report import announce_stop, finish, wall_seconds
from flows.cli.run import lock_data_dir, setup_logging
from warehouse.layout import DataLayout


@click.command()
@click.option("--processes", type=click.IntRange(1, 64), help="Extraction processes (default: one per core).")
@click.option(
    "-v", "--verbose", is_flag=True, help="Print progress for every batch, and the extraction libraries' warnings."
)
@LAYOUT_OPTIONS
def reprocess(processes: int | None, verbose: bool, layout: DataLayout) -> None:
    """Extract every capture again from the WARC files the ledger names, without any network.

    Use it after upgrading the extractor: the warehouse keeps, for each article,
    the row of the newest extractor version.

    \b
    Example:
        newsarchive reprocess --data-dir /srv/news
    """
    from flows.cli.prefect_api import prefect_api
    from flows.ingest import reprocess_captures

    setup_logging(verbose)
    lock_data_dir(layout, "reprocess")
    stopping.install_handlers(announce_stop)
    click.echo(f"Reprocessing the stored captures under {layout.data_dir} ...", err=True)
    try:
        with prefect_api():
            summary = reprocess_captures(str(layout.data_dir), layout.parquet_uri, processes)
    except FileNotFoundError as error:
        raise click.ClickException(str(error)) from error
    finish(summary, "text", wall_s=wall_seconds())


COMMANDS = [reprocess]
