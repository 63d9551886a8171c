"""What an export folder says about itself: the dataset card, schema.json and manifest entries.

The card (README.md) is written for someone who has only the folder: what the data is,
where it came from, its fields, counts and date range, and how to load it with common tools.
schema.json holds the fields in machine-readable form; manifest.json every file's sha256,
size and row count (warehouse/verify.py checks a folder against both).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from transforms.records import EXTRACTOR_VERSION
from warehouse import card_loading, storage
from warehouse.schema import ARTICLE_SCHEMA, SCHEMA_VERSION, duckdb_type

MANIFEST = "manifest.json"
SCHEMA_FILE = "schema.json"
CARD = "README.md"
DEFAULT_LICENSE = "unknown"


def day_text(value: date) -> str:
    """A date (or the day of a datetime) as YYYY-MM-DD."""
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


class ExportFacts:
    """What the dataset card says, gathered while the export writes its data files."""

    def __init__(self) -> None:
        self.article_count = 0
        self.publications: Counter[str] = Counter()
        self.domains: Counter[str] = Counter()
        self.languages: Counter[str] = Counter()
        self.extractor_versions: Counter[str] = Counter()
        self.earliest: datetime | None = None
        self.latest: datetime | None = None
        self.undated_count = 0
        self.row_counts: dict[str, int] = {}  # data file (relative to the folder) → rows

    def add(self, table: pa.Table) -> None:
        self.article_count += table.num_rows
        for column, counter in [
            ("publication", self.publications),
            ("domain", self.domains),
            ("language", self.languages),
            ("extractor_version", self.extractor_versions),
        ]:
            counter.update("(unknown)" if v is None else v for v in table.column(column).to_pylist())
        dates = [d for d in table.column("published_at").to_pylist() if d is not None]
        self.undated_count += table.num_rows - len(dates)
        if dates:
            self.earliest = min([d for d in (self.earliest, min(dates)) if d is not None])
            self.latest = max([d for d in (self.latest, max(dates)) if d is not None])


def file_entry(root: Path, path: Path, row_count: int | None) -> dict[str, Any]:
    """The manifest entry of one file of the folder."""
    return {
        "path": path.relative_to(root).as_posix(),
        "sha256": storage.file_sha256(path),
        "byte_count": path.stat().st_size,
        "row_count": row_count,
    }


def manifest_entries(root: Path, row_counts: dict[str, int]) -> list[dict[str, Any]]:
    return [file_entry(root, root / relative, count) for relative, count in sorted(row_counts.items())]


def write_json(path: Path, document: dict) -> None:
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def type_text(dtype: pa.DataType) -> str:
    """Arrow type as text, without the list item name (Parquet readers call it 'element')."""
    if pa.types.is_list(dtype) or pa.types.is_large_list(dtype):
        return f"list<{type_text(dtype.value_type)}>"
    return str(dtype)


def schema_document(fmt: str) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "format": fmt,
        "table": "articles",
        "primary_key": ["article_id"],
        "fields": [
            {
                "name": f.name,
                "arrow_type": type_text(f.type),
                "duckdb_type": duckdb_type(f.type),
                "nullable": f.nullable,
                "description": f.metadata[b"description"].decode(),
            }
            for f in ARTICLE_SCHEMA
        ],
    }


def dataset_card(
    facts: ExportFacts,
    *,
    fmt: str,
    sources: list[str],
    selection: tuple,
    files: list[dict],
    license_id: str = DEFAULT_LICENSE,
) -> str:
    """The README.md of an export: enough to understand and load the data without this project.
    It starts with the YAML header Hugging Face reads (warehouse/card_loading.py)."""
    version = card_loading.content_version(files)
    languages = sorted(k for k in facts.languages if k != "(unknown)")
    header = card_loading.hf_header(
        fmt=fmt,
        article_count=facts.article_count,
        byte_count=sum(f["byte_count"] for f in files if f["path"].startswith("data/")),
        languages=languages,
        license_id=license_id,
        version=version,
    )
    licence_text = (
        "not stated by the exporter (`unknown`)"
        if license_id == DEFAULT_LICENSE
        else f"`{license_id}`, as the exporter stated it"
    )
    lines = [
        header,
        "# News articles from web archives",
        "",
        f"{facts.article_count} news articles extracted from archived web pages by "
        "newsarchive: one row per article (canonical URL), "
        "with title, authors, dates, language and the body text without boilerplate.",
        "",
        *_at_a_glance(facts, fmt=fmt, sources=sources, selection=selection),
        f"- Dataset version: `{version}` (sha256 over the data files; the same data gives the same version)",
        f"- License: {licence_text}",
        "",
        *_publications_and_fields(facts),
        "",
        "## Files",
        "",
        _files_text(fmt, len(files)),
        "",
        "`manifest.json` lists every file with its sha256, size and row count. Check a copy with",
        "`newsarchive verify <folder>`, or with `sha256sum` against the manifest.",
        "",
        "What a passing `verify` proves: every file in the manifest is here as a regular file (no symbolic",
        "links, nothing outside the folder) with its size, sha256 and row count; no other file is here;",
        f"`schema.json` is the schema of schema version {SCHEMA_VERSION} and every data file has it.",
        "What it does not prove: that `manifest.json` is the one the exporter wrote. A file edited together",
        "with its manifest entry passes, unless the manifest's own sha256, which `newsarchive export` printed,",
        "reached you another way and is checked: `newsarchive verify <folder> --manifest-sha256 <hex>`",
        "(or `sha256sum manifest.json`).",
        "",
        "## Loading",
        "",
        *card_loading.loading_text(fmt),
        "",
        "## Provenance and caveats",
        "",
        "Each article is the earliest archived capture of its canonical URL (later captures of the same URL are",
        "not repeated). `published_at` is null rather than guessed; it is never later than `captured_at`.",
        "Texts remain the work of their publishers: check the terms of use before redistributing them.",
        "",
    ]
    return "\n".join(lines)


def _at_a_glance(facts: ExportFacts, *, fmt: str, sources: list[str], selection: tuple) -> list[str]:
    publication, published_from, published_to, language = selection
    date_range = (
        f"{facts.earliest:%Y-%m-%d} to {facts.latest:%Y-%m-%d} (published_at, UTC)"
        if facts.earliest
        else "no dated articles"
    )
    filters = []
    if publication is not None:
        filters.append(f"publication = {publication!r}")
    if language is not None:
        filters.append(f"language = {language!r}")
    if published_from is not None:
        filters.append(f"published on or after {day_text(published_from)}")
    if published_to is not None:
        filters.append(f"published on or before {day_text(published_to)}")
    return [
        "## At a glance",
        "",
        f"- Articles: {facts.article_count}",
        f"- Publications: {len(facts.publications)}",
        f"- Date range: {date_range}; undated articles: {facts.undated_count}",
        f"- Languages: {', '.join(f'{k} ({v})' for k, v in facts.languages.most_common())}",
        f"- Extractor versions: {', '.join(f'{k} ({v})' for k, v in facts.extractor_versions.most_common())}"
        f" (this export was made with {EXTRACTOR_VERSION})",
        f"- Sources of the captures: {', '.join(sources) if sources else 'not recorded'}",
        f"- Selection: {'; '.join(filters) if filters else 'all articles'}",
        f"- Format: {fmt}; schema version {SCHEMA_VERSION}",
    ]


def _publications_and_fields(facts: ExportFacts) -> list[str]:
    return [
        "## Publications",
        "",
        "| publication | articles |",
        "|---|---|",
        *[
            f"| {_md(name)} | {count} |"
            for name, count in sorted(facts.publications.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "",
        "Domains: " + ", ".join(f"{name} ({count})" for name, count in facts.domains.most_common()),
        "",
        "## Fields",
        "",
        "| field | type | nullable | description |",
        "|---|---|---|---|",
        *[
            f"| `{f.name}` | {duckdb_type(f.type)} | {'yes' if f.nullable else 'no'} | {_md(f.metadata[b'description'].decode())} |"
            for f in ARTICLE_SCHEMA
        ],
        "",
        "`article_id` is unique. Timestamps are UTC. `schema.json` holds the same table in machine-readable form.",
    ]


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _files_text(fmt: str, count: int) -> str:
    if fmt == "parquet":
        return (
            f"{count} files. Articles are Parquet files (zstd), one per publication (in parts when one would pass "
            "128 MB): `data/<publication slug>-<n>.parquet`; "
            "Every file carries the schema with field descriptions."
        )
    if fmt == "jsonl":
        return (
            f"{count} files. Articles are JSON Lines, one file per publication (in parts when one would pass 128 MB):"
            " `data/<publication slug>-<n>.jsonl`; one object per line with every field of `schema.json`,"
            " timestamps as ISO 8601 UTC, null where empty."
        )
    return f"{count} files. One Markdown file per article under `data/<publication>/<year>/<article_id>.md`."
