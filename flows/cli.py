"""The `newsarchive` command: a thin layer over flows/ and warehouse/.

Every command has --help with an example. Known errors become one line, `Error: ...`, and
exit status 1; tracebacks are for bugs only.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

# Quiet, offline Prefect unless the user configured otherwise. Set before prefect is imported.
for _name, _value in {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}.items():
    os.environ.setdefault(_name, _value)

DATA_DIR_OPTION = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="data",
    show_default=True,
    envvar="NEWSARCHIVE_DATA_DIR",
    help="Where the Parquet dataset, the DuckDB warehouse and the raw WARCs live.",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsarchive")
def main() -> None:
    """Turn archived news pages into a clean Parquet dataset and a DuckDB warehouse.

    \b
    Quick start:
        newsarchive run                      # ingest the bundled sample archive into ./data
        newsarchive sql "SELECT publication, count(*) FROM articles GROUP BY 1"
    """


def _check_data_dir(data_dir: Path) -> None:
    """Fail early, in one line, when the data directory cannot be used."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise click.ClickException(f"cannot use data directory {data_dir}: {error.strerror or error}") from error
    if not os.access(data_dir, os.W_OK | os.X_OK):
        raise click.ClickException(f"data directory {data_dir} is not writable")


@main.command()
@click.option("--warc", "warc_paths", multiple=True, metavar="PATH", help="Ingest the captures in this WARC file (repeatable). No fetching.")
@click.option("--batch-size", default=200, show_default=True, type=click.IntRange(1, 100_000), help="Captures per Prefect task.")
@click.option("--refresh", is_flag=True, help="Process captures again even if the ledger says they are done.")
@click.option("--no-load", is_flag=True, help="Write Parquet only; do not load the DuckDB warehouse.")
@click.option("-v", "--verbose", is_flag=True, help="Print progress for every batch.")
@DATA_DIR_OPTION
def run(warc_paths: tuple[str, ...], batch_size: int, refresh: bool, no_load: bool, verbose: bool, data_dir: Path) -> None:
    """Ingest archived captures: extract articles, write Parquet, load DuckDB.

    With no source option, ingests the bundled sample archive (offline).
    Running the same input again adds nothing and fetches nothing twice.

    \b
    Examples:
        newsarchive run
        newsarchive run --warc crawl-001.warc.gz --warc crawl-002.warc.gz
        newsarchive run --data-dir /srv/news --warc crawl.warc.gz
    """
    from flows.warc import WarcReadError, check_warc_file

    for path in warc_paths:
        try:
            check_warc_file(path)
        except WarcReadError as error:
            raise click.ClickException(str(error)) from error
    _check_data_dir(data_dir)
    logging.basicConfig(format="%(message)s", stream=sys.stderr)
    logging.getLogger("newsarchive").setLevel(logging.INFO if verbose else logging.WARNING)

    from flows.ingest import ingest

    source = "warc" if warc_paths else "sample"
    click.echo(f"Ingesting {'the bundled sample archive' if source == 'sample' else ', '.join(warc_paths)} into {data_dir} ...", err=True)
    summary = ingest(source=source, warc_paths=list(warc_paths), data_dir=str(data_dir), batch_size=batch_size, refresh=refresh, load=not no_load)
    _print_summary(summary)
    if summary.errors:
        # What was readable is kept; the damaged input is reported and the exit status says so.
        raise click.ClickException("; ".join(summary.errors))


def _print_summary(summary) -> None:
    echo = click.echo
    if summary.capture_count == 0:
        echo(f"Nothing new: all {summary.skipped_count} captures were already ingested.")
    else:
        echo(f"Run {summary.run_id}: {summary.capture_count} captures in {summary.duration_s:.1f} s")
        echo(f"  new articles:        {summary.article_count}")
        if summary.duplicate_count:
            echo(f"  duplicate captures:  {summary.duplicate_count} (same canonical URL as an article already kept)")
        echo(f"  rejections:          {summary.rejection_count}")
        for reason, count in sorted(summary.rejections.items(), key=lambda item: (-item[1], item[0])):
            echo(f"    {reason:<20} {count}")
        if summary.skipped_count:
            echo(f"  skipped (done before): {summary.skipped_count}")
    echo(f"Articles in the warehouse: {summary.total_article_count}")


def _register_optional_commands() -> None:
    from flows import cli_warehouse

    for command in cli_warehouse.COMMANDS:
        main.add_command(command)


_register_optional_commands()


if __name__ == "__main__":
    main()
