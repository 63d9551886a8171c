"""Markdown rendering in the archive's layout: title, byline, date, outlet, body, original URL."""

from __future__ import annotations

from datetime import UTC, datetime

from transforms import render_markdown
from transforms.records import Article


def _article(**changes) -> Article:
    values = dict(
        article_id="0" * 32,
        url="https://www.harbour-gazette.co.uk/news/local/ferry-4810233",
        archive_url=None,
        captured_at=datetime(2021, 3, 5, tzinfo=UTC),
        publication="The Harbour Gazette",
        domain="harbour-gazette.co.uk",
        title="Ferry route approved",
        authors=("Jane Doe", "John Roe"),
        published_at=datetime(2021, 3, 4, 8, 30, tzinfo=UTC),
        language="en",
        text="The council voted.\n\nThe route opens in spring.",
        word_count=8,
        content_hash="x",
    )
    values.update(changes)
    return Article(**values)


def test_render_markdown_layout():
    assert render_markdown(_article()) == (
        "Ferry route approved\n\n"
        "By Jane Doe and John Roe\n\n"
        "March 04, 2021\n\n"
        "**The Harbour Gazette**\n\n"
        "The council voted.\n\n"
        "The route opens in spring.\n\n"
        "Original url:\n\n"
        "<https://www.harbour-gazette.co.uk/news/local/ferry-4810233>\n"
    )


def test_render_markdown_leaves_out_missing_fields():
    text = render_markdown(_article(authors=(), published_at=None, publication=None))
    assert text.startswith("Ferry route approved\n\nThe council voted.")


def test_render_markdown_escapes_markup_in_text():
    text = render_markdown(
        _article(title="Five *stars* [sic]", text="# not a heading\n\n- not a list", authors=("A B", "C D", "E F"))
    )
    assert "Five \\*stars\\* \\[sic\\]" in text
    assert "\\# not a heading" in text and "\\- not a list" in text
    assert "By A B, C D and E F" in text


def test_render_markdown_prints_the_local_date():
    # 02:30 UTC on March 5 is still March 4 in New York (-05:00)
    late = _article(published_at=datetime(2021, 3, 5, 2, 30, tzinfo=UTC), published_offset_minutes=-300)
    assert "\n\nMarch 04, 2021\n\n" in render_markdown(late)
