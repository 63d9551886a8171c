"""The records that cross every stage boundary.

`Article` is what extraction returns, what becomes a Parquet row and what becomes a DuckDB
row. `Rejection` is every input that did not become an article, with a machine-readable
reason. `CaptureOutcome` is one row of the captures ledger: what happened to one capture
(fetched or read from a WARC, then extracted or rejected), so every input is accounted for.

The Arrow schemas for these records live in `warehouse/schema.py`; a test checks that the
two agree field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# Bump when extraction output changes, so rows record which code produced them.
EXTRACTOR_VERSION = "newsarchive-extract/0.5"


@dataclass(frozen=True, slots=True)
class Article:
    """One news article, normalized. `article_id` is unique in the warehouse."""

    article_id: str
    url: str
    archive_url: str | None
    captured_at: datetime
    publication: str | None
    domain: str
    title: str
    authors: tuple[str, ...]
    published_at: datetime | None
    language: str | None
    text: str
    word_count: int
    content_hash: str
    extractor_version: str = EXTRACTOR_VERSION
    description: str | None = None
    section: str | None = None
    tags: tuple[str, ...] = ()
    modified_at: datetime | None = None
    date_source: str | None = None
    simhash: int | None = None
    duplicate_of: str | None = None
    run_id: str | None = None
    # UTC offset the page wrote published_at in: the local calendar date is
    # (published_at + offset).date(), the date a reader of the outlet saw.
    published_offset_minutes: int | None = None
    # How much of published_at the page gave: "day" (a day, with or without a time), "month"
    # or "year" (published_at is then the first day of that month or year, 00:00 UTC); None
    # exactly when published_at is None.
    published_precision: str | None = None


@dataclass(frozen=True, slots=True)
class Rejection:
    """An input that did not become an article, and why.

    `reason` is machine-readable (`http_404`, `timeout`, `not_html`, `too_large`,
    `no_article_text`, `decode_error`, ...); `detail` is for people.
    """

    url: str
    reason: str
    detail: str = ""
    archive_url: str | None = None
    captured_at: datetime | None = None


# Reasons used across the project; Rejection.reason is one of these or `http_<status>`.
REJECTION_REASONS = {
    "not_html": "the capture is not an HTML page (image, PDF, ...)",
    "too_large": "the body is larger than the configured maximum",
    "decode_error": "the bytes could not be decoded as text",
    "empty": "the body is empty",
    "no_article_text": "no article body could be found (index page, gallery, ...)",
    "extraction_error": "the extractor failed on this page (a bug: the detail names the error)",
    "not_article": "the page is not an article (index, home page, soft 404, consent wall)",
    "soft_404": "the page says it was not found although the status was 200",
    "invalid_url": "the input is not a usable http(s) URL",
    "timeout": "the server did not answer in time, after all retries",
    "connection_error": "the connection failed, after all retries",
    "too_many_redirects": "the redirects did not end",
    "robots_disallowed": "robots.txt of the live host forbids fetching the URL",
    "robots_unreachable": "robots.txt of the live host could not be read (RFC 9309: disallow); retried next run",
    "truncated": "the body ended before its declared length, after all retries",
    "warc_error": "the WARC record could not be read",
    "revisit": "a WARC revisit record whose original is not in the input",
    "invalid_sitemap": "a sitemap listed by a sitemap index could not be parsed",
}


@dataclass(frozen=True, slots=True)
class CaptureOutcome:
    """One row of the captures ledger: the outcome of one capture in one run."""

    capture_id: str
    url: str
    archive_url: str | None
    captured_at: datetime | None
    status: str  # "article" | "rejected"
    reason: str | None
    detail: str | None
    http_status: int | None
    content_type: str | None
    byte_count: int
    attempt_count: int
    duration_ms: int
    warc_file: str | None
    warc_offset: int | None
    article_id: str | None
    source: str
    run_id: str
    recorded_at: datetime | None = None
