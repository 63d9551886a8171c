"""The Parquet dataset: safe partition paths, atomic writes, round trip, readable by others."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import duckdb
import pandas
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.factories import make_article, make_outcome
from transforms.records import Article, CaptureOutcome
from warehouse import parquet, storage
from warehouse.schema import ARTICLE_SCHEMA, from_table


@pytest.mark.parametrize(
    "name, expected",
    [
        ("The Harbour Gazette", "the-harbour-gazette"),  # ordinary name
        ("Le Monde diplomatique", "le-monde-diplomatique"),
        ("Café Révolution", "cafe-revolution"),  # accents fold to ASCII, nothing lost
        ("AC/DC Weekly", "ac-dc-weekly"),  # a slash never becomes a directory
        ("../../etc", "etc"),  # no climbing out of the dataset
        ("..", "unknown"),  # nothing usable left
        ("", "unknown"),  # empty
        (None, "unknown"),  # missing publication
        ("   ", "unknown"),  # blank
        ("_hidden", "hidden"),  # a leading _ or . would hide the partition from readers
        (".dotfile", "dotfile"),
    ],
)
def test_slugify_table(name, expected):
    assert parquet.slugify(name) == expected


def test_slugify_non_latin_names():
    # Cyrillic is transliterated, so Russian outlet names stay readable
    assert parquet.slugify("Остров Вести") == "ostrov-vesti"
    assert parquet.slugify("Новая Gazeta") == "novaya-gazeta"
    assert parquet.slugify("Straße") == "strasse"
    # scripts without a transliteration keep distinct partitions through a hash of the name
    tokyo, osaka = parquet.slugify("東京新聞"), parquet.slugify("大阪新聞")
    assert tokyo.startswith("u-") and osaka.startswith("u-") and tokyo != osaka
    assert parquet.slugify("東京 Shimbun").startswith("shimbun-")  # the Latin part stays readable
    long_name = "x" * 200
    assert len(parquet.slugify(long_name)) <= parquet.SLUG_MAX_LENGTH + 9


@given(st.text(max_size=80))
@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
def test_slugify_is_always_a_safe_path_segment(name):
    slug = parquet.slugify(name)
    assert slug and len(slug) <= parquet.SLUG_MAX_LENGTH + 9
    assert set(slug) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")
    assert not slug.startswith(("-", ".", "_"))


@pytest.mark.parametrize("publication", ["A/B", "../../outside", "Москва Таймс", "", None, "C:\\news", "x\x00y"])
def test_article_paths_stay_inside_the_dataset(data_dir, publication):
    [path] = parquet.write_articles(data_dir, [make_article(1, publication=publication)], run_id="../run/1")
    root = (data_dir / "parquet" / "articles").resolve()
    relative = path.resolve().relative_to(root)  # raises if outside
    assert len(relative.parts) == 3
    assert relative.parts[0].startswith("publication_slug=") and relative.parts[1] == "year=2015"
    assert relative.parts[2].startswith("part-run-1-")
    # the file keeps the real value; only the path is slugged
    assert pq.read_table(path).column("publication").to_pylist() == [publication]


def test_partitioned_by_publication_and_year_of_publication(data_dir):
    articles = [
        make_article(1, publication="Gazette", published_at=datetime(2009, 12, 31, 23, tzinfo=UTC)),
        make_article(2, publication="Gazette"),
        make_article(3, publication="Courier", published_at=None),  # falls back to captured_at
    ]
    paths = parquet.write_articles(data_dir, articles, run_id="r1")
    partitions = sorted(p.parent.relative_to(data_dir / "parquet" / "articles").as_posix() for p in paths)
    assert partitions == [
        "publication_slug=courier/year=2015",
        "publication_slug=gazette/year=2009",
        "publication_slug=gazette/year=2015",
    ]


def test_round_trip_preserves_every_field(data_dir):
    articles = [
        make_article(1, authors=("Jane Doe", "Иван Петров"), tags=("a", "b"), simhash=2**64 - 1, description="d"),
        make_article(
            2, authors=(), archive_url="https://web.archive.org/web/2015id_/x", published_at=None, language=None
        ),
    ]
    parquet.write_articles(data_dir, articles, run_id="r1")
    back = from_table(parquet.read_dataset(data_dir, "articles"), Article)
    assert sorted(back, key=lambda a: a.article_id) == sorted(articles, key=lambda a: a.article_id)


def test_captures_round_trip_and_partitioning(data_dir):
    outcomes = [make_outcome(1), make_outcome(2, source="cdx", status="rejected", reason="http_404", detail="gone")]
    paths = parquet.write_captures(data_dir, outcomes, run_id="r1")
    assert sorted(p.parent.name for p in paths) == ["source_slug=cdx", "source_slug=warc"]
    back = from_table(parquet.read_dataset(data_dir, "captures"), CaptureOutcome)
    assert sorted(back, key=lambda o: o.capture_id) == outcomes


def test_files_are_zstd_with_the_schema_version(data_dir):
    [path] = parquet.write_articles(data_dir, [make_article(1)], run_id="r1")
    meta = pq.ParquetFile(path).metadata
    assert meta.row_group(0).column(0).compression == "ZSTD"
    assert meta.metadata[b"newsarchive.schema_version"] == b"1"
    assert b"article_id" in meta.metadata[b"newsarchive.field_descriptions"]


def test_same_batch_written_twice_lands_on_the_same_file(data_dir):
    batch = [make_article(i) for i in range(3)]
    first = parquet.write_articles(data_dir, batch, run_id="r1")
    second = parquet.write_articles(data_dir, batch, run_id="r1")
    assert first == second
    assert len(parquet.list_files(data_dir, "articles")) == len(first)


def test_failed_write_leaves_no_visible_file(tmp_path):
    target = tmp_path / "part" / "file.parquet"

    def half_then_crash(handle):
        handle.write(b"PAR1" + b"\0" * 1000)
        raise OSError("disk full (simulated)")

    with pytest.raises(OSError, match="disk full"):
        storage.atomic_write(target, half_then_crash)
    assert not target.exists()
    assert os.listdir(target.parent) == []  # the temp file is gone too


def test_failed_rewrite_keeps_the_old_file(data_dir):
    [path] = parquet.write_articles(data_dir, [make_article(1)], run_id="r1")
    before = path.read_bytes()

    def crash(handle):
        handle.write(b"partial")
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        storage.atomic_write(path, crash)
    assert path.read_bytes() == before


def test_readers_ignore_temp_files(data_dir):
    """A temp file left by a crashed writer is invisible to DuckDB's glob and to pyarrow."""
    [path] = parquet.write_articles(data_dir, [make_article(1)], run_id="r1")
    leftover = path.parent / f".{path.name}.deadbeef.tmp"
    leftover.write_bytes(b"PAR1 half a file")
    glob = str(data_dir / "parquet" / "articles" / "**" / "*.parquet")
    assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{glob}')").fetchone()[0] == 1
    assert ds.dataset(data_dir / "parquet" / "articles", format="parquet").count_rows() == 1
    assert parquet.list_files(data_dir, "articles") == [path]


