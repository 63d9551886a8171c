"""Duplicate linking: exact and near copies point at the earliest capture."""

from __future__ import annotations

from datetime import UTC, datetime

from transforms import extract
from transforms.duplicates import link_duplicates

SENTENCES = [
    f"The harbour council met on day {i} and discussed ferry number {i * 3} with residents of the island."
    for i in range(12)
]


def _page(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"<html><head><title>Ferry talks</title></head><body><article><h1>Ferry talks</h1>{body}</article></body></html>"


def _article(url: str, day: int, paragraphs: list[str]):
    result = extract(_page(paragraphs), url, captured_at=datetime(2021, 3, day, tzinfo=UTC))
    assert result.__class__.__name__ == "Article", result
    return result


def test_exact_and_near_copies_link_to_the_earliest_capture():
    original = _article("https://gazette.example/a", 2, SENTENCES)
    syndicated = _article("https://herald.example/b", 3, SENTENCES)  # same text elsewhere
    edited = _article("https://post.example/c", 4, SENTENCES[:-1] + [SENTENCES[-1].replace("island", "isle")])
    other = _article(
        "https://post.example/d", 5, [s.replace("harbour council", "school board") * 2 for s in SENTENCES[:6]]
    )
    linked = {a.url: a.duplicate_of for a in link_duplicates([edited, syndicated, original, other])}
    assert linked == {
        "https://gazette.example/a": None,
        "https://herald.example/b": original.article_id,
        "https://post.example/c": original.article_id,
        "https://post.example/d": None,
    }


def test_known_articles_are_matched_but_not_returned():
    original = _article("https://gazette.example/a", 2, SENTENCES)
    later = _article("https://herald.example/b", 3, SENTENCES)
    assert [a.duplicate_of for a in link_duplicates([later], known=[original])] == [original.article_id]


def test_recapture_of_the_same_article_is_not_a_duplicate():
    first = _article("https://gazette.example/a", 2, SENTENCES)
    again = _article("https://gazette.example/a?utm_source=x", 9, SENTENCES)
    assert [a.duplicate_of for a in link_duplicates([first, again])] == [None, None]
