"""The record dataclasses, the Arrow schemas, the Parquet files and the DuckDB tables agree."""

from __future__ import annotations

import dataclasses

import duckdb
import pyarrow.parquet as pq
import pytest

from tests.support.factories import make_article, make_outcome
from transforms.records import Article, CaptureOutcome
from warehouse import db, parquet
from warehouse.schema import (
    ARTICLE_SCHEMA,
    CAPTURE_SCHEMA,
    RECORD_SCHEMAS,
    RUN_SCHEMA,
    SCHEMA_VERSION,
    RunRecord,
    duckdb_type,
)


@pytest.mark.parametrize("record_type", [Article, CaptureOutcome, RunRecord])
def test_dataclass_fields_match_schema(record_type):
    schema = RECORD_SCHEMAS[record_type]
    assert [f.name for f in dataclasses.fields(record_type)] == schema.names


@pytest.mark.parametrize("schema", [ARTICLE_SCHEMA, CAPTURE_SCHEMA, RUN_SCHEMA])
def test_every_field_has_a_description(schema):
    for field in schema:
        assert field.metadata and field.metadata[b"description"].strip(), field.name
    assert schema.metadata[b"newsarchive.schema_version"] == SCHEMA_VERSION.encode()


def test_duckdb_tables_match_arrow_schemas(data_dir):
    db.load(data_dir)  # creates the tables in an empty warehouse
    con = db.connect(data_dir, read_only=True)
    try:
        for table, schema in [("articles", ARTICLE_SCHEMA), ("captures", CAPTURE_SCHEMA), ("runs", RUN_SCHEMA)]:
            described = con.execute(f"DESCRIBE {table}").fetchall()
            assert [(row[0], row[1], row[2]) for row in described] == [
                (f.name, str(duckdb.type(duckdb_type(f.type))), "YES" if f.nullable else "NO") for f in schema
            ], table
    finally:
        con.close()


def test_parquet_files_carry_the_schema_and_its_descriptions(data_dir):
    [path] = parquet.write_articles(data_dir, [make_article(1)], run_id="r1")
    [capture_path] = parquet.write_captures(data_dir, [make_outcome(1)], run_id="r1")
    for file, expected in [(path, ARTICLE_SCHEMA), (capture_path, CAPTURE_SCHEMA)]:
        stored = pq.read_schema(file)
        assert stored.remove_metadata() == expected.remove_metadata()
        for field in expected:
            assert stored.field(field.name).metadata[b"description"] == field.metadata[b"description"]
        assert stored.metadata[b"newsarchive.schema_version"] == SCHEMA_VERSION.encode()
        assert stored.metadata[b"newsarchive.run_id"] == b"r1"


def test_loaded_parquet_types_are_the_table_types(data_dir):
    """DuckDB reads each Parquet column as exactly the type its table declares."""
    parquet.write_articles(data_dir, [make_article(1, simhash=2**63 + 5)], run_id="r1")
    db.load(data_dir)
    columns, rows = db.query(
        data_dir, "SELECT simhash, typeof(simhash), typeof(captured_at), typeof(authors) FROM articles"
    )
    assert rows == [(2**63 + 5, "UBIGINT", "TIMESTAMP WITH TIME ZONE", "VARCHAR[]")]
