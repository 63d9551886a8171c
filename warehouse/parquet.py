"""The Parquet dataset: hive-partitioned, zstd, explicit schema, atomic writes.

Layout under the `DataLayout`'s Parquet root: `<data-dir>/parquet/` by default, or the
`parquet_uri` it was given (a path or an `s3://bucket/prefix`: see warehouse/storage.py):

    articles/publication_slug=<slug>/year=<YYYY>/part-<run>-<digest>.parquet
    captures/source_slug=<slug>/part-<run>-<digest>.parquet
    runs/part-<run>.parquet

The partition keys are `publication_slug` and `source_slug`, not `publication` and `source`:
a hive key with the same name as a column in the files makes pyarrow and pandas refuse the
dataset ("Unable to merge: Field publication has incompatible types") and makes DuckDB
replace the real value ("The Gazette") with the slug. The files keep the real values.

Each file is written to a hidden temp file in its final directory (`.part-....tmp`, a name
neither DuckDB's `*.parquet` glob nor pyarrow's dataset discovery picks up), fsynced, then
renamed over its final name (on object storage: moved to its final key): a reader sees the
whole file or none. File names carry a digest of their rows, so a batch written twice (a
retried task) lands on the same name.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.records import Article, CaptureOutcome
from warehouse import storage
from warehouse.layout import DataLayout, Location
from warehouse.schema import ARTICLE_SCHEMA, CAPTURE_SCHEMA, RUN_SCHEMA, SCHEMA_VERSION, RunRecord, to_table
from warehouse.storage import StoredFile

DATASETS = ("articles", "captures", "runs")
SCHEMAS = {"articles": ARTICLE_SCHEMA, "captures": CAPTURE_SCHEMA, "runs": RUN_SCHEMA}

# Rows per row group: big enough for scans (tens of MB of text per group), small enough that
# a reader filtering on statistics skips most of a large file.
ROW_GROUP_ROWS = 16_384
COMPRESSION = "zstd"
SLUG_MAX_LENGTH = 60
NULL_SLUG = "unknown"


def parquet_root(location: Location) -> str:
    """Where the Parquet dataset lives: the layout's parquet_uri, else `<data-dir>/parquet`."""
    return DataLayout.of(location).parquet_root


def is_remote(location: Location) -> bool:
    """True when the layout's Parquet dataset is on object storage."""
    return storage.is_remote(parquet_root(location))


def dataset_dir(location: Location, dataset: str) -> str:
    if dataset not in DATASETS:
        raise ValueError(f"unknown dataset {dataset!r}; expected one of {', '.join(DATASETS)}")
    return storage.join(parquet_root(location), dataset)


# Letters NFKD does not decompose to ASCII. Cyrillic gets a simple transliteration so Russian
# and Ukrainian outlet names stay readable in paths ("Остров Вести" -> "ostrov-vesti").
_TRANSLITERATION = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "ø": "o",
        "Ø": "O",
        "œ": "oe",
        "Œ": "OE",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "ð": "d",
        "þ": "th",
        "ı": "i",
        **dict(
            zip(
                "абвгдеёжзийклмнопрстуфхцчшщъыьэюяієїґ",
                [
                    "a",
                    "b",
                    "v",
                    "g",
                    "d",
                    "e",
                    "e",
                    "zh",
                    "z",
                    "i",
                    "i",
                    "k",
                    "l",
                    "m",
                    "n",
                    "o",
                    "p",
                    "r",
                    "s",
                    "t",
                    "u",
                    "f",
                    "kh",
                    "ts",
                    "ch",
                    "sh",
                    "shch",
                    "",
                    "y",
                    "",
                    "e",
                    "yu",
                    "ya",
                    "i",
                    "ie",
                    "i",
                    "g",
                ],
                strict=True,
            )
        ),
    }
)


def slugify(value: str | None) -> str:
    """A path segment made from data: lowercase ASCII letters, digits and '-', never empty.

    Accents are folded (é → e), Cyrillic transliterated. When letters or digits had to be dropped (CJK, ...)
    or the slug was cut short, an 8-digit hash of the original is appended, so different
    names do not share a partition by accident. Nothing that came from data can reach the
    path as '/', '..', a leading dot or underscore (hidden to dataset readers), or ''.
    """
    if value is None:
        return NULL_SLUG
    text = unicodedata.normalize("NFKD", str(value).lower().translate(_TRANSLITERATION))
    folded = "".join(ch for ch in text if not unicodedata.combining(ch))
    ascii_text = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    lost = any(ch.isalnum() and not ch.isascii() for ch in folded)
    cut = len(slug) > SLUG_MAX_LENGTH
    slug = slug[:SLUG_MAX_LENGTH].strip("-")
    if lost or cut:
        digest = hashlib.sha256(str(value).encode("utf-8")).hexdigest()[:8]
        slug = f"{slug}-{digest}" if slug else f"u-{digest}"
    return slug or NULL_SLUG


def file_metadata(schema: pa.Schema, *, run_id: str | None) -> dict[bytes, bytes]:
    """Key-value metadata kept in every file: schema version, table, run, field descriptions.

    The Arrow schema stored in the file already carries each field's description; the JSON
    copy is for Parquet readers that ignore Arrow metadata.
    """
    meta = dict(schema.metadata or {})
    meta[b"newsarchive.schema_version"] = SCHEMA_VERSION.encode()
    descriptions = {f.name: f.metadata[b"description"].decode() for f in schema}
    meta[b"newsarchive.field_descriptions"] = json.dumps(descriptions, ensure_ascii=False).encode("utf-8")
    if run_id is not None:
        meta[b"newsarchive.run_id"] = run_id.encode("utf-8")
    return meta


