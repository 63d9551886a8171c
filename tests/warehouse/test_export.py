"""export → verify round trip, tamper detection, and the export readable without this project."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date

import pyarrow.parquet as pq
import pytest

from tests.support.factories import BASE_TIME, make_article
from warehouse import db, export, parquet, verify


@pytest.fixture
def loaded(data_dir):
    articles = [make_article(i, publication="Gazette") for i in range(6)]
    articles += [
        make_article(10 + i, publication="Остров Вести", language="ru", published_at=BASE_TIME.replace(year=2011))
        for i in range(3)
    ]
    articles.append(make_article(20, publication=None, published_at=None))
    parquet.write_articles(data_dir, articles, run_id="r1")
    db.load(data_dir)
    return data_dir


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "markdown"])
def test_export_then_verify(loaded, tmp_path, fmt):
    dest = tmp_path / "out"
    summary = export.export(loaded, dest, fmt=fmt)
    assert summary.article_count == 10
    assert {p.name for p in dest.iterdir()} == {"README.md", "schema.json", "manifest.json", "data"}
    report = verify.verify(dest)
    assert report.ok, report.problems
    assert report.row_count == 10
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["article_count"] == 10 and manifest["format"] == fmt
    assert all(len(entry["sha256"]) == 64 for entry in manifest["files"])
    assert not list(tmp_path.glob(".out.partial-*"))  # the build folder is gone


def test_dataset_card_describes_the_data(loaded, tmp_path):
    export.export(loaded, tmp_path / "out")
    card = (tmp_path / "out" / "README.md").read_text()
    for expected in [
        "Articles: 10",
        "Publications: 3",
        "| Gazette | 6 |",
        "| Остров Вести | 3 |",
        "undated articles: 1",
        "`published_at`",
        "TIMESTAMPTZ",
        "read_parquet",
        "pd.read_parquet",
        "pl.read_parquet",
        "load_dataset",
        "newsarchive-extract/",
    ]:
        assert expected in card, expected
    schema = json.loads((tmp_path / "out" / "schema.json").read_text())
    assert [f["name"] for f in schema["fields"]][:3] == ["article_id", "url", "archive_url"]
    assert all(f["description"] for f in schema["fields"])


def test_export_selection(loaded, tmp_path):
    summary = export.export(loaded, tmp_path / "a", publication="Остров Вести")
    assert summary.article_count == 3
    summary = export.export(loaded, tmp_path / "b", published_from=date(2011, 1, 1), published_to=date(2011, 12, 31))
    assert summary.article_count == 3
    with pytest.raises(export.ExportError, match="no articles match"):
        export.export(loaded, tmp_path / "c", publication="Nobody")
    assert not (tmp_path / "c").exists()


def test_export_refuses_a_non_empty_destination(loaded, tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    with pytest.raises(export.ExportError, match="not an empty directory"):
        export.export(loaded, tmp_path / "full")
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_verify_detects_tampering(loaded, tmp_path):
    dest = tmp_path / "out"
    export.export(loaded, dest)
    files = sorted((dest / "data").rglob("*.parquet"))
    # a changed file
    table = pq.read_table(files[0])
    pq.write_table(table.slice(0, max(table.num_rows - 1, 0)), files[0])
    # a missing file
    files[1].unlink()
    # an unexpected file
    (dest / "data" / "extra.parquet").write_bytes(b"not parquet")
    problems = "\n".join(verify.verify(dest).problems)
    changed, missing = (path.relative_to(dest).as_posix() for path in files[:2])
    assert f"{changed}: sha256 differs" in problems
    assert f"{missing}: missing" in problems
    assert "data/extra.parquet: not in the manifest" in problems


def test_verify_detects_a_schema_change_and_a_lost_manifest(loaded, tmp_path):
    dest = tmp_path / "out"
    export.export(loaded, dest)
    schema = json.loads((dest / "schema.json").read_text())
    schema["fields"][0]["arrow_type"] = "int64"
    (dest / "schema.json").write_text(json.dumps(schema))
    problems = verify.verify(dest).problems
    assert any("schema.json: sha256 differs" in p for p in problems)
    assert any("columns differ from schema.json" in p for p in problems)
    (dest / "manifest.json").unlink()
    assert verify.verify(dest).problems == ["manifest.json is missing: not an export folder, or it arrived incomplete"]


READER = r"""
import sys, pyarrow.parquet as pq, pandas, duckdb
root = sys.argv[1] + "/data"
assert "warehouse" not in sys.modules and "newsarchive" not in sys.modules
table = pq.read_table(root)
frame = pandas.read_parquet(root)
count = duckdb.sql(f"SELECT count(DISTINCT article_id) FROM read_parquet('{root}/**/*.parquet', hive_partitioning = false)").fetchone()[0]
publications = sorted(p for p in frame["publication"].dropna().unique())
print(table.num_rows, len(frame), count, publications, table.schema.field("title").metadata[b"description"].decode()[:8])
"""


def test_export_is_readable_by_pyarrow_pandas_and_duckdb_alone(loaded, tmp_path):
    dest = tmp_path / "out"
    export.export(loaded, dest)
    output = subprocess.run(
        [sys.executable, "-c", READER, str(dest)], capture_output=True, text=True, check=True, cwd=tmp_path
    ).stdout
    assert output.strip() == "10 10 10 ['Gazette', 'Остров Вести'] Headline"
