"""Pure extraction: the raw bytes of one capture in, an `Article` or a `Rejection` out.

No network, disk, clock or environment: the capture time and everything else arrive as
arguments, so re-running extraction over the same WARC gives the same rows.

    extract(html, url, *, captured_at=None, archive_url=None, content_type=None, headers=None)
        -> Article | Rejection            never raises
    canonicalize_url(url) -> str          raises InvalidURL for non-http(s) input
    article_id_for(url) -> str            sha256 of the canonical URL, first 32 hex digits
    registered_domain(url) -> str
    normalize_text(text) -> str           NFC, clean whitespace, one blank line between paragraphs
    render_markdown(article) -> str       title, byline, date, outlet, body, original URL
    link_duplicates(articles, known=()) -> list[Article]   sets duplicate_of

One module per field family: urls, decode, meta (what the page declares), titles, authors,
dates, text, language, publications, duplicates; extract composes them; markdown renders.
"""

from transforms.duplicates import link_duplicates
from transforms.extract import extract
from transforms.markdown import render_markdown
from transforms.records import EXTRACTOR_VERSION, REJECTION_REASONS, Article, Rejection
from transforms.text import normalize_text
from transforms.urls import InvalidURL, article_id_for, canonicalize_url, registered_domain

__all__ = [
    "EXTRACTOR_VERSION",
    "REJECTION_REASONS",
    "Article",
    "InvalidURL",
    "Rejection",
    "article_id_for",
    "canonicalize_url",
    "extract",
    "link_duplicates",
    "normalize_text",
    "registered_domain",
    "render_markdown",
]
