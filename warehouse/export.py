"""Shareable dataset folders: export a selection of articles (`newsarchive export`).

An export folder explains itself and proves it arrived whole:

    README.md       dataset card: what, where from, fields, counts, date range, how to load it
    schema.json     the fields with Arrow and DuckDB types, nullability and descriptions
    manifest.json   every other file with its sha256, size and row count
    data/...        the articles: Parquet or JSON Lines (one file per publication), or Markdown

The folder is built next to DEST under a temporary name and renamed into place at the end,
so DEST never holds half an export. The card, schema and manifest are warehouse/card.py;
checking a received folder is warehouse/verify.py.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from transforms.records import Article
from warehouse import card, parquet, storage
from warehouse.card import CARD, MANIFEST, SCHEMA_FILE, ExportFacts, day_text
from warehouse.connection import WarehouseError, one_line
from warehouse.layout import Location
from warehouse.query import filter_hints, read_with
from warehouse.schema import ARTICLE_SCHEMA, SCHEMA_VERSION, from_table

FORMATS = ("parquet", "jsonl", "markdown")
# Files sized for sharing: one file per publication, split into parts of about this many bytes
# of article data (Arrow's in-memory size; Parquet files come out smaller, JSON Lines larger).
FILE_BYTES_CAP = 128 * 1024 * 1024


class ExportError(WarehouseError):
    """The export cannot be made (bad destination, nothing selected, ...)."""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    dest: Path
    format: str
    article_count: int
    file_count: int  # data files
    byte_count: int  # data files
    manifest_sha256: str  # to send apart from the folder: `newsarchive verify --manifest-sha256` checks it


def _selection_sql(
    publication: str | None, published_from: date | None, published_to: date | None, language: str | None = None
) -> tuple[str, list]:
    clauses, params = [], []
    if publication is not None:
        clauses.append("lower(publication) = lower(?)")
        params.append(publication)
    if language is not None:
        clauses.append("lower(language) = lower(?)")
        params.append(language)
    if published_from is not None:
        clauses.append("published_at >= CAST(? AS TIMESTAMPTZ)")
        params.append(day_text(published_from))
    if published_to is not None:
        clauses.append("published_at < CAST(? AS TIMESTAMPTZ) + INTERVAL 1 DAY")
        params.append(day_text(published_to))
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return where, params


def export(
    location: Location,
    dest: str | os.PathLike,
    *,
    publication: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
    fmt: str = "parquet",
    language: str | None = None,
    license_id: str = card.DEFAULT_LICENSE,
) -> ExportSummary:
    """Write the selected articles (one row per article_id, as in the warehouse) to DEST.

    Date filters apply to published_at (inclusive days, UTC); undated articles are left out
    when a date filter is given. `publication` and `language` (ISO 639-1) match in any letter
    case. `license_id` (an SPDX-style id such as 'cc-by-4.0') goes into the card's header.
    DEST must not exist or be an empty directory.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    dest = Path(dest)
    building = _start_building(dest)
    selection = (publication, published_from, published_to, language)

    def work(con: duckdb.DuckDBPyConnection, _source: str) -> tuple[ExportFacts, list[str]]:
        shutil.rmtree(building)  # empty, or what a first pass wrote before it met a damaged file
        building.mkdir()
        return _write_selection(con, building, fmt, selection), _run_sources(con)

    try:
        facts, sources = read_with(location, work)
        files = _describe_folder(
            building, dest.name, facts, fmt=fmt, sources=sources, selection=selection, license_id=license_id
        )
        if dest.exists():
            dest.rmdir()  # empty, checked above
        os.replace(building, dest)
    except BaseException as error:
        shutil.rmtree(building, ignore_errors=True)
        if isinstance(error, (OSError, duckdb.Error)):
            raise ExportError(f"cannot export to {dest}: {one_line(error)}") from error
        raise
    data_files = [f for f in files if f["path"].startswith("data/")]
    return ExportSummary(
        dest,
        fmt,
        facts.article_count,
        len(data_files),
        sum(f["byte_count"] for f in data_files),
        manifest_sha256=storage.file_sha256(dest / MANIFEST),
    )


def _start_building(dest: Path) -> Path:
    """The hidden folder beside DEST the export is built in; ExportError for a DEST that is a
    symbolic link (the export would land wherever it points), a file or a non-empty directory."""
    if dest.is_symlink():
        raise ExportError(f"{dest} is a symbolic link: give a new or empty directory itself, not a link to one")
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ExportError(f"{dest} already exists and is not an empty directory")
    building = dest.parent / f".{dest.name}.partial-{uuid.uuid4().hex[:8]}"
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        building.mkdir()
    except OSError as error:
        raise ExportError(f"cannot export to {dest}: {one_line(error)}") from error
    return building


