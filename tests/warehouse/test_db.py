"""Loading the DuckDB warehouse from Parquet: incremental, merged by rule, rebuildable, searchable."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta

import pytest

from tests.support.factories import BASE_TIME, make_article, make_outcome
from warehouse import db, parquet
from warehouse.schema import ARTICLE_COLUMNS, RunRecord
from warehouse.tables import create_table_sql


def table_rows(data_dir, table, order):
    return db.query(data_dir, f"SELECT * FROM {table} ORDER BY {order}")[1]


def test_load_of_an_empty_data_dir_creates_empty_tables(data_dir):
    summary = db.load(data_dir)
    assert summary.new_file_count == 0 and summary.total_article_count == 0
    assert db.query(data_dir, "SELECT count(*) FROM articles")[1] == [(0,)]


def test_incremental_load_adds_only_new_files(data_dir):
    parquet.write_articles(data_dir, [make_article(i) for i in range(5)], run_id="r1")
    parquet.write_captures(data_dir, [make_outcome(i) for i in range(5)], run_id="r1")
    first = db.load(data_dir)
    assert (first.new_article_count, first.total_article_count, first.new_capture_row_count) == (5, 5, 5)
    assert first.fts_update == "rebuild"

    again = db.load(data_dir)  # nothing new: nothing changes
    assert (again.new_file_count, again.new_article_count, again.total_article_count) == (0, 0, 5)
    assert again.skipped_file_count == first.new_file_count and again.fts_update == "none"

    new_paths = parquet.write_articles(data_dir, [make_article(i) for i in range(100, 103)], run_id="r2")
    third = db.load(data_dir)
    assert third.new_file_count == len(new_paths)
    assert (third.new_article_count, third.total_article_count) == (3, 8)
    loads = db.query(data_dir, "SELECT file, dataset, row_count, run_id, length(sha256) FROM loads ORDER BY file")[1]
    assert len(loads) == first.new_file_count + len(new_paths)
    assert {(row[1], row[3], row[4]) for row in loads} == {
        ("articles", "r1", 64),
        ("captures", "r1", 64),
        ("articles", "r2", 64),
    }
    assert sum(row[2] for row in loads if row[1] == "articles") == 8


@pytest.mark.parametrize("later_first", [True, False])
def test_earliest_capture_wins_whatever_the_load_order(data_dir, later_first):
    url = "https://news.example.com/story/same"
    early = make_article(1, url=url, captured_at=BASE_TIME, title="Early version", run_id="r1")
    late = make_article(1, url=url, captured_at=BASE_TIME + timedelta(days=30), title="Late version", run_id="r2")
    assert early.article_id == late.article_id
    for article in [late, early] if later_first else [early, late]:
        parquet.write_articles(data_dir, [article], run_id=article.run_id)
        db.load(data_dir)
    assert db.query(data_dir, "SELECT title FROM articles")[1] == [("Early version",)]


def test_newer_extractor_replaces_the_same_capture(data_dir):
    old = make_article(1, title="Old extraction", extractor_version="newsarchive-extract/0.1", run_id="r1")
    new = make_article(1, title="New extraction", extractor_version="newsarchive-extract/0.2", run_id="r2")
    parquet.write_articles(data_dir, [old], run_id="r1")
    db.load(data_dir)
    parquet.write_articles(data_dir, [new], run_id="r2")
    summary = db.load(data_dir)
    assert (summary.new_article_count, summary.replaced_article_count, summary.total_article_count) == (0, 1, 1)
    assert db.query(data_dir, "SELECT title FROM articles")[1] == [("New extraction",)]


def test_duplicates_inside_one_batch_follow_the_rule(data_dir):
    """Two rows with one key in one load: the ranking decides, not the row order in the file."""
    url = "https://news.example.com/story/dup"
    rows = [
        make_article(1, url=url, captured_at=BASE_TIME + timedelta(days=3), title="third"),
        make_article(1, url=url, captured_at=BASE_TIME + timedelta(days=1), title="first"),
        make_article(1, url=url, captured_at=BASE_TIME + timedelta(days=2), title="second"),
    ]
    parquet.write_articles(data_dir, rows, run_id="r1")
    summary = db.load(data_dir)
    assert (summary.new_article_count, summary.total_article_count) == (1, 1)
    assert db.query(data_dir, "SELECT title FROM articles")[1] == [("first",)]


def test_rebuild_from_parquet_equals_the_incremental_warehouse(data_dir):
    url = "https://news.example.com/story/x"
    for run, articles in [
        ("r1", [make_article(i) for i in range(20)]),
        (
            "r2",
            [make_article(i) for i in range(15, 30)]
            + [make_article(5, url=url, captured_at=BASE_TIME + timedelta(days=90))],
        ),
        ("r3", [make_article(5, url=url, captured_at=BASE_TIME - timedelta(days=1), title="earliest")]),
    ]:
        parquet.write_articles(data_dir, articles, run_id=run)
        parquet.write_captures(data_dir, [make_outcome(i, run_id=run) for i in range(10)], run_id=run)
        db.load(data_dir)
        db.record_run(
            data_dir,
            RunRecord.create(
                run_id=run,
                source="warc",
                started_at=BASE_TIME,
                finished_at=BASE_TIME + timedelta(seconds=5),
                capture_count=10,
                article_count=len(articles),
                rejection_count=1,
                rejections={"http_404": 1},
            ),
        )
    before = {
        "articles": table_rows(data_dir, "articles", "article_id"),
        "captures": table_rows(data_dir, "captures", "capture_id, run_id"),
        "runs": table_rows(data_dir, "runs", "run_id"),
    }
    assert len(before["articles"]) == 31 and len(before["captures"]) == 30 and len(before["runs"]) == 3
    db.warehouse_path(data_dir).unlink()
    rebuilt = db.load(data_dir)
    assert rebuilt.total_article_count == 31 and rebuilt.new_run_count == 3
    after = {
        "articles": table_rows(data_dir, "articles", "article_id"),
        "captures": table_rows(data_dir, "captures", "capture_id, run_id"),
        "runs": table_rows(data_dir, "runs", "run_id"),
    }
    assert after == before
    assert db.query(data_dir, "SELECT title FROM articles WHERE url = ?", [url])[1] == [("earliest",)]


def test_record_run_keeps_a_row_in_parquet_and_duckdb(data_dir):
    run = RunRecord.create(
        run_id="20260101T000000Z-abcdef",
        source="sample",
        started_at=BASE_TIME,
        finished_at=BASE_TIME + timedelta(seconds=12.5),
        capture_count=70,
        article_count=60,
        rejection_count=10,
        rejections={"not_html": 4, "http_404": 6},
        new_article_count=60,
        duration_s=12.5,
        extractor_version="newsarchive-extract/0.1",
        parameters={"batch_size": 200},
    )
    path = db.record_run(data_dir, run)
    assert path.parent == data_dir / "parquet" / "runs"
    columns, rows = db.query(data_dir, "SELECT run_id, rejections_by_reason, new_article_count, duration_s FROM runs")
    assert rows == [("20260101T000000Z-abcdef", '{"http_404": 6, "not_html": 4}', 60, 12.5)]
    assert json.loads(rows[0][1]) == {"http_404": 6, "not_html": 4}
    # recording the same run again replaces its row, it does not add one
    db.record_run(
        data_dir,
        RunRecord.create(**{**_fields(run), "new_article_count": 61}, rejections={"not_html": 4, "http_404": 6}),
    )
    assert db.query(data_dir, "SELECT count(*), max(new_article_count) FROM runs")[1] == [(1, 61)]


def _fields(run):
    return {k: getattr(run, k) for k in run.__dataclass_fields__ if k not in ("rejections_by_reason", "parameters")}


def test_search_index_ranks_the_right_article_first_and_keeps_digits_and_cyrillic(data_dir):
    articles = [make_article(i) for i in range(30)]
    articles.append(
        make_article(
            100, title="Flood closes the harbour bridge", text="The harbour bridge closed after the flood of 2010. " * 3
        )
    )
    articles.append(make_article(101, title="Новости", text="Москва приняла бюджет на 2011 год. Москва и область."))
    parquet.write_articles(data_dir, articles, run_id="r1")
    db.load(data_dir)
    sql = (
        "SELECT title FROM (SELECT *, fts_main_articles.match_bm25(article_id, ?) AS score FROM articles) "
        "WHERE score IS NOT NULL ORDER BY score DESC"
    )
    assert db.query(data_dir, sql, ["flood bridge"])[1][0] == ("Flood closes the harbour bridge",)
    assert db.query(data_dir, sql, ["2010"])[1] == [("Flood closes the harbour bridge",)]
    assert db.query(data_dir, sql, ["Москва"])[1] == [("Новости",)]
    assert db.query(data_dir, sql, ["москва"])[1] == [("Новости",)]  # case-insensitive


def test_index_is_rebuilt_after_a_load_adds_articles(data_dir):
    parquet.write_articles(data_dir, [make_article(1)], run_id="r1")
    db.load(data_dir)
    parquet.write_articles(
        data_dir, [make_article(2, title="Zeppelin lands", text="A zeppelin landed in the square.")], run_id="r2"
    )
    assert db.load(data_dir).fts_update == "incremental"
    hits = db.query(
        data_dir, "SELECT title FROM articles WHERE fts_main_articles.match_bm25(article_id, 'zeppelin') IS NOT NULL"
    )[1]
    assert hits == [("Zeppelin lands",)]


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT INTO articles (article_id) VALUES ('x')",
        "DROP TABLE articles",
        "DELETE FROM loads",
        "COPY articles TO 'out.csv'",
        "ATTACH 'other.duckdb' AS other",
        "CREATE TABLE t AS SELECT 1",
        "UPDATE articles SET title = 'x'",
        "SELECT 1; DROP TABLE articles",  # a write hidden after a read
        "SET threads = 1",
        "CHECKPOINT",
        "PRAGMA create_fts_index('articles', 'article_id', 'title')",
        "EXPORT DATABASE 'dump'",
        "INSTALL fts",
    ],
)
def test_query_refuses_writes(data_dir, sql):
    parquet.write_articles(data_dir, [make_article(1)], run_id="r1")
    db.load(data_dir)
    with pytest.raises(db.QueryRefused, match="refused"):
        db.query(data_dir, sql)
    assert db.query(data_dir, "SELECT count(*) FROM articles")[1] == [(1,)]


def test_query_errors_are_one_line(data_dir):
    db.load(data_dir)
    with pytest.raises(db.WarehouseError) as info:
        db.query(data_dir, "SELECT nope FROM articles")
    assert "\n" not in str(info.value) and "nope" in str(info.value)
    with pytest.raises(db.WarehouseError, match="no SQL"):
        db.query(data_dir, "  ")


def test_query_without_warehouse_or_parquet_says_what_to_do(data_dir):
    with pytest.raises(db.WarehouseMissing, match="newsarchive run"):
        db.query(data_dir, "SELECT 1")


def test_query_without_warehouse_answers_from_parquet(data_dir):
    parquet.write_articles(data_dir, [make_article(i) for i in range(4)], run_id="r1")
    result = db.run_query(data_dir, "SELECT count(*) FROM articles")
    assert result.source == "parquet" and result.rows == [(4,)]


HOLDER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1])  # read-write: no other process can open the file now
    print("holding", flush=True)
    sys.stdin.readline()
    con.close()
    print("released", flush=True)
    """
)


