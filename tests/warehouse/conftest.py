"""Synthetic records for warehouse tests (generated here, no fixtures copied from anywhere)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from transforms.records import Article, CaptureOutcome

BASE_TIME = datetime(2015, 3, 1, 12, 0, tzinfo=UTC)
WORDS = ["harbour", "council", "budget", "river", "bridge", "school", "election", "market", "weather", "festival"]


def make_article(number: int, **overrides) -> Article:
    """A valid synthetic article; `number` makes url, id and text unique."""
    url = overrides.pop("url", f"https://news{number % 3}.example.com/story/{number}")
    text = overrides.pop("text", " ".join(WORDS[(number + k) % len(WORDS)] for k in range(40)) + f" story{number}")
    captured_at = overrides.pop("captured_at", BASE_TIME + timedelta(days=number))
    fields = dict(
        article_id=hashlib.sha256(url.encode()).hexdigest()[:32],
        url=url,
        archive_url=None,
        captured_at=captured_at,
        publication=f"Example News {number % 3}",
        domain="example.com",
        title=f"Story number {number}",
        authors=("Jane Doe",),
        published_at=captured_at - timedelta(hours=6),
        language="en",
        text=text,
        word_count=len(text.split()),
        content_hash=hashlib.sha256(text.encode()).hexdigest(),
        run_id="20150301T000000Z-aaaaaa",
    )
    fields.update(overrides)
    return Article(**fields)


def make_outcome(number: int, **overrides) -> CaptureOutcome:
    fields = dict(
        capture_id=f"cap{number:04d}",
        url=f"https://news.example.com/story/{number}",
        archive_url=None,
        captured_at=BASE_TIME,
        status="article",
        reason=None,
        detail=None,
        http_status=200,
        content_type="text/html",
        byte_count=1000,
        attempt_count=1,
        duration_ms=12,
        warc_file=None,
        warc_offset=None,
        article_id=None,
        source="warc",
        run_id="20150301T000000Z-aaaaaa",
        recorded_at=BASE_TIME,
    )
    fields.update(overrides)
    return CaptureOutcome(**fields)


@pytest.fixture
def data_dir(tmp_path):
    return tmp_path / "data"
