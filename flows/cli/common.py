"""What every `newsarchive` command shares: --data-dir / --parquet-uri, output formats, quiet Prefect defaults."""

from __future__ import annotations

import csv
import functools
import io
import json
import os
from collections.abc import Callable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import click

from warehouse import storage
from warehouse.layout import DataLayout

_DATA_DIR_HELP = "Where the DuckDB warehouse, the raw WARCs and (unless --parquet-uri) the Parquet dataset live."
_PARQUET_URI_HELP = (
    "Keep the Parquet dataset here instead of <data-dir>/parquet: a path or s3://BUCKET/PREFIX "
    "(credentials, region and endpoint from the AWS_* environment variables)."
)


def _checked_parquet_uri(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if not value or not value.strip():
        return None
    try:
        return storage.check_location(value.strip())
    except storage.StorageError as error:
        raise click.BadParameter(str(error), ctx=ctx, param=param) from error


_LAYOUT_DATA_DIR = click.option(
    "--data-dir",
    "layout_data_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default="data",
    show_default=True,
    envvar="NEWSARCHIVE_DATA_DIR",
    help=_DATA_DIR_HELP,
)
_LAYOUT_PARQUET_URI = click.option(
    "--parquet-uri",
    "layout_parquet_uri",
    metavar="URI",
    envvar="NEWSARCHIVE_PARQUET_URI",
    callback=_checked_parquet_uri,
    help=_PARQUET_URI_HELP,
)


def LAYOUT_OPTIONS(command: Callable[..., Any]) -> Callable[..., Any]:  # noqa: N802 -- a decorator named like the click options it adds
    """--data-dir and --parquet-uri, handed to the command as one keyword argument `layout: DataLayout`.

    NEWSARCHIVE_DATA_DIR and NEWSARCHIVE_PARQUET_URI are inputs of the command line only (here,
    and in flows/config.py where they override newsarchive.toml): the library takes the layout
    as an argument.
    """

    @functools.wraps(command)
    def with_layout(*args: Any, layout_data_dir: Path, layout_parquet_uri: str | None, **kwargs: Any) -> Any:
        return command(*args, layout=DataLayout(layout_data_dir, layout_parquet_uri), **kwargs)

    return _LAYOUT_DATA_DIR(_LAYOUT_PARQUET_URI(with_layout))


# Output formats of the commands that print rows (sql, search, stats).
FORMATS = ("table", "csv", "json", "markdown")
TABLE_CELL_WIDTH = 60  # table format only: longer cells are cut with '…' (use csv/json for full text)


def plain_value(value: Any) -> Any:
    """A JSON-friendly version of a DuckDB value."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [plain_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    plain = plain_value(value)
    if isinstance(plain, (list, dict)):
        return json.dumps(plain, ensure_ascii=False)
    return str(plain)


def _cut(text: str, width: int) -> str:
    text = " ".join(text.split())  # one line per row
    return text if len(text) <= width else text[: width - 1] + "…"


def format_rows(columns: Sequence[str], rows: Sequence[tuple], fmt: str) -> str:
    """Render a result as table, csv, json (a list of objects) or markdown."""
    if fmt == "json":
        return json.dumps(
            [{c: plain_value(v) for c, v in zip(columns, row, strict=True)} for row in rows],
            ensure_ascii=False,
            indent=2,
        )
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
    numeric = [
        all(isinstance(row[i], (int, float, Decimal)) or row[i] is None for row in rows) and rows
        for i in range(len(columns))
    ]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=True))]
        return "  ".join(parts).rstrip()

    out = [line(list(columns)), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


# Quiet, offline Prefect unless the user configured otherwise.
def date_option(name: str, help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A --from/--to style option taking YYYY-MM-DD."""
    return click.option(
        name, type=click.DateTime(formats=["%Y-%m-%d"]), default=None, metavar="YYYY-MM-DD", help=help_text
    )


def size_text(byte_count: int) -> str:
    """A byte count for people: 512 B, 3.4 MB."""
    size = float(byte_count)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


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
