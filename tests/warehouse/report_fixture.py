"""A small warehouse with something in every section of `newsarchive report` (generated here):
three outlets in three languages, dates of every precision, authors, sections, rejections and
runs of different lengths."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.factories import BASE_TIME, make_article, make_outcome
from warehouse import db, parquet
from warehouse.schema import RunRecord

OUTLETS = [("Harbour Gazette", "en"), ("Nordkurier", "de"), ("Остров Вести", "ru")]
SECTIONS = ["Politics", "Sport", "Culture", None]
AUTHORS = ["Ann Rowe", "Bo Lind", "Карл Иванов", "Dee Marsh"]
REASONS = ["not_article", "not_article", "http_404", "not_html", "timeout"]


def build(data_dir: Path, article_count: int = 30) -> Path:
    articles = []
    for number in range(article_count):
        outlet, language = OUTLETS[number % len(OUTLETS)]
        published = BASE_TIME + timedelta(days=23 * number, minutes=7 * number, seconds=number % 2)
        if number % 5 == 0:
            published = published.replace(hour=0, minute=0, second=0)
        authors = tuple(AUTHORS[(number + k) % len(AUTHORS)] for k in range((number // 3) % 3))
        articles.append(
            make_article(
                number,
                publication=outlet,
                language=language,
                title=f"{outlet} story {number}",
                authors=authors,
                section=SECTIONS[number % len(SECTIONS)],
                published_at=None if number % 7 == 6 else published,
                published_offset_minutes=60 if number % 4 == 0 else None,
                published_precision=("month" if number % 9 == 0 else "day")
                if number % 3 == 0 and number % 7 != 6
                else None,
                captured_at=published + timedelta(days=1),
            )
        )
    parquet.write_articles(data_dir, articles, run_id="20260101T000000Z-aaaaaa")
    outcomes = [make_outcome(number, status="article", article_id=a.article_id) for number, a in enumerate(articles)]
    outcomes += [
        make_outcome(100 + number, status="rejected", reason=reason, detail="generated")
        for number, reason in enumerate(REASONS)
    ]
    parquet.write_captures(data_dir, outcomes, run_id="20260101T000000Z-aaaaaa")
    for number, (status, seconds) in enumerate([("completed", 12.5), ("interrupted", 3.0), ("completed", 7.25)]):
        started = datetime(2026, 1, 1 + number, 8, tzinfo=UTC)
        parquet.write_run(
            data_dir,
            RunRecord.create(
                run_id=f"2026010{number + 1}T080000Z-r{number}",
                source="warc",
                started_at=started,
                finished_at=started + timedelta(seconds=seconds),
                capture_count=10,
                article_count=10,
                rejection_count=number,
                rejections={},
                duration_s=seconds,
                status=status,
            ),
        )
    db.load(data_dir)
    return data_dir
