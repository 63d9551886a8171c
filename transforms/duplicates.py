"""Duplicates: link exact copies (same content_hash) and near copies (simhash within a few
bits: syndicated stories, URL variants) to the earliest article rather than deleting them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

from transforms.records import Article
from transforms.text import hamming_distance

# Simhashes of near-duplicate texts differ in at most this many of 64 bits (measured: a
# paragraph dropped or edited moves 2-12 bits; distinct news articles stay 15 or more apart).
NEAR_DUPLICATE_BITS = 7
# Texts shorter than this are too generic for a simhash match to mean a copy.
MIN_WORDS_FOR_NEAR_MATCH = 80


def link_duplicates(articles: Iterable[Article], known: Iterable[Article] = ()) -> list[Article]:
    """The articles with `duplicate_of` set to the earliest-captured article they copy.

    `known` are articles already stored (they are never changed, only matched against).
    The earliest capture is the original; ties go to the smaller article_id, so the result
    does not depend on input order. An article never duplicates itself (same article_id).
    """
    new = list(articles)
    pool = list(known) + new

    def capture_key(article: Article) -> tuple:
        return (article.captured_at is None, article.captured_at or 0, article.article_id)

    originals: list[Article] = []
    original_of: dict[str, str] = {}
    by_hash: dict[str, Article] = {}
    for article in sorted(pool, key=capture_key):
        match = by_hash.get(article.content_hash)
        if match is None and article.simhash is not None and article.word_count >= MIN_WORDS_FOR_NEAR_MATCH:
            match = next(
                (
                    other
                    for other in originals
                    if other.simhash is not None
                    and other.word_count >= MIN_WORDS_FOR_NEAR_MATCH
                    and hamming_distance(other.simhash, article.simhash) <= NEAR_DUPLICATE_BITS
                ),
                None,
            )
        if match is not None and match.article_id != article.article_id:
            original_of[article.article_id] = match.article_id
        elif match is None:
            originals.append(article)
            by_hash.setdefault(article.content_hash, article)
    return [
        dataclasses.replace(article, duplicate_of=original_of[article.article_id])
        if article.article_id in original_of
        else article
        for article in new
    ]