@pytest.fixture
def lock_holder(data_dir):
    """A second real process that opens the warehouse read-write and holds it until told."""
    procs = []

    def start():
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(db.warehouse_path(data_dir))],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout.readline().strip() == "holding"
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.stdin.write("\n")
            proc.stdin.flush()
            proc.wait(timeout=10)


def _release(proc):
    proc.stdin.write("\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "released"
    proc.wait(timeout=10)


def test_queries_work_while_another_process_holds_the_write_lock(data_dir, lock_holder):
    parquet.write_articles(data_dir, [make_article(i) for i in range(7)], run_id="r1")
    db.load(data_dir)
    holder = lock_holder()
    started = time.monotonic()
    result = db.run_query(data_dir, "SELECT count(*) FROM articles", lock_timeout_s=0.3)
    assert result.source == "parquet" and result.rows == [(7,)]
    assert time.monotonic() - started < 10
    with pytest.raises(db.WarehouseBusy, match="held by another process"):
        db.run_query(data_dir, "SELECT 1", lock_timeout_s=0.2, fallback=False)
    _release(holder)
    assert db.run_query(data_dir, "SELECT count(*) FROM articles").source == "warehouse"


def test_load_waits_for_the_lock_then_succeeds(data_dir, lock_holder):
    db.load(data_dir)
    parquet.write_articles(data_dir, [make_article(i) for i in range(3)], run_id="r1")
    holder = lock_holder()
    with pytest.raises(db.WarehouseBusy):
        db.load(data_dir, lock_timeout_s=0.2)
    threading.Timer(1.0, _release, [holder]).start()
    summary = db.load(data_dir, lock_timeout_s=30)
    assert summary.total_article_count == 3


def test_timestamps_come_back_in_utc(data_dir):
    parquet.write_articles(data_dir, [make_article(1)], run_id="r1")
    db.load(data_dir)
    [(captured_at,)] = db.query(data_dir, "SELECT captured_at FROM articles")[1]
    assert captured_at.utcoffset() == timedelta(0) and captured_at == make_article(1).captured_at


LOADER = textwrap.dedent(
    """
    import sys
    from warehouse import db
    print("loading", flush=True)
    summary = db.load(sys.argv[1])
    print("loaded", summary.total_article_count, flush=True)
    """
)


def test_queries_and_a_real_load_in_another_process(data_dir):
    """A load in a second process holds the write lock for seconds; queries keep answering,
    and queries holding the file for a moment never make the load fail."""
    parquet.write_articles(data_dir, [make_article(i) for i in range(10)], run_id="r1")
    db.load(data_dir)
    long_text = " ".join(f"word{k % 997} harbour council" for k in range(400))
    parquet.write_articles(data_dir, [make_article(i, text=long_text + f" n{i}") for i in range(100, 400)], run_id="r2")
    loader = subprocess.Popen(
        [sys.executable, "-c", LOADER, str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=str(db.__file__).rsplit("/warehouse/", 1)[0],
    )
    assert loader.stdout.readline().strip() == "loading"
    answers = []
    while loader.poll() is None:
        result = db.run_query(data_dir, "SELECT count(*) FROM articles", lock_timeout_s=0.2)
        answers.append((result.source, result.rows[0][0]))
    assert loader.wait(timeout=120) == 0
    assert loader.stdout.read().strip() == "loaded 310"
    assert answers and all(count in (10, 310) for _, count in answers)
    assert db.run_query(data_dir, "SELECT count(*) FROM articles").rows == [(310,)]
    assert {source for source, _ in answers} <= {"warehouse", "parquet"}


def test_one_row_per_key_in_every_table(data_dir):
    """Uniqueness comes from the merge (articles and captures have no PRIMARY KEY index): keep it checked."""
    parquet.write_articles(
        data_dir, [make_article(i) for i in range(6)] + [make_article(2, title="again")], run_id="r1"
    )
    db.load(data_dir)
    parquet.write_articles(data_dir, [make_article(i, captured_at=BASE_TIME) for i in range(4, 9)], run_id="r2")
    db.load(data_dir)
    assert db.query(data_dir, "SELECT count(*), count(DISTINCT article_id) FROM articles")[1] == [(9, 9)]
    later = BASE_TIME + timedelta(minutes=5)
    parquet.write_captures(data_dir, [make_outcome(i) for i in range(5)], run_id="r1")
    parquet.write_captures(
        data_dir, [make_outcome(i, recorded_at=later, duration_ms=99) for i in range(3, 8)], run_id="r1"
    )
    db.load(data_dir)
    parquet.write_captures(
        data_dir, [make_outcome(i, recorded_at=later + timedelta(minutes=1)) for i in range(6, 9)], run_id="r1"
    )
    db.load(data_dir)
    rows = db.query(data_dir, "SELECT count(*), count(DISTINCT (capture_id, run_id)) FROM captures")[1]
    assert rows == [(9, 9)]
    # the latest recorded outcome of a capture in a run wins
    assert db.query(data_dir, "SELECT duration_ms FROM captures WHERE capture_id = 'cap0004'")[1] == [(99,)]


def test_a_warehouse_with_the_old_articles_layout_is_moved_to_the_new_one(data_dir):
    """Older warehouses had a PRIMARY KEY on articles.article_id and compressed text: the next
    load copies articles into the current layout once, keeping every row and comment."""
    parquet.write_articles(data_dir, [make_article(i) for i in range(8)], run_id="r1")
    db.load(data_dir)
    before = table_rows(data_dir, "articles", "article_id")
    con = db.connect(data_dir, read_only=False)
    con.execute("ALTER TABLE articles RENAME TO articles_new")
    con.execute(create_table_sql("articles", ARTICLE_COLUMNS, ["article_id"]))  # the old layout
    con.execute("INSERT INTO articles SELECT * FROM articles_new")
    con.execute("DROP TABLE articles_new")
    con.execute("DELETE FROM warehouse_info WHERE key = 'articles_layout'")
    con.close()
    parquet.write_articles(data_dir, [make_article(20, title="Zeppelin lands")], run_id="r2")
    summary = db.load(data_dir)
    assert (summary.new_article_count, summary.total_article_count, summary.fts_update) == (1, 9, "incremental")
    constraints = db.query(data_dir, "SELECT constraint_type FROM duckdb_constraints() WHERE table_name = 'articles'")[
        1
    ]
    assert ("PRIMARY KEY",) not in constraints
    compression = db.query(
        data_dir,
        (
            "SELECT DISTINCT compression FROM pragma_storage_info('articles') WHERE column_name IN ('article_id', 'text') AND segment_type = 'VARCHAR'"
        ),
    )[1]
    assert compression == [("Uncompressed",)]
    after = table_rows(data_dir, "articles", "article_id")
    assert len(after) == 9 and [row for row in after if row in before] == before
    missing = db.query(
        data_dir, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'articles' AND comment IS NULL"
    )[1]
    assert missing == []
    assert db.query(data_dir, "SELECT title FROM search('zeppelin')")[1] == [("Zeppelin lands",)]
