"""Views and documentation inside the warehouse: every table, view and column has a comment."""

from __future__ import annotations

from datetime import timedelta

from tests.support.factories import BASE_TIME, make_article, make_outcome
from warehouse import db, parquet
from warehouse.schema import ARTICLE_SCHEMA

VIEWS = {"articles_by_month", "authors", "field_coverage", "rejections_by_reason"}


def _loaded(data_dir):
    articles = [
        make_article(1, publication="Gazette", authors=("Jane Doe", "John Roe")),
        make_article(2, publication="Gazette", authors=("Jane Doe",), published_at=BASE_TIME + timedelta(days=40)),
        make_article(3, publication="Courier", authors=(), published_at=None, description="A standfirst"),
    ]
    parquet.write_articles(data_dir, articles, run_id="r1")
    parquet.write_captures(
        data_dir,
        [
            make_outcome(1, status="article"),
            make_outcome(2, status="rejected", reason="http_404", url="https://x.example/a"),
            make_outcome(3, status="rejected", reason="http_404", url="https://x.example/b"),
            make_outcome(4, status="rejected", reason="timeout"),
            make_outcome(
                4, status="article", run_id="r2", recorded_at=BASE_TIME + timedelta(hours=1)
            ),  # retried: no longer rejected
        ],
        run_id="r1",
    )
    db.load(data_dir)
    return data_dir


def test_every_table_view_and_column_has_a_comment(data_dir):
    _loaded(data_dir)
    relations = dict(
        db.query(
            data_dir,
            (
                "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main' "
                "UNION ALL SELECT view_name, comment FROM duckdb_views() WHERE schema_name = 'main' AND NOT internal"
            ),
        )[1]
    )
    assert {"articles", "captures", "runs", "loads", "warehouse_info"} | VIEWS <= set(relations)
    assert all(comment for comment in relations.values()), relations
    columns = db.query(
        data_dir, "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'main'"
    )[1]
    missing = [(table, column) for table, column, comment in columns if table in relations and not comment]
    assert missing == []
    # the articles comments are the schema descriptions
    comments = {column: comment for table, column, comment in columns if table == "articles"}
    assert comments == {f.name: f.metadata[b"description"].decode() for f in ARTICLE_SCHEMA}


def test_articles_by_month(data_dir):
    _loaded(data_dir)
    rows = db.query(
        data_dir, "SELECT publication, strftime(month, '%Y-%m'), article_count FROM articles_by_month ORDER BY ALL"
    )[1]
    assert rows == [("Courier", None, 1), ("Gazette", "2015-03", 1), ("Gazette", "2015-04", 1)]


def test_authors_view_has_one_row_per_article_author(data_dir):
    _loaded(data_dir)
    rows = db.query(
        data_dir, "SELECT author, position, count(*) OVER (PARTITION BY author) FROM authors ORDER BY author, position"
    )[1]
    assert rows == [("Jane Doe", 1, 2), ("Jane Doe", 1, 2), ("John Roe", 2, 1)]


def test_field_coverage_covers_every_column(data_dir):
    _loaded(data_dir)
    rows = {field: (filled, total) for field, filled, total, _ in db.query(data_dir, "SELECT * FROM field_coverage")[1]}
    assert set(rows) == set(ARTICLE_SCHEMA.names)
    assert rows["published_at"] == (2, 3) and rows["authors"] == (2, 3) and rows["description"] == (1, 3)
    assert rows["title"] == (3, 3)


def test_rejections_by_reason_counts_latest_outcomes(data_dir):
    _loaded(data_dir)
    rows = db.query(data_dir, "SELECT reason, capture_count, example_url FROM rejections_by_reason")[1]
    assert rows == [("http_404", 2, "https://x.example/a")]


def test_views_also_exist_over_parquet(data_dir):
    """The fallback connection (used while a load runs) offers the same views."""
    _loaded(data_dir)
    db.warehouse_path(data_dir).unlink()
    result = db.run_query(data_dir, "SELECT reason, capture_count FROM rejections_by_reason")
    assert result.source == "parquet" and result.rows == [("http_404", 2)]
    assert db.run_query(data_dir, "SELECT count(*) FROM authors").rows == [(3,)]


def test_new_schema_columns_are_added_to_an_existing_warehouse(data_dir):
    parquet.write_articles(data_dir, [make_article(1)], run_id="r1")
    db.load(data_dir)
    con = db.connect(data_dir, read_only=False)
    con.execute("ALTER TABLE articles DROP COLUMN run_id")  # as if made before run_id existed
    con.close()
    db.load(data_dir)
    assert db.query(
        data_dir, "SELECT count(*) FROM duckdb_columns() WHERE table_name = 'articles' AND column_name = 'run_id'"
    )[1] == [(1,)]
