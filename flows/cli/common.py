"""What every `newsarchive` command shares: --data-dir / --parquet-uri and quiet Prefect defaults."""

from __future__ import annotations

import os
from pathlib import Path

import click

_DATA_DIR = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="data",
    show_default=True,
    envvar="NEWSARCHIVE_DATA_DIR",
    help="Where the DuckDB warehouse, the raw WARCs and (unless --parquet-uri) the Parquet dataset live.",
)


def use_parquet_uri(value: str | None) -> None:
    """Make `value` the Parquet dataset's location for this process (warehouse/parquet.py reads it)."""
    from warehouse import storage

    if value:
        try:
            storage.check_location(value)
        except storage.StorageError as error:
            raise click.BadParameter(str(error), param_hint="--parquet-uri") from error
        os.environ[storage.PARQUET_URI_ENV] = value


_PARQUET_URI = click.option(
    "--parquet-uri",
    metavar="URI",
    envvar="NEWSARCHIVE_PARQUET_URI",
    expose_value=False,
    callback=lambda ctx, param, value: use_parquet_uri(value),
    help="Keep the Parquet dataset here instead of <data-dir>/parquet: a path or s3://BUCKET/PREFIX "
    "(credentials, region and endpoint from the AWS_* environment variables).",
)


def DATA_DIR_OPTION(command):  # noqa: N802 -- used as a decorator like the click options it combines
    """--data-dir and --parquet-uri, on every command that touches the data."""
    return _DATA_DIR(_PARQUET_URI(command))


# Quiet, offline Prefect unless the user configured otherwise.
PREFECT_DEFAULTS = {
    "PREFECT_LOGGING_LEVEL": "WARNING",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120",
    "PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW": "ignore",
}


def apply_prefect_defaults() -> None:
    """Call before prefect is imported: its settings are read once, at import."""
    for name, value in PREFECT_DEFAULTS.items():
        os.environ.setdefault(name, value)
