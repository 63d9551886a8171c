"""Shareable dataset folders: export a selection of articles, verify a received folder.

An export folder explains itself and proves it arrived whole:

    README.md       dataset card: what, where from, fields, counts, date range, how to load it
    schema.json     the fields with Arrow and DuckDB types, nullability and descriptions
    manifest.json   every other file with its sha256, size and row count
    data/...        the articles: Parquet (hive-partitioned like the dataset), JSON Lines or Markdown

The folder is built next to DEST under a temporary name and renamed into place at the end,
so DEST never holds half an export. `verify` recomputes every checksum and row count, checks
each data file against schema.json, and lists missing, changed and unexpected files.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.records import EXTRACTOR_VERSION, Article
from warehouse import db, parquet
from warehouse.schema import ARTICLE_SCHEMA, SCHEMA_VERSION, duckdb_type, from_table

FORMATS = ("parquet", "jsonl", "markdown")
MANIFEST = "manifest.json"
SCHEMA_FILE = "schema.json"
CARD = "README.md"
JSONL_ROWS_PER_FILE = 50_000


class ExportError(db.WarehouseError):
    """The export cannot be made (bad destination, nothing selected, ...)."""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    dest: Path
    format: str
    article_count: int
    file_count: int  # data files
    byte_count: int  # data files


@dataclass
class VerifyReport:
    folder: Path
    checked_file_count: int = 0
    row_count: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _selection_sql(publication: str | None, published_from: date | None, published_to: date | None) -> tuple[str, list]:
    clauses, params = [], []
    if publication is not None:
        clauses.append("publication = ?")
        params.append(publication)
    if published_from is not None:
        clauses.append("published_at >= CAST(? AS TIMESTAMPTZ)")
        params.append(_day(published_from))
    if published_to is not None:
        clauses.append("published_at < CAST(? AS TIMESTAMPTZ) + INTERVAL 1 DAY")
        params.append(_day(published_to))
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return where, params


def _day(value: date) -> str:
    return value.date().isoformat() if isinstance(value, datetime) else value.isoformat()


def export(
    data_dir: Path,
    dest: Path,
    *,
    publication: str | None = None,
    published_from: date | None = None,
    published_to: date | None = None,
    fmt: str = "parquet",
) -> ExportSummary:
    """Write the selected articles (one row per article_id, as in the warehouse) to DEST.

    Date filters apply to published_at (inclusive days, UTC); undated articles are left out
    when a date filter is given. DEST must not exist or be an empty directory.
    """
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    dest = Path(dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise ExportError(f"{dest} already exists and is not an empty directory")
    dest.parent.mkdir(parents=True, exist_ok=True)
    building = dest.parent / f".{dest.name}.partial-{uuid.uuid4().hex[:8]}"
    building.mkdir()
    try:
        where, params = _selection_sql(publication, published_from, published_to)
        with db.open_for_reading(data_dir) as (con, _source):
            publications = [
                row[0]
                for row in con.execute(
                    f"SELECT DISTINCT publication FROM articles{where} ORDER BY publication NULLS LAST", params
                ).fetchall()
            ]
            if not publications:
                raise ExportError("no articles match the selection; nothing exported")
            facts = _Facts()
            for name in publications:
                # one publication at a time: memory follows the largest outlet, not the export
                sql = f"SELECT * FROM articles{where}{' AND' if where else ' WHERE'} publication IS NOT DISTINCT FROM ? ORDER BY published_at NULLS LAST, article_id"
                table = con.execute(sql, [*params, name]).fetch_arrow_table()
                table = parquet.conform(table, ARTICLE_SCHEMA)
                facts.add(table)
                _write_data(building, table, fmt, facts)
            sources = _run_sources(con)
        files = _manifest_entries(building, facts.row_counts)
        _write_json(building / SCHEMA_FILE, schema_document(fmt))
        (building / CARD).write_text(
            dataset_card(
                facts, fmt=fmt, sources=sources, selection=(publication, published_from, published_to), files=files
            ),
            encoding="utf-8",
        )
        for extra in (SCHEMA_FILE, CARD):
            files.append(_file_entry(building, building / extra, None))
        _write_json(
            building / MANIFEST,
            {
                "name": dest.name,
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "format": fmt,
                "schema_version": SCHEMA_VERSION,
                "article_count": facts.article_count,
                "files": files,
            },
        )
        if dest.exists():
            dest.rmdir()  # empty, checked above
        os.replace(building, dest)
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    data_files = [f for f in files if f["path"].startswith("data/")]
    return ExportSummary(dest, fmt, facts.article_count, len(data_files), sum(f["byte_count"] for f in data_files))


class _Facts:
    """What the dataset card says, gathered while writing."""

    def __init__(self) -> None:
        self.article_count = 0
        self.publications: Counter[str] = Counter()
        self.domains: Counter[str] = Counter()
        self.languages: Counter[str] = Counter()
        self.extractor_versions: Counter[str] = Counter()
        self.earliest: datetime | None = None
        self.latest: datetime | None = None
        self.undated_count = 0
        self.row_counts: dict[str, int] = {}
        self._jsonl_index = 0

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

    def next_jsonl_name(self) -> str:
        self._jsonl_index += 1
        return f"data/articles-{self._jsonl_index:05d}.jsonl"


def _partition_year(row_published, row_captured) -> int:
    return (row_published or row_captured).year


def _write_data(root: Path, table: pa.Table, fmt: str, facts: _Facts) -> None:
    if fmt == "parquet":
        years = [
            _partition_year(p, c)
            for p, c in zip(table.column("published_at").to_pylist(), table.column("captured_at").to_pylist())
        ]
        slug = parquet.slugify(table.column("publication")[0].as_py())
        for year in sorted(set(years)):
            mask = pa.array([y == year for y in years])
            part = table.filter(mask)
            relative = f"data/publication_slug={slug}/year={year:04d}/part-0.parquet"
            parquet.write_table(root / relative, part)
            facts.row_counts[relative] = part.num_rows
    elif fmt == "jsonl":
        for start in range(0, table.num_rows, JSONL_ROWS_PER_FILE):
            chunk = table.slice(start, JSONL_ROWS_PER_FILE)
            relative = facts.next_jsonl_name()
            (root / "data").mkdir(exist_ok=True)
            with open(root / relative, "w", encoding="utf-8") as handle:
                for row in chunk.to_pylist():
                    handle.write(json.dumps(row, ensure_ascii=False, default=_json_default) + "\n")
            facts.row_counts[relative] = chunk.num_rows
    else:  # markdown: one file per article, rendered by transforms.render_markdown
        from transforms import render_markdown

        for article in from_table(table, Article):
            slug = parquet.slugify(article.publication)
            year = (article.published_at or article.captured_at).year
            relative = f"data/{slug}/{year:04d}/{article.article_id}.md"
            path = root / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(render_markdown(article), encoding="utf-8")
            facts.row_counts[relative] = 1


def _json_default(value):
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _run_sources(con) -> list[str]:
    """Where the captures came from (sample, warc, cdx, ...), from the run ledger."""
    return [row[0] for row in con.execute("SELECT DISTINCT source FROM captures ORDER BY 1").fetchall()]


def file_sha256(path: Path) -> str:
    return db.file_sha256(path)


def _file_entry(root: Path, path: Path, row_count: int | None) -> dict:
    return {
        "path": path.relative_to(root).as_posix(),
        "sha256": file_sha256(path),
        "byte_count": path.stat().st_size,
        "row_count": row_count,
    }


def _manifest_entries(root: Path, row_counts: dict[str, int]) -> list[dict]:
    return [_file_entry(root, root / relative, count) for relative, count in sorted(row_counts.items())]


def _write_json(path: Path, document: dict) -> None:
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


def dataset_card(facts: _Facts, *, fmt: str, sources: list[str], selection: tuple, files: list[dict]) -> str:
    """The README.md of an export: enough to understand and load the data without this project."""
    publication, published_from, published_to = selection
    date_range = (
        f"{facts.earliest:%Y-%m-%d} to {facts.latest:%Y-%m-%d} (published_at, UTC)"
        if facts.earliest
        else "no dated articles"
    )
    filters = []
    if publication is not None:
        filters.append(f"publication = {publication!r}")
    if published_from is not None:
        filters.append(f"published on or after {_day(published_from)}")
    if published_to is not None:
        filters.append(f"published on or before {_day(published_to)}")
    lines = [
        "# News articles from web archives",
        "",
        f"{facts.article_count} news articles extracted from archived web pages by "
        "newsarchive: one row per article (canonical URL), "
        "with title, authors, dates, language and the body text without boilerplate.",
        "",
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
        "",
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
        "",
        "## Files",
        "",
        _files_text(fmt, len(files)),
        "",
        "`manifest.json` lists every file with its sha256, size and row count. Check a copy with",
        "`newsarchive verify <folder>`, or with `sha256sum` against the manifest.",
        "",
        "## Loading",
        "",
        *_loading_text(fmt),
        "",
        "## Provenance and caveats",
        "",
        "Each article is the earliest archived capture of its canonical URL (later captures of the same URL are",
        "not repeated). `published_at` is null rather than guessed; it is never later than `captured_at`.",
        "Texts remain the work of their publishers: check the terms of use before redistributing them.",
        "",
    ]
    return "\n".join(lines)


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _files_text(fmt: str, count: int) -> str:
    if fmt == "parquet":
        return (
            f"{count} files. Articles are Parquet files (zstd) under `data/publication_slug=<slug>/year=<YYYY>/`; "
            "the partition keys are in the paths only, the real values are in the columns. "
            "Every file carries the schema with field descriptions."
        )
    if fmt == "jsonl":
        return f"{count} files. Articles are JSON Lines under `data/` (one object per line, timestamps as ISO 8601)."
    return f"{count} files. One Markdown file per article under `data/<publication>/<year>/<article_id>.md`."


def _loading_text(fmt: str) -> list[str]:
    if fmt == "parquet":
        return [
            "DuckDB:",
            "```sql",
            "SELECT publication, count(*) FROM read_parquet('data/**/*.parquet', hive_partitioning = false) GROUP BY 1;",
            "```",
            "pandas / pyarrow:",
            "```python",
            "import pandas as pd",
            "articles = pd.read_parquet('data')",
            "```",
            "polars:",
            "```python",
            "import polars as pl",
            "articles = pl.read_parquet('data/**/*.parquet', hive_partitioning=False)",
            "```",
            "Hugging Face `datasets`:",
            "```python",
            "from datasets import load_dataset",
            "articles = load_dataset('parquet', data_files='data/**/*.parquet', split='train')",
            "```",
        ]
    if fmt == "jsonl":
        return [
            "DuckDB: `SELECT * FROM read_json('data/*.jsonl');`",
            "",
            "pandas: `pd.concat(pd.read_json(p, lines=True) for p in sorted(Path('data').glob('*.jsonl')))`",
            "",
            "polars: `pl.read_ndjson('data/*.jsonl')`",
            "",
            "Hugging Face `datasets`: `load_dataset('json', data_files='data/*.jsonl', split='train')`",
        ]
    return ["Any Markdown reader; each file starts with the article's metadata."]


# ---------------------------------------------------------------------------------------------


def verify(folder: Path) -> VerifyReport:
    """Check a received export against its manifest and schema; list every difference."""
    folder = Path(folder)
    report = VerifyReport(folder)
    manifest_path = folder / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        entries = manifest["files"]
        fmt = manifest["format"]
    except FileNotFoundError:
        report.problems.append(f"{MANIFEST} is missing: not an export folder, or it arrived incomplete")
        return report
    except (ValueError, KeyError, TypeError) as error:
        report.problems.append(f"{MANIFEST} is unreadable: {error}")
        return report

    listed = set()
    for entry in entries:
        relative = entry.get("path", "")
        listed.add(relative)
        path = folder / relative
        if ".." in Path(relative).parts or Path(relative).is_absolute():
            report.problems.append(f"{relative}: path outside the folder in the manifest")
            continue
        if not path.is_file():
            report.problems.append(f"{relative}: missing")
            continue
        report.checked_file_count += 1
        if path.stat().st_size != entry.get("byte_count"):
            report.problems.append(
                f"{relative}: size {path.stat().st_size} bytes, manifest says {entry.get('byte_count')}"
            )
        if file_sha256(path) != entry.get("sha256"):
            report.problems.append(f"{relative}: sha256 differs from the manifest (changed or damaged)")
        if entry.get("row_count") is not None:
            try:
                rows = _row_count(path)
            except Exception as error:  # noqa: BLE001 - any unreadable file is a finding, not a crash
                report.problems.append(f"{relative}: unreadable ({' '.join(str(error).split())})")
                continue
            report.row_count += rows
            if rows != entry["row_count"]:
                report.problems.append(f"{relative}: {rows} rows, manifest says {entry['row_count']}")

    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    for extra in sorted(present - listed - {MANIFEST}):
        report.problems.append(f"{extra}: not in the manifest")

    if SCHEMA_FILE in present:
        report.problems += _check_schema(folder, fmt, sorted(listed))
    return report


def _row_count(path: Path) -> int:
    if path.suffix == ".parquet":
        return pq.read_metadata(path).num_rows
    if path.suffix == ".jsonl":
        with open(path, "rb") as handle:
            return sum(1 for line in handle if line.strip())
    return 1


def _check_schema(folder: Path, fmt: str, files: list[str]) -> list[str]:
    problems = []
    try:
        document = json.loads((folder / SCHEMA_FILE).read_text(encoding="utf-8"))
        expected = [(f["name"], f["arrow_type"], f["nullable"]) for f in document["fields"]]
    except (ValueError, KeyError, TypeError) as error:
        return [f"{SCHEMA_FILE} is unreadable: {error}"]
    names = [name for name, _, _ in expected]
    for relative in files:
        path = folder / relative
        if not path.is_file() or not relative.startswith("data/"):
            continue
        try:
            if fmt == "parquet" and path.suffix == ".parquet":
                stored = pq.read_schema(path)
                found = [(f.name, type_text(f.type), f.nullable) for f in stored]
                if found != expected:
                    problems.append(f"{relative}: columns differ from {SCHEMA_FILE}")
            elif fmt == "jsonl" and path.suffix == ".jsonl":
                with open(path, encoding="utf-8") as handle:
                    for number, line in enumerate(handle, 1):
                        if line.strip() and list(json.loads(line)) != names:
                            problems.append(f"{relative}: line {number} has other fields than {SCHEMA_FILE}")
                            break
        except Exception as error:  # noqa: BLE001 - damaged file: reported, verify goes on
            problems.append(f"{relative}: unreadable ({' '.join(str(error).split())})")
    return problems