def test_dataset_readable_by_pyarrow_pandas_and_duckdb_as_a_directory(data_dir):
    articles = [make_article(i) for i in range(6)]
    parquet.write_articles(data_dir, articles, run_id="r1")
    root = data_dir / "parquet" / "articles"
    table = pq.read_table(root)  # hive partition keys do not clash with the columns
    assert table.num_rows == 6
    assert set(table.column("publication").to_pylist()) == {a.publication for a in articles}
    frame = pandas.read_parquet(root)
    assert len(frame) == 6 and set(frame["publication"]) == {a.publication for a in articles}
    publications = duckdb.sql(f"SELECT DISTINCT publication FROM read_parquet('{root}/**/*.parquet')").fetchall()
    assert {row[0] for row in publications} == {a.publication for a in articles}


def test_unknown_dataset_is_an_error(data_dir):
    with pytest.raises(ValueError, match="unknown dataset"):
        parquet.dataset_dir(data_dir, "../x")


def test_empty_batches_write_nothing(data_dir):
    assert parquet.write_articles(data_dir, [], run_id="r1") == []
    assert parquet.write_captures(data_dir, [], run_id="r1") == []
    assert not (data_dir / "parquet").exists()
    assert parquet.read_dataset(data_dir, "articles").schema == ARTICLE_SCHEMA