def write_table(path: str | Path, table: pa.Table, *, run_id: str | None = None) -> Path | str:
    """One Parquet file, atomically, with the table's schema and newsarchive metadata
    (returns the local Path, or the URI on object storage)."""
    table = table.replace_schema_metadata(file_metadata(table.schema, run_id=run_id))

    def write(handle: BinaryIO) -> None:
        pq.write_table(
            table,
            handle,
            compression=COMPRESSION,
            row_group_size=ROW_GROUP_ROWS,
            write_statistics=True,
            store_schema=True,
        )

    return storage.atomic_write(path, write)


def _rows_digest(keys: Iterable[str]) -> str:
    digest = hashlib.sha256()
    for key in keys:
        digest.update(key.encode("utf-8"))
        digest.update(b"\n")
    return digest.hexdigest()[:12]


def partition_year(published_at: datetime | None, captured_at: datetime) -> int:
    """The `year=` partition of an article: the year it was published, else captured."""
    return (published_at or captured_at).year


def write_articles(location: Location, articles: list[Article], *, run_id: str) -> list[Path | str]:
    """Write articles into `parquet/articles/publication_slug=<slug>/year=<YYYY>/`.

    One file per partition per call. Returns the paths written (empty for no articles).
    """
    groups: dict[tuple[str, int], list[Article]] = defaultdict(list)
    for article in articles:
        groups[(slugify(article.publication), partition_year(article.published_at, article.captured_at))].append(
            article
        )
    root = dataset_dir(location, "articles")
    run_slug = slugify(run_id)
    paths = []
    for (publication_slug, year), group in sorted(groups.items()):
        digest = _rows_digest(
            f"{a.article_id}|{a.content_hash}|{a.captured_at.isoformat()}|{a.extractor_version}" for a in group
        )
        path = storage.join(
            root, f"publication_slug={publication_slug}", f"year={year:04d}", f"part-{run_slug}-{digest}.parquet"
        )
        paths.append(write_table(path, to_table(group, ARTICLE_SCHEMA), run_id=run_id))
    return paths


def write_captures(location: Location, outcomes: list[CaptureOutcome], *, run_id: str) -> list[Path | str]:
    """Write capture outcomes (the ledger) into `parquet/captures/source_slug=<slug>/`."""
    groups: dict[str, list[CaptureOutcome]] = defaultdict(list)
    for outcome in outcomes:
        groups[slugify(outcome.source)].append(outcome)
    root = dataset_dir(location, "captures")
    run_slug = slugify(run_id)
    paths = []
    for source_slug, group in sorted(groups.items()):
        digest = _rows_digest(f"{o.capture_id}|{o.run_id}|{o.status}|{o.reason}" for o in group)
        path = storage.join(root, f"source_slug={source_slug}", f"part-{run_slug}-{digest}.parquet")
        paths.append(write_table(path, to_table(group, CAPTURE_SCHEMA), run_id=run_id))
    return paths


def write_run(location: Location, run: RunRecord) -> Path | str:
    """The run's row, as `parquet/runs/part-<run>.parquet` (rewritten if the run records again)."""
    path = storage.join(dataset_dir(location, "runs"), f"part-{slugify(run.run_id)}.parquet")
    return write_table(path, to_table([run], RUN_SCHEMA), run_id=run.run_id)


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """`table` with exactly `schema`: columns in order, cast, and nullable columns that older
    files (or an older warehouse) lack filled with nulls. A missing required column is an error."""
    for field in schema:
        if field.name not in table.column_names:
            if not field.nullable:
                raise ValueError(f"column {field.name!r} is required but missing")
            table = table.append_column(field.name, pa.nulls(table.num_rows, field.type))
    return table.select(schema.names).cast(schema)


def dataset_files(location: Location, dataset: str) -> list[StoredFile]:
    """The dataset's visible Parquet files with size and mtime, sorted (temp and hidden files
    excluded). `relative` is `parquet/<dataset>/...`, the same wherever the dataset lives."""
    return [
        StoredFile(stored.location, f"parquet/{dataset}/{stored.relative}", stored.byte_count, stored.modified_ns)
        for stored in storage.list_files(dataset_dir(location, dataset), ".parquet")
    ]


def file_locations(location: Location, dataset: str) -> list[str]:
    """The dataset's visible Parquet files as paths or URIs, for DuckDB's read_parquet."""
    return [stored.location for stored in dataset_files(location, dataset)]


def list_files(location: Location, dataset: str) -> list[Path]:
    """The dataset's visible Parquet files as local paths (for commands that rewrite files in place)."""
    root = parquet_root(location)
    if storage.is_remote(root):
        raise storage.StorageError(
            f"the Parquet dataset at {root} is on object storage: this command works on a local dataset only"
        )
    return [Path(file_location) for file_location in file_locations(location, dataset)]


def read_dataset(location: Location, dataset: str) -> pa.Table:
    """The whole dataset as one table with exactly the dataset's schema (no partition columns)."""
    schema = SCHEMAS[dataset]
    tables = []
    for file_location in file_locations(location, dataset):
        with storage.open_input(file_location) as handle:
            tables.append(pq.read_table(handle, schema=schema))
    if not tables:
        return schema.empty_table()
    return pa.concat_tables(tables)
