"""Extraction of every capture in the bundled sample archive, against its ground truth
(flows/sample/expected.json) and against golden files of the full extracted records.

The ground truth checks the fields a reader cares about; the golden files pin everything
else (text, hashes, tags, description, ...) so any change in output shows up in review.
Regenerate them with `pytest tests/transforms --update-golden` and read the diff.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from warcio.archiveiterator import ArchiveIterator

from transforms import Article, Rejection, extract

SAMPLE_DIR = Path(__file__).resolve().parents[2] / "flows" / "sample"
GOLDEN_DIR = Path(__file__).resolve().parent / "golden"


def _utc(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def _read_sample() -> list[tuple[dict, Article | Rejection]]:
    expected = json.loads((SAMPLE_DIR / "expected.json").read_text(encoding="utf-8"))["captures"]
    responses = []
    with open(SAMPLE_DIR / "archive.warc.gz", "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            headers = {name: value for name, value in record.http_headers.headers}
            responses.append(
                (
                    record.rec_headers.get_header("WARC-Target-URI"),
                    _utc(record.rec_headers.get_header("WARC-Date")),
                    record.http_headers.get_header("Content-Type"),
                    headers,
                    record.content_stream().read(),
                )
            )
    assert len(responses) == len(expected), "expected.json has one entry per response record"
    results = []
    for (uri, warc_date, content_type, headers, body), truth in zip(responses, expected, strict=True):
        assert uri == truth["captured_url"]
        captured_at = _utc(truth["captured_at"])
        assert warc_date == captured_at
        results.append((truth, extract(body, uri, captured_at=captured_at, content_type=content_type, headers=headers)))
    return results


@pytest.fixture(scope="module")
def sample() -> list[tuple[dict, Article | Rejection]]:
    return _read_sample()


def _articles(sample):
    return [(truth, result) for truth, result in sample if truth["kind"] == "article"]


def test_every_article_capture_becomes_an_article(sample):
    missing = [(truth["url"], result) for truth, result in _articles(sample) if not isinstance(result, Article)]
    assert missing == []


def test_non_articles_are_rejected_with_the_expected_reason(sample):
    for truth, result in sample:
        if truth["kind"] == "article":
            continue
        assert isinstance(result, Rejection), truth["url"]
        if truth["reason"].startswith("http_"):
            # The HTTP status is the caller's to judge; the page itself must still not pass.
            assert result.reason in ("soft_404", "not_article", "no_article_text"), result
        else:
            assert result.reason == truth["reason"], (truth["url"], result.detail)


@pytest.mark.parametrize("field", ["title", "authors", "published_at", "publication", "language"])
def test_metadata_matches_ground_truth(sample, field):
    mismatches = []
    for truth, article in _articles(sample):
        got = getattr(article, field)
        if field == "authors":
            got = list(got)
        elif field == "published_at":
            got = got.strftime("%Y-%m-%dT%H:%M:%SZ") if got else None
        if got != truth[field]:
            mismatches.append((truth["url"], got, truth[field]))
    assert mismatches == []


def test_body_paragraphs_match_ground_truth(sample):
    for truth, article in _articles(sample):
        assert article.text.split("\n\n") == truth["paragraphs"], truth["url"]


def test_description_and_declared_section_match(sample):
    for truth, article in _articles(sample):
        assert article.description == truth["description"], truth["url"]
        if article.section is not None:
            # Outlets write the section as a label ("Transport") or a slug ("transport").
            assert article.section.casefold() == truth["section"].casefold(), truth["url"]


def test_published_never_after_capture(sample):
    for _, article in _articles(sample):
        assert article.published_at is None or article.published_at <= article.captured_at


def test_same_url_captured_twice_gives_the_same_article(sample):
    by_id: dict[str, Article] = {}
    repeats = 0
    for _, article in _articles(sample):
        earlier = by_id.get(article.article_id)
        if earlier is not None:
            repeats += 1
            assert earlier.url == article.url
            assert earlier.title == article.title
        by_id[article.article_id] = article
    assert repeats >= 1, "the sample holds repeated captures of one URL"


def _golden_record(result: Article | Rejection) -> dict:
    record = {"type": type(result).__name__}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        record[field.name] = value
    return record


def test_golden_files(sample, update_golden):
    by_outlet: dict[str, list[dict]] = {}
    for truth, result in sample:
        host = urlsplit(truth["url"]).hostname or "unknown"
        by_outlet.setdefault(host, []).append(_golden_record(result))
    if update_golden:
        GOLDEN_DIR.mkdir(exist_ok=True)
        for host, records in by_outlet.items():
            text = json.dumps(records, ensure_ascii=False, indent=1, sort_keys=False) + "\n"
            (GOLDEN_DIR / f"{host}.json").write_text(text, encoding="utf-8")
    for host, records in by_outlet.items():
        path = GOLDEN_DIR / f"{host}.json"
        assert path.exists(), f"missing {path}: run pytest tests/transforms --update-golden"
        assert json.loads(path.read_text(encoding="utf-8")) == records, f"{host}: output differs from {path.name}"