def _write_selection(con: duckdb.DuckDBPyConnection, root: Path, fmt: str, selection: tuple) -> ExportFacts:
    """The selected articles under root/data/, one publication at a time (memory follows the
    largest outlet, not the export)."""
    where, params = _selection_sql(*selection)
    publications = [
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT publication FROM articles{where} ORDER BY publication NULLS LAST", params
        ).fetchall()
    ]
    if not publications:
        raise ExportError("no articles match the selection; nothing exported" + _hint(con, selection))
    facts = ExportFacts()
    sql = f"SELECT * FROM articles{where}{' AND' if where else ' WHERE'} publication IS NOT DISTINCT FROM ? ORDER BY published_at NULLS LAST, article_id"
    for name in publications:
        table = parquet.conform(con.execute(sql, [*params, name]).fetch_arrow_table(), ARTICLE_SCHEMA)
        facts.add(table)
        _write_data(root, table, fmt, facts)
    return facts


def _hint(con: duckdb.DuckDBPyConnection, selection: tuple) -> str:
    """'; no publication is named ...: did you mean ...' for a filter that names nothing held."""
    publication, _, _, language = selection
    hints = filter_hints(
        [("publication", publication), ("language", language)],
        lambda sql: [row[0] for row in con.execute(sql).fetchall()],
    )
    return "".join(f"; {hint}" for hint in hints)


def _describe_folder(
    root: Path, name: str, facts: ExportFacts, *, fmt: str, sources: list[str], selection: tuple, license_id: str
) -> list[dict[str, Any]]:
    """schema.json, the card and manifest.json beside the data; returns the manifest's entries."""
    files = card.manifest_entries(root, facts.row_counts)
    card.write_json(root / SCHEMA_FILE, card.schema_document(fmt))
    (root / CARD).write_text(
        card.dataset_card(facts, fmt=fmt, sources=sources, selection=selection, files=files, license_id=license_id),
        encoding="utf-8",
    )
    for extra in (SCHEMA_FILE, CARD):
        files.append(card.file_entry(root, root / extra, None))
    card.write_json(
        root / MANIFEST,
        {
            "name": name,
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "format": fmt,
            "schema_version": SCHEMA_VERSION,
            "article_count": facts.article_count,
            "files": files,
        },
    )
    return files


def _parts(table: pa.Table) -> list[pa.Table]:
    """The table in slices of about FILE_BYTES_CAP bytes each (one slice for most publications)."""
    rows_per_part = max(1, int(table.num_rows * FILE_BYTES_CAP / max(table.nbytes, 1)))
    return [table.slice(start, rows_per_part) for start in range(0, table.num_rows, rows_per_part)]


def _write_data(root: Path, table: pa.Table, fmt: str, facts: ExportFacts) -> None:
    """One publication's articles: one file (or a few parts of FILE_BYTES_CAP) per publication."""
    slug = parquet.slugify(table.column("publication")[0].as_py())
    while any(name.startswith(f"data/{slug}-") for name in facts.row_counts):
        slug += "-2"  # two publication names with one slug ('A&B', 'A-B'): files of their own
    if fmt == "parquet":
        for number, part in enumerate(_parts(table), 1):
            relative = f"data/{slug}-{number:05d}.parquet"
            parquet.write_table(root / relative, part)
            facts.row_counts[relative] = part.num_rows
    elif fmt == "jsonl":
        (root / "data").mkdir(exist_ok=True)
        for number, part in enumerate(_parts(table), 1):
            relative = f"data/{slug}-{number:05d}.jsonl"
            # The table has exactly ARTICLE_SCHEMA (conform): each field is written as its Arrow type
            # says (timestamps ISO 8601 UTC, lists as arrays, null as null), never inferred; uint64
            # as a decimal string (see _json_ready).
            with open(root / relative, "w", encoding="utf-8") as handle:
                for row in _json_ready(part).to_pylist():
                    handle.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
            facts.row_counts[relative] = part.num_rows
    else:  # markdown: one file per article, rendered by transforms.render_markdown
        from transforms import render_markdown

        for article in from_table(table, Article):
            slug = parquet.slugify(article.publication)
            year = parquet.partition_year(article.published_at, article.captured_at)
            relative = f"data/{slug}/{year:04d}/{article.article_id}.md"
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_markdown(article), encoding="utf-8")
            facts.row_counts[relative] = 1


def _json_ready(table: pa.Table) -> pa.Table:
    """uint64 columns (simhash) as decimal strings: JSON readers that parse numbers as doubles
    (pyarrow, hence Hugging Face `datasets`; JavaScript) lose integers beyond 2**53, or fail."""
    for index, field in enumerate(table.schema):
        if pa.types.is_uint64(field.type):
            table = table.set_column(index, field.name, table.column(index).cast(pa.string()))
    return table


def _json_default(value: object) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _run_sources(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Where the captures came from (sample, warc, cdx, ...), from the run ledger."""
    return [row[0] for row in con.execute("SELECT DISTINCT source FROM captures ORDER BY 1").fetchall()]
