"""Full-text search: the incrementally maintained index equals a full rebuild; the search macro."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.support.factories import BASE_TIME, make_article
from warehouse import db, fts, parquet, search, stats
from warehouse.sqlfiles import sql_text


def _index_snapshot(data_dir, query):
    con = db.connect(data_dir, read_only=True)
    try:
        return {
            "docs": sorted(con.execute("SELECT name, len FROM fts_main_articles.docs").fetchall()),
            "dict": sorted(con.execute("SELECT term, df FROM fts_main_articles.dict").fetchall()),
            "terms": sorted(
                con.execute(
                    "SELECT d.name, t.fieldid, k.term FROM fts_main_articles.terms t "
                    "JOIN fts_main_articles.docs d USING (docid) JOIN fts_main_articles.dict k USING (termid)"
                ).fetchall()
            ),
            "stats": con.execute("SELECT num_docs, round(avgdl, 9) FROM fts_main_articles.stats").fetchall(),
            "scores": sorted(
                con.execute(
                    "SELECT article_id, round(fts_main_articles.match_bm25(article_id, ?), 9) AS s FROM articles WHERE s IS NOT NULL",
                    [query],
                ).fetchall()
            ),
        }
    finally:
        con.close()


def test_incremental_index_equals_a_full_rebuild(data_dir):
    parquet.write_articles(data_dir, [make_article(i) for i in range(40)], run_id="r1")
    assert db.load(data_dir).fts_update == "rebuild"  # first load: no index yet
    # new articles, plus an earlier capture that replaces article 3 with other words
    replacement = make_article(
        3, captured_at=BASE_TIME - timedelta(days=400), text="Совсем другие слова: Москва, 2010, flood."
    )
    parquet.write_articles(data_dir, [make_article(i) for i in range(40, 48)] + [replacement], run_id="r2")
    summary = db.load(data_dir)
    assert summary.fts_update == "incremental"
    assert (summary.new_article_count, summary.replaced_article_count) == (8, 1)
    query = "harbour council москва 2010 flood story3"
    incremental = _index_snapshot(data_dir, query)
    db.load(data_dir, rebuild_index=True)  # our own build from scratch
    assert _index_snapshot(data_dir, query) == incremental
    assert incremental["stats"][0][0] == 48
    # and the extension's own create_fts_index over the whole table gives the same index
    con = db.connect(data_dir, read_only=False)
    con.execute(sql_text("fts.sql"))
    con.close()
    assert _index_snapshot(data_dir, query) == incremental


def _corpus(data_dir):
    articles = [make_article(i) for i in range(20)]
    articles += [
        make_article(
            100,
            publication="Gazette",
            title="Flood closes the harbour bridge",
            text="The harbour bridge closed after the flood of 2010.\n\nEngineers inspected the bridge.",
            published_at=BASE_TIME.replace(year=2010),
        ),
        make_article(
            101,
            publication="Vesti",
            title="Новости",
            text="Москва приняла бюджет на 2011 год.",
            published_at=BASE_TIME.replace(year=2011),
        ),
        make_article(
            102,
            publication="Gazette",
            title="Elections called",
            text="Voters head to the polls in the elections.",
            published_at=BASE_TIME.replace(year=2012),
        ),
    ]
    parquet.write_articles(data_dir, articles, run_id="r1")
    db.load(data_dir)


def test_search_ranks_the_right_article_first_with_a_snippet(data_dir):
    _corpus(data_dir)
    result = search.search(data_dir, "flood bridge")
    assert result.ranking == "bm25"
    top = result.hits[0]
    assert top.title == "Flood closes the harbour bridge"
    assert "flood" in top.snippet.lower() and "\n" not in top.snippet
    assert [h.score for h in result.hits] == sorted((h.score for h in result.hits), reverse=True)


@pytest.mark.parametrize(
    "words, title",
    [
        ("2010", "Flood closes the harbour bridge"),  # digits are tokens
        ("Москва", "Новости"),  # Cyrillic is a token
        ("МОСКВА", "Новости"),  # and case-insensitive
        ("voter", "Elections called"),  # stemming: "voter" finds "Voters"
    ],
)
def test_search_finds_digits_cyrillic_and_stems(data_dir, words, title):
    _corpus(data_dir)
    assert [h.title for h in search.search(data_dir, words).hits] == [title]


def test_search_filters(data_dir):
    _corpus(data_dir)
    hits = search.search(data_dir, "bridge", publication="Gazette").hits
    assert [h.title for h in hits] == ["Flood closes the harbour bridge"]
    assert search.search(data_dir, "bridge", publication="Vesti").hits == []
    assert search.search(data_dir, "flood", published_from=date(2011, 1, 1)).hits == []
    assert len(search.search(data_dir, "flood", published_to=date(2010, 3, 1)).hits) == 1  # inclusive day
    assert len(search.search(data_dir, "harbour", limit=3).hits) == 3


def test_search_macro_is_usable_in_sql(data_dir):
    _corpus(data_dir)
    rows = db.query(data_dir, "SELECT title FROM search('Москва', max_rows := 1)")[1]
    assert rows == [("Новости",)]


def test_search_falls_back_to_parquet_without_the_warehouse(data_dir):
    _corpus(data_dir)
    db.warehouse_path(data_dir).unlink()
    result = search.search(data_dir, "flood bridge")
    assert result.ranking == "term-count"
    assert result.hits[0].title == "Flood closes the harbour bridge"
    assert [h.title for h in search.search(data_dir, "москва").hits] == ["Новости"]


def test_search_needs_words(data_dir):
    _corpus(data_dir)
    with pytest.raises(db.WarehouseError, match="nothing to search"):
        search.search(data_dir, "  ")


def test_search_macro_scores_equal_match_bm25(data_dir):
    _corpus(data_dir)
    for words in ["harbour bridge", "flood 2010", "council budget story7", "москва"]:
        macro = db.query(
            data_dir, "SELECT article_id, score FROM search(?, max_rows := 1000) ORDER BY article_id", [words]
        )[1]
        reference = db.query(
            data_dir,
            (
                "SELECT article_id, round(fts_main_articles.match_bm25(article_id, ?), 4) AS s FROM articles "
                "WHERE s IS NOT NULL ORDER BY article_id"
            ),
            [words],
        )[1]
        assert macro == reference and macro, words


def test_deferred_index_then_an_index_load_equals_indexing_every_load(tmp_path):
    """update_search_index=False leaves the index for a later load; the result is the same."""
    replacement = make_article(
        3, captured_at=BASE_TIME - timedelta(days=400), text="Совсем другие слова: Москва, 2010, flood."
    )
    batches = [
        ("r1", [make_article(i) for i in range(30)]),
        ("r2", [make_article(i) for i in range(30, 40)] + [replacement]),
        ("r3", [make_article(i, title="Zeppelin over the harbour") for i in range(40, 45)]),
    ]
    query = "harbour council москва 2010 flood story3 zeppelin"
    every_load, deferred = tmp_path / "every", tmp_path / "deferred"
    for run, articles in batches:
        parquet.write_articles(every_load, articles, run_id=run)
        db.load(every_load)
    expected = _index_snapshot(every_load, query)

    parquet.write_articles(deferred, batches[0][1], run_id="r1")
    assert db.load(deferred).fts_update == "rebuild"
    parquet.write_articles(deferred, batches[1][1], run_id="r2")
    summary = db.load(deferred, update_search_index=False)
    assert (summary.fts_update, summary.fts_pending_count, summary.new_article_count) == ("deferred", 11, 10)
    # in between: the deferred articles are not found yet, and the replaced article 3 is out of
    # the index, not found for the words it no longer has
    assert search.search(deferred, "story35").hits == []
    assert search.search(deferred, "story3").hits == []
    assert [h.title for h in search.search(deferred, "story4").hits] == ["Story number 4"]
    parquet.write_articles(deferred, batches[2][1], run_id="r3")
    assert db.load(deferred, update_search_index=False).fts_pending_count == 16
    assert stats.collect(deferred).search_pending_count == 16
    summary = db.load(deferred)  # no new files: indexes what waits
    assert (summary.new_file_count, summary.fts_update, summary.fts_pending_count) == (0, "incremental", 0)
    assert _index_snapshot(deferred, query) == expected
    assert stats.collect(deferred).search_pending_count == 0
    assert [h.title for h in search.search(deferred, "москва").hits] == ["Story number 3"]


def test_deferred_first_load_makes_an_empty_index_then_indexes_everything(data_dir):
    parquet.write_articles(data_dir, [make_article(i) for i in range(12)], run_id="r1")
    summary = db.load(data_dir, update_search_index=False)
    assert (summary.fts_update, summary.fts_pending_count, summary.total_article_count) == ("deferred", 12, 12)
    result = search.search(data_dir, "harbour")
    assert result.ranking == "bm25" and result.hits == []  # the index exists, empty for now
    assert db.load(data_dir, update_search_index=False).fts_update == "none"  # nothing new: nothing to do
    assert db.load(data_dir).fts_update == "incremental"
    query = "harbour council story7"
    indexed = _index_snapshot(data_dir, query)
    assert indexed["stats"][0][0] == 12
    db.load(data_dir, rebuild_index=True)
    assert _index_snapshot(data_dir, query) == indexed


def test_rebuild_past_one_row_group_keeps_bm25_statistics(data_dir):
    """More documents than one DuckDB row group (122,880): the statistics BM25 reads must count
    them all (a form of the docs INSERT once left them invisible to the rest of the load)."""
    count = 123_000
    articles = [
        make_article(i, captured_at=BASE_TIME, title=f"Brief {i}", text=f"harbour note{i % 7}") for i in range(count)
    ]
    parquet.write_articles(data_dir, articles, run_id="r1")
    assert db.load(data_dir).fts_update == "rebuild"
    docs, total_length = db.query(data_dir, "SELECT count(*), sum(len) FROM fts_main_articles.docs")[1][0]
    assert docs == count
    assert db.query(data_dir, "SELECT num_docs, avgdl FROM fts_main_articles.stats")[1] == [
        (count, total_length / count)
    ]
    hits = search.search(data_dir, "note3", limit=3).hits
    assert len(hits) == 3 and all(hit.score > 0 for hit in hits)


def test_indexing_in_small_chunks_equals_indexing_at_once(tmp_path, monkeypatch):
    """The index is built FTS_INDEX_CHUNK articles per transaction (flat memory); the chunks
    give exactly the index one pass over all the articles gives."""
    articles = [make_article(i) for i in range(23)]
    query = "harbour council story7 story21"
    at_once, chunked = tmp_path / "at-once", tmp_path / "chunked"
    parquet.write_articles(at_once, articles, run_id="r1")
    db.load(at_once)
    monkeypatch.setattr(fts, "FTS_INDEX_CHUNK", 5)
    parquet.write_articles(chunked, articles, run_id="r1")
    summary = db.load(chunked)
    assert (summary.fts_update, summary.fts_pending_count) == ("rebuild", 0)
    assert _index_snapshot(chunked, query) == _index_snapshot(at_once, query)
    con = db.connect(chunked, read_only=True)
    try:
        docids = [row[0] for row in con.execute("SELECT docid FROM fts_main_articles.docs ORDER BY name").fetchall()]
    finally:
        con.close()
    assert docids == sorted(docids) == list(range(len(articles)))  # article_id order, as in one pass


def test_a_load_held_to_one_thread_and_little_memory_builds_the_same_warehouse(tmp_path):
    """A run's loads cap DuckDB (one thread, a small memory limit, spilling beyond it); the
    articles and the index come out as an unbounded load makes them."""
    words = [f"word{k}" for k in range(3_000)]
    articles = [
        make_article(i, text=" ".join(words[(i * 7 + k * 13) % len(words)] for k in range(400)) + f" story{i}")
        for i in range(3_000)
    ]
    query = "word17 word2999 story1234"
    unbounded, bounded = tmp_path / "unbounded", tmp_path / "bounded"
    for data_dir in (unbounded, bounded):
        parquet.write_articles(data_dir, articles, run_id="r1")
    db.load(unbounded)
    summary = db.load(bounded, threads=1, memory_limit="24MB")
    assert (summary.new_article_count, summary.fts_update) == (3_000, "rebuild")
    assert _index_snapshot(bounded, query) == _index_snapshot(unbounded, query)
    article_rows = "SELECT * FROM articles ORDER BY article_id"
    assert db.query(bounded, article_rows) == db.query(unbounded, article_rows)


def _multilingual(data_dir):
    articles = [
        make_article(
            200, publication="Остров Вести", language="ru", title="Новости столицы", text="Москва приняла бюджет."
        ),
        make_article(201, publication="Остров Вести", language="ru", title="Погода", text="В Москве идёт снег."),
        make_article(202, publication="Остров Вести", language="ru", title="Дороги", text="Мэр посетил Москву вчера."),
        make_article(203, publication="Nordkurier", language="de", title="Häfen", text="Die Häfen der Stadt wachsen."),
        make_article(204, publication="Nordkurier", language="de", title="Hafen", text="Der Hafen wurde erweitert."),
        make_article(205, publication="Gazette", language="en", title="Harbours", text="The harbours are busy."),
        make_article(206, publication="Gazette", language="xx", title="Unknown", text="harbours harbour"),
    ]
    parquet.write_articles(data_dir, articles, run_id="r1")
    db.load(data_dir)


def test_russian_forms_find_the_same_articles(data_dir):
    """Each article is stemmed in its own language: "Москва" and "Москве" (and "Москву") meet."""
    _multilingual(data_dir)
    found = {w: sorted(h.title for h in search.search(data_dir, w).hits) for w in ["Москва", "Москве", "москву"]}
    assert found["Москва"] == found["Москве"] == found["москву"] == ["Дороги", "Новости столицы", "Погода"]
    assert sorted(h.title for h in search.search(data_dir, "Москве", language="ru").hits) == found["Москва"]


def test_language_filter_and_stemmer(data_dir):
    _multilingual(data_dir)
    assert sorted(h.title for h in search.search(data_dir, "hafen", language="de").hits) == ["Hafen", "Häfen"]
    assert [h.title for h in search.search(data_dir, "harbour", language="en").hits] == ["Harbours"]
    # an unstemmed language: only the literal word matches
    assert [h.title for h in search.search(data_dir, "harbours", language="xx").hits] == ["Unknown"]
    # all languages (the default): the English article on its stem, the other on the word itself
    assert sorted(h.title for h in search.search(data_dir, "harbours").hits) == ["Harbours", "Unknown"]
    assert search.search(data_dir, "Москва", language="de").hits == []


def test_publication_any_case_and_a_hint_when_none_matches(data_dir):
    _multilingual(data_dir)
    hits = search.search(data_dir, "hafen", publication="NORDKURIER").hits
    assert sorted(h.title for h in hits) == ["Hafen", "Häfen"]
    miss = search.search(data_dir, "hafen", publication="Nordkurir")
    assert miss.hits == [] and "did you mean: Nordkurier" in (miss.hint or "")
    miss = search.search(data_dir, "hafen", language="fr")
    assert miss.hits == [] and "no language is named 'fr'" in (miss.hint or "")
    assert search.search(data_dir, "zzz", publication="gazette").hint is None  # the name exists: no hint
