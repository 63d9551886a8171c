"""Markdown rendering of an article, in the layout of the user's archive: title, byline, date,
outlet, body paragraphs, original URL — without the artefacts of the raw pages.
"""

from __future__ import annotations

import re

from transforms.dates import local_date
from transforms.records import Article
from transforms.text import normalize_text, split_paragraphs

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


def _escape_inline(text: str) -> str:
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def _escape_block(paragraph: str) -> str:
    """Escape what would turn a body paragraph into markup (headings, lists, quotes, emphasis)."""
    text = _escape_inline(paragraph)
    text = re.sub(r"^(\s*)([-+=]|\d+[.)])(\s)", r"\1\\\2\3", text)
    return text


def byline(authors: tuple[str, ...]) -> str:
    """'By A', 'By A and B', 'By A, B and C'."""
    names = [a for a in authors if a]
    if not names:
        return ""
    if len(names) == 1:
        return f"By {names[0]}"
    return f"By {', '.join(names[:-1])} and {names[-1]}"


def render_markdown(article: Article) -> str:
    """The article as a readable Markdown document (plain names, no placeholder links)."""
    blocks: list[str] = [_escape_inline(normalize_text(article.title).replace("\n", " "))]
    if article.authors:
        blocks.append(_escape_inline(byline(article.authors)))
    if article.published_at is not None:
        # The date as the outlet printed it: local to its time zone when the page named one.
        blocks.append(local_date(article.published_at, article.published_offset_minutes).strftime("%B %d, %Y"))
    if article.publication:
        blocks.append(f"**{_escape_inline(normalize_text(article.publication))}**")
    blocks.extend(_escape_block(p) for p in split_paragraphs(normalize_text(article.text)))
    blocks.append("Original url:")
    blocks.append(f"<{article.url}>")
    return "\n\n".join(block for block in blocks if block) + "\n"
