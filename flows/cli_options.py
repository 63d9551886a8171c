"""What every `newsarchive` command shares: the --data-dir option and quiet Prefect defaults."""

from __future__ import annotations

import os
from pathlib import Path

import click

DATA_DIR_OPTION = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="data",
    show_default=True,
    envvar="NEWSARCHIVE_DATA_DIR",
    help="Where the Parquet dataset, the DuckDB warehouse and the raw WARCs live.",
)

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
