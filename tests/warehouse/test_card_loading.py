"""The dataset card's loading code, run verbatim from the generated card on a fresh export, in each
format it applies to, with each reader it names (pandas, polars, DuckDB, Hugging Face `datasets`,
offline, local files only). The articles are made so that a reader guessing types from the first
rows would fail: the first rows have null in every nullable column."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import duckdb
import pytest
import yaml

from tests.support.factories import BASE_TIME, make_article
from warehouse import db, export, parquet
from warehouse.schema import ARTICLE_SCHEMA

BLOCK = re.compile(r"^```(python|sql)\n(.*?)^```", re.MULTILINE | re.DOTALL)
COUNT = 12


@pytest.fixture(scope="module")
def warehouse_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("card") / "data"
    articles = []
    for number in range(COUNT):
        late = number >= COUNT - 3  # only the last rows of each file fill the optional fields
        articles.append(
            make_article(
                number,
                publication="Gazette" if number % 2 else "Остров Вести",
                language=("ru" if number % 2 == 0 else "en") if late else None,
                published_at=BASE_TIME + timedelta(days=number) if late else None,
                authors=("Ann Rowe",) if late else (),
                description="A standfirst." if late else None,
                section="Politics" if late else None,
                tags=("harbour",) if late else (),
                modified_at=BASE_TIME + timedelta(days=number + 1) if late else None,
                simhash=2**64 - 1 - number if late else None,  # beyond int64
                published_offset_minutes=60 if late else None,
            )
        )
    parquet.write_articles(data_dir, articles, run_id="r1")
    db.load(data_dir)
    return data_dir


def _blocks(card: str) -> list[tuple[str, str]]:
    return [(kind, code) for kind, code in BLOCK.findall(card)]


@pytest.fixture
def offline_hf(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))


@pytest.mark.parametrize("fmt", ["parquet", "jsonl"])
def test_every_loading_block_of_the_card_runs_verbatim(warehouse_dir, tmp_path, fmt, offline_hf, monkeypatch):
    dest = tmp_path / "export"
    export.export(warehouse_dir, dest, fmt=fmt, license_id="cc-by-4.0")
    card = (dest / "README.md").read_text(encoding="utf-8")
    blocks = _blocks(card)
    assert len(blocks) == 4, blocks  # DuckDB, pandas, polars, datasets
    monkeypatch.chdir(dest)
    loaded = {}
    for kind, code in blocks:
        if kind == "sql":
            loaded["duckdb"] = duckdb.connect().sql(code).fetch_arrow_table()
            continue
        namespace: dict = {}
        exec(compile(code, f"card-{fmt}", "exec"), namespace)  # noqa: S102 -- the card's own code, run as a reader would
        reader = "datasets" if "load_dataset" in code else "polars" if "import polars" in code else "pandas"
        loaded[reader] = namespace["articles"]
    assert set(loaded) == {"duckdb", "pandas", "polars", "datasets"}
    names = ARTICLE_SCHEMA.names
    pandas_frame, polars_frame, hf = loaded["pandas"], loaded["polars"], loaded["datasets"]
    assert len(pandas_frame) == len(polars_frame) == hf.num_rows == COUNT
    assert list(pandas_frame.columns) == names and polars_frame.columns == names and hf.column_names == names
    # fixed types, not guessed: the columns null in the first rows keep their types
    assert str(polars_frame.schema["published_at"]) == "Datetime(time_unit='us', time_zone='UTC')"
    assert str(polars_frame.schema["simhash"]) == "UInt64" and str(polars_frame.schema["tags"]) == "List(String)"
    assert str(pandas_frame["published_at"].dtype) == "datetime64[us, UTC]"
    assert str(pandas_frame["simhash"].dtype) == "UInt64"
    assert hf.features["published_at"].dtype == "timestamp[us, tz=UTC]" and hf.features["simhash"].dtype == "uint64"
    assert max(v for v in polars_frame["simhash"].to_list() if v is not None) == 2**64 - 1 - (COUNT - 3)
    if fmt == "jsonl":
        duck = loaded["duckdb"]
        assert duck.num_rows == COUNT and duck.schema.field("published_at").type.tz is not None
    else:  # the DuckDB block counts per publication
        assert sum(duck_count for duck_count in loaded["duckdb"].column(1).to_pylist()) == COUNT


def test_card_header_is_hugging_face_metadata(warehouse_dir, tmp_path):
    dest = tmp_path / "export"
    export.export(warehouse_dir, dest, fmt="jsonl", license_id="cc-by-4.0")
    card = (dest / "README.md").read_text(encoding="utf-8")
    assert card.startswith("---\n")
    meta = yaml.safe_load(card.split("---\n")[1])
    assert meta["license"] == "cc-by-4.0"
    assert meta["language"] == ["en", "ru"]
    assert meta["size_categories"] == ["n<1K"]
    assert meta["configs"][0]["data_files"][0]["path"] == "data/*.jsonl"
    assert [f["name"] for f in meta["dataset_info"]["features"]] == ARTICLE_SCHEMA.names
    version = next(t for t in meta["tags"] if t.startswith("version-"))[len("version-") :]
    assert f"Dataset version: `{version}`" in card
    # the same data exported again: the same version
    again = tmp_path / "again"
    export.export(warehouse_dir, again, fmt="jsonl")
    assert f"Dataset version: `{version}`" in (again / "README.md").read_text(encoding="utf-8")
    assert "license: unknown" in (again / "README.md").read_text(encoding="utf-8")


def test_files_sized_for_sharing_and_language_filter(warehouse_dir, tmp_path):
    summary = export.export(warehouse_dir, tmp_path / "p", fmt="parquet")
    assert summary.file_count == 2  # one per publication, whatever the years
    summary = export.export(warehouse_dir, tmp_path / "j", fmt="jsonl", language="RU", publication="остров вести")
    assert (summary.article_count, summary.file_count) == (1, 1)
    with pytest.raises(export.ExportError, match="did you mean: Gazette"):
        export.export(warehouse_dir, tmp_path / "none", publication="Gazete")


def test_cli_export_language_and_license(warehouse_dir, tmp_path):
    from tests.support.cli import newsarchive

    dest = tmp_path / "out"
    result = newsarchive(
        "export", str(dest), "--format", "jsonl", "--language", "en", "--license", "cc0-1.0",
        "--data-dir", str(warehouse_dir), env={**os.environ},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "Exported 2 articles" in result.stdout
    assert "license: cc0-1.0" in (dest / "README.md").read_text(encoding="utf-8")
