"""The run ledger read from the captures Parquet dataset."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.factories import BASE_TIME, make_article, make_outcome
from warehouse import ledger, parquet


@pytest.mark.parametrize(
    "reason, transient",
    [
        (None, False),
        ("timeout", True),  # retry later
        ("connection_error", True),
        ("http_429", True),  # rate limited
        ("http_503", True),  # server trouble
        ("http_404", False),  # gone for good
        ("not_html", False),
        ("no_article_text", False),
    ],
)
def test_is_transient(reason, transient):
    assert ledger.is_transient(reason) is transient


def test_completed_and_transient_use_the_latest_outcome(data_dir):
    t0 = BASE_TIME
    parquet.write_captures(
        data_dir,
        [
            make_outcome(1, status="article", run_id="r1", recorded_at=t0),
            make_outcome(2, status="rejected", reason="http_404", run_id="r1", recorded_at=t0),
            make_outcome(3, status="rejected", reason="timeout", run_id="r1", recorded_at=t0),
            make_outcome(4, status="rejected", reason="http_503", run_id="r1", recorded_at=t0),
        ],
        run_id="r1",
    )
    parquet.write_captures(
        data_dir,
        [
            # capture 4 succeeded on a later run
            make_outcome(4, status="article", run_id="r2", recorded_at=t0 + timedelta(hours=1)),
        ],
        run_id="r2",
    )
    assert ledger.completed_capture_ids(data_dir) == {"cap0001", "cap0002", "cap0004"}
    assert ledger.transient_failures(data_dir) == {"cap0003": "timeout"}


def test_empty_dataset(data_dir):
    assert ledger.completed_capture_ids(data_dir) == set()
    assert ledger.transient_failures(data_dir) == {}
    assert ledger.article_ids(data_dir) == set()


def test_article_ids(data_dir):
    articles = [make_article(i) for i in range(4)]
    parquet.write_articles(data_dir, articles, run_id="r1")
    assert ledger.article_ids(data_dir) == {a.article_id for a in articles}
