"""Pure extraction: the raw bytes of one capture in, an `Article` or a `Rejection` out.

No network, disk, clock or environment: the capture time and everything else arrive as
arguments, so re-running extraction over the same WARC gives the same rows.
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
