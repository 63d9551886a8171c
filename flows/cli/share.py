"""The sharing commands of `newsarchive`: export a dataset folder, verify a received one.

Thin, like flows/cli/warehouse.py (which lists them in its COMMANDS): warehouse/export.py and
warehouse/verify.py do the work; known errors become one line `Error: ...`, exit status 1.
"""

from __future__ import annotations

from pathlib import Path

import click

from flows.cli.common import LAYOUT_OPTIONS, date_option, size_text
from warehouse import db, storage
from warehouse.layout import DataLayout

# Errors the user can act on: one line, no traceback.
KNOWN_ERRORS = (db.WarehouseError, storage.StorageError)


@click.command("export")
@click.argument("dest", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--publication", default=None, metavar="NAME", help="Only articles of this publication (name, any letter case)."
)
@date_option("--from", "Only articles published on or after this day (UTC).")
@date_option("--to", "Only articles published on or before this day (UTC).")
@click.option(
    "--language", default=None, metavar="CODE", help="Only articles in this language (ISO 639-1: en, de, ru, ...)."
)
@click.option(
    "--license",
    "license_id",
    default="unknown",
    show_default=True,
    metavar="ID",
    help="License of the dataset for the card's header (a Hugging Face / SPDX id, e.g. cc-by-4.0); the texts stay their publishers' work.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["parquet", "jsonl", "markdown"]),
    default="parquet",
    show_default=True,
    help="Format of the data files.",
)
@LAYOUT_OPTIONS
def export_command(
    dest: Path,
    publication: str | None,
    language: str | None,
    license_id: str,
    fmt: str,
    layout: DataLayout,
    **dates,
) -> None:
    """Write a self-describing dataset folder to share: data, card, schema, checksums.

    DEST gets README.md (a dataset card that starts with Hugging Face metadata: license,
    languages, size, features; with loading code for pandas, polars, DuckDB and `datasets`),
    schema.json, manifest.json (sha256 and row count of every file) and the articles under
    data/, one file per publication (parts of about 128 MB for a large one). DEST must not exist yet (or be empty)
    and must not be a symbolic link. The sha256 of manifest.json is printed at the end: send
    it apart from the folder, so the receiver's `newsarchive verify DEST --manifest-sha256`
    also proves the manifest itself.

    \b
    Examples:
        newsarchive export exports/all-articles
        newsarchive export exports/gazette-2010 --publication "The Harbour Gazette" --from 2010-01-01 --to 2010-12-31
        newsarchive export exports/text --format jsonl --language ru --license cc-by-4.0
    """
    from warehouse import export

    try:
        summary = export.export(
            layout,
            dest,
            publication=publication,
            published_from=dates["from"],
            published_to=dates["to"],
            fmt=fmt,
            language=language,
            license_id=license_id,
        )
    except KNOWN_ERRORS as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Exported {summary.article_count} articles to {summary.dest} ({summary.file_count} {fmt} files, {size_text(summary.byte_count)})."
    )
    click.echo(f"manifest.json sha256: {summary.manifest_sha256}")
    click.echo(
        "  Send it apart from the folder: `newsarchive verify DEST --manifest-sha256 <it>` then also proves "
        "the manifest is this one."
    )


@click.command("verify")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--manifest-sha256",
    default=None,
    metavar="HEX",
    help="The sha256 of manifest.json that `newsarchive export` printed, received apart from the folder.",
)
def verify_command(folder: Path, manifest_sha256: str | None) -> None:
    """Check an exported dataset folder against its manifest and schema.

    \b
    What a pass proves:
      - every file in manifest.json is in the folder as a regular file (symbolic links and
        paths outside the folder are refused), with its size, sha256 and row count;
      - no file is there that the manifest does not list;
      - schema.json is the schema of the export's schema version, and every data file has it.
    What it does not prove: that manifest.json itself is the exporter's. A file edited
    together with its manifest entry passes, unless --manifest-sha256 gives the sha256 that
    `newsarchive export` printed, received another way (a message, a web page).

    Every difference is listed; exit status 1 on any.

    \b
    Examples:
        newsarchive verify exports/all-articles
        newsarchive verify exports/all-articles --manifest-sha256 9f2c...e1
    """
    from warehouse import verify

    report = verify.verify(folder, manifest_sha256=manifest_sha256)
    if not report.usable:
        raise click.ClickException(f"{folder}: {report.problems[0]}")
    if report.ok:
        checked = "; manifest sha256 as given" if manifest_sha256 else ""
        click.echo(
            f"OK: {report.checked_file_count} files, {report.row_count} rows match the manifest and the schema "
            f"of their version{checked}. manifest.json sha256: {report.manifest_sha256}"
        )
        return
    for problem in report.problems:
        click.echo(f"  {problem}", err=True)
    raise click.ClickException(
        f"{folder}: {len(report.problems)} difference{'s' if len(report.problems) != 1 else ''} from the manifest"
    )
