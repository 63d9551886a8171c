"""The one place that defines the Arrow schemas (and from them, the DuckDB column types).

Every field carries a description in its Arrow field metadata; the Parquet files keep it, so
a dataset explains itself to any reader. `tests/warehouse/test_schema.py` checks these schemas
against the record dataclasses in `transforms/records.py` and against the DuckDB tables.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime

import pyarrow as pa

from transforms.records import Article, CaptureOutcome

# Bump on any change to the columns; written into every Parquet file's metadata.
SCHEMA_VERSION = "1"

_TS = pa.timestamp("us", tz="UTC")

# (name, Arrow type, nullable, description)
ARTICLE_COLUMNS: list[tuple[str, pa.DataType, bool, str]] = [
    ("article_id", pa.string(), False, "Stable id: sha256 of the canonical URL, first 32 hex digits."),
    ("url", pa.string(), False, "Canonical original URL (tracking parameters, fragments and session ids removed)."),
    (
        "archive_url",
        pa.string(),
        True,
        "The capture's URL in the web archive; null when fetched live or read from a WARC without one.",
    ),
    ("captured_at", _TS, False, "When the archive captured the page (or when it was fetched), UTC."),
    ("publication", pa.string(), True, "Outlet name, e.g. 'The Harbour Gazette', from metadata or the domain."),
    ("domain", pa.string(), False, "Registered domain of url, e.g. 'example.co.uk'."),
    ("title", pa.string(), False, "Headline, without ' - Outlet' or ' | Outlet' suffixes."),
    ("authors", pa.list_(pa.string()), False, "Clean person names, in byline order; empty when the page names none."),
    ("published_at", _TS, True, "Publication time, UTC; never later than captured_at; null rather than a guess."),
    ("language", pa.string(), True, "ISO 639-1 language code of the text."),
    ("text", pa.string(), False, "Article body only, paragraphs separated by one blank line."),
    ("word_count", pa.int32(), False, "Number of words in text."),
    ("content_hash", pa.string(), False, "sha256 of the normalized text, for exact-duplicate detection."),
    ("extractor_version", pa.string(), False, "Version of the extraction code that produced the row."),
    ("description", pa.string(), True, "Standfirst or meta description, as the page gives it."),
    ("section", pa.string(), True, "Section of the outlet the article appeared in, e.g. 'Politics'."),
    ("tags", pa.list_(pa.string()), False, "Keywords or tags the page declares."),
    ("modified_at", _TS, True, "Last modification time the page declares, UTC."),
    ("date_source", pa.string(), True, "Where published_at came from, e.g. 'json-ld', 'meta', 'url', 'htmldate'."),
    ("simhash", pa.uint64(), True, "64-bit simhash of the text, for near-duplicate detection."),
    (
        "duplicate_of",
        pa.string(),
        True,
        "article_id of the earlier article this one duplicates (same content), if any.",
    ),
    ("run_id", pa.string(), True, "The ingestion run that wrote the row."),
    (
        "published_offset_minutes",
        pa.int32(),
        True,
        "UTC offset, in minutes, of the time the page gave for published_at (60 for +01:00); the local publication date is published_at plus this offset. When the page wrote UTC or no zone, the offset that puts the time on the URL's date or on the calendar of the outlet's country, if one does (date_source ends in '+url' or '+country'). Null when nothing tells.",
    ),
    (
        "published_precision",
        pa.string(),
        True,
        "How much of published_at the page gave: 'day' (a day, with or without a time of day), 'month' or 'year' (published_at is then the first day of that month or year, 00:00 UTC: never read it as a day); null exactly when published_at is null.",
    ),
]

CAPTURE_COLUMNS: list[tuple[str, pa.DataType, bool, str]] = [
    ("capture_id", pa.string(), False, "Stable id of the capture: hash of archive URL (or URL) and capture time."),
    ("url", pa.string(), False, "Original URL of the capture, as given by the source."),
    ("archive_url", pa.string(), True, "The capture's URL in the web archive, if any."),
    ("captured_at", _TS, True, "When the archive captured the page (or when it was fetched), UTC."),
    ("status", pa.string(), False, "'article' when the capture became an article, 'rejected' otherwise."),
    ("reason", pa.string(), True, "Machine-readable rejection reason (http_404, not_html, timeout, ...)."),
    ("detail", pa.string(), True, "Human-readable explanation of the rejection."),
    ("http_status", pa.int32(), True, "HTTP status of the final response, if any."),
    ("content_type", pa.string(), True, "Content-Type of the final response, if any."),
    ("byte_count", pa.int64(), False, "Size of the response body in bytes."),
    ("attempt_count", pa.int32(), False, "How many fetch attempts were made (0 when read from a WARC)."),
    ("duration_ms", pa.int64(), False, "Time spent fetching and extracting, in milliseconds."),
    ("warc_file", pa.string(), True, "WARC file holding the raw response."),
    ("warc_offset", pa.int64(), True, "Byte offset of the response record in warc_file."),
    ("article_id", pa.string(), True, "article_id of the resulting article, if any."),
    ("source", pa.string(), False, "Where the capture came from: 'sample', 'warc', 'urls', 'cdx', 'sitemap'."),
    ("run_id", pa.string(), False, "The ingestion run that recorded the outcome."),
    ("recorded_at", _TS, True, "When the outcome was recorded, UTC."),
]


def _schema(columns: list[tuple[str, pa.DataType, bool, str]], title: str) -> pa.Schema:
    fields = [
        pa.field(name, dtype, nullable=nullable, metadata={"description": doc})
        for name, dtype, nullable, doc in columns
    ]
    return pa.schema(fields, metadata={"newsarchive.schema_version": SCHEMA_VERSION, "newsarchive.table": title})


RUN_COLUMNS: list[tuple[str, pa.DataType, bool, str]] = [
    ("run_id", pa.string(), False, "Id of the ingestion run (UTC start time plus a random suffix, sortable)."),
    ("source", pa.string(), False, "What the run ingested: 'sample', 'warc', 'urls', 'cdx', 'sitemap'."),
    ("started_at", _TS, False, "When the run started, UTC."),
    ("finished_at", _TS, True, "When the run finished, UTC; null if it did not finish."),
    ("capture_count", pa.int64(), False, "Captures processed by the run (not counting those skipped as already done)."),
    ("article_count", pa.int64(), False, "Articles the run wrote."),
    ("rejection_count", pa.int64(), False, "Captures the run rejected."),
    (
        "rejections_by_reason",
        pa.string(),
        False,
        "Rejection counts by reason, as a JSON object, e.g. '{\"http_404\": 3}'.",
    ),
    ("new_article_count", pa.int64(), True, "Articles that were not in the warehouse before the run's load."),
    ("duration_s", pa.float64(), True, "Wall-clock duration of the run in seconds."),
    ("extractor_version", pa.string(), True, "Version of the extraction code the run used."),
    ("parameters", pa.string(), True, "The run's options as a JSON object (paths, batch size, ...)."),
    ("source_name", pa.string(), True, "Name of the configured source (newsarchive.toml) the run ingested, if any."),
    (
        "cursor_captured_at",
        _TS,
        True,
        "Latest capture time the run ingested: the next incremental run of the source starts after it.",
    ),
    (
        "status",
        pa.string(),
        True,
        "How the run ended: 'completed', 'interrupted' (Ctrl-C/SIGTERM; what it finished is kept)"
        " or 'failed'; null for runs recorded before the column existed (they completed).",
    ),
    ("error", pa.string(), True, "Why the run failed or what input was unusable, in one line; null if nothing."),
]


@dataclasses.dataclass(frozen=True, slots=True)
class RunRecord:
    """One row of the runs table: what an ingestion run did (written by the flow at its end)."""

    run_id: str
    source: str
    started_at: datetime
    finished_at: datetime | None
    capture_count: int
    article_count: int
    rejection_count: int
    rejections_by_reason: str  # JSON object {reason: count}; see `RunRecord.create`
    new_article_count: int | None = None
    duration_s: float | None = None
    extractor_version: str | None = None
    parameters: str | None = None
    source_name: str | None = None
    cursor_captured_at: datetime | None = None
    status: str | None = None
    error: str | None = None

    @classmethod
    def create(cls, *, rejections: dict[str, int], parameters: dict | None = None, **fields) -> RunRecord:
        """Build from plain dicts: rejection counts and options become JSON text (sorted keys)."""
        return cls(
            rejections_by_reason=json.dumps(dict(sorted(rejections.items()))),
            parameters=None if parameters is None else json.dumps(parameters, sort_keys=True, default=str),
            **fields,
        )


ARTICLE_SCHEMA = _schema(ARTICLE_COLUMNS, "articles")
CAPTURE_SCHEMA = _schema(CAPTURE_COLUMNS, "captures")
RUN_SCHEMA = _schema(RUN_COLUMNS, "runs")

_DUCKDB_TYPES = {
    pa.string(): "VARCHAR",
    _TS: "TIMESTAMPTZ",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.uint64(): "UBIGINT",
    pa.float64(): "DOUBLE",
    pa.list_(pa.string()): "VARCHAR[]",
}


def duckdb_type(dtype: pa.DataType) -> str:
    """The DuckDB column type an Arrow type is stored as."""
    return _DUCKDB_TYPES[dtype]


def description(schema: pa.Schema, name: str) -> str:
    return schema.field(name).metadata[b"description"].decode()


def _cell(value):
    if isinstance(value, tuple):
        return list(value)
    return value


def to_table(records: list, schema: pa.Schema) -> pa.Table:
    """Records (dataclasses) to an Arrow table with exactly `schema`: never inferred."""
    names = schema.names
    columns = {name: [_cell(getattr(r, name)) for r in records] for name in names}
    return pa.Table.from_pydict(columns, schema=schema)


def from_table(table: pa.Table, record_type: type) -> list:
    """Arrow rows back to records (the inverse of `to_table`)."""
    kinds = {f.name: f.type for f in dataclasses.fields(record_type)}
    out = []
    for row in table.to_pylist():
        values = {}
        for name in kinds:
            value = row.get(name)
            if isinstance(value, list):
                value = tuple(value)
            if isinstance(value, datetime) and value.tzinfo is not None:
                value = value.astimezone(UTC)
            values[name] = value
        out.append(record_type(**values))
    return out


RECORD_SCHEMAS = {Article: ARTICLE_SCHEMA, CaptureOutcome: CAPTURE_SCHEMA, RunRecord: RUN_SCHEMA}
