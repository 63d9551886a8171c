"""The record dataclasses and the Arrow schemas must agree field by field, forever."""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import UTC, datetime

import pyarrow as pa
import pytest

from transforms.records import Article, CaptureOutcome
from warehouse.schema import ARTICLE_SCHEMA, CAPTURE_SCHEMA, RECORD_SCHEMAS, from_table, to_table

CONTRACT_ARTICLE_FIELDS = [
    "article_id",
    "url",
    "archive_url",
    "captured_at",
    "publication",
    "domain",
    "title",
    "authors",
    "published_at",
    "language",
    "text",
    "word_count",
    "content_hash",
    "extractor_version",
]

_PY_TO_ARROW = {
    str: {pa.string()},
    int: {pa.int32(), pa.int64(), pa.uint64()},
    float: {pa.float64()},
    datetime: {pa.timestamp("us", tz="UTC")},
    tuple[str, ...]: {pa.list_(pa.string())},
}


def _unwrap_optional(hint):
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0], True
    return hint, False


@pytest.mark.parametrize("record_type", list(RECORD_SCHEMAS))
def test_dataclass_fields_and_arrow_schema_agree(record_type):
    schema = RECORD_SCHEMAS[record_type]
    hints = typing.get_type_hints(record_type)
    assert [f.name for f in dataclasses.fields(record_type)] == schema.names
    for field in schema:
        python_type, optional = _unwrap_optional(hints[field.name])
        assert field.type in _PY_TO_ARROW[python_type], field.name
        assert field.nullable == optional, f"{field.name}: nullable in Arrow must match Optional in the dataclass"
        assert field.metadata and field.metadata[b"description"].strip(), f"{field.name} has no description"


def test_article_schema_holds_the_contract_fields():
    assert ARTICLE_SCHEMA.names[: len(CONTRACT_ARTICLE_FIELDS)] == CONTRACT_ARTICLE_FIELDS
    assert ARTICLE_SCHEMA.metadata[b"newsarchive.schema_version"]


def _article(**overrides) -> Article:
    values = dict(
        article_id="0" * 32,
        url="https://news.example.com/a",
        archive_url=None,
        captured_at=datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC),
        publication="Example News",
        domain="example.com",
        title="A title",
        authors=("Jane Doe", "John Roe"),
        published_at=datetime(2020, 1, 1, tzinfo=UTC),
        language="en",
        text="Body.\n\nMore.",
        word_count=2,
        content_hash="f" * 64,
        tags=("harbour",),
        simhash=2**63 + 5,
    )
    values.update(overrides)
    return Article(**values)


def test_records_survive_the_arrow_round_trip():
    articles = [_article(), _article(article_id="1" * 32, authors=(), published_at=None, simhash=None)]
    assert from_table(to_table(articles, ARTICLE_SCHEMA), Article) == articles


def test_to_table_refuses_values_of_the_wrong_type():
    with pytest.raises((pa.ArrowInvalid, pa.ArrowTypeError, TypeError)):
        to_table([_article(word_count="many")], ARTICLE_SCHEMA)


def test_capture_schema_matches_capture_outcome():
    assert RECORD_SCHEMAS[CaptureOutcome] is CAPTURE_SCHEMA
