"""Golden files for the traps real archived pages set, one synthetic page per trap.

Each case is a small page written here (no text copied from anywhere). The extracted record
is compared with tests/transforms/golden/tricky/<case>.json, and a few cases also with their
Markdown rendering (<case>.md). Regenerate with `pytest tests/transforms --update-golden`
and review the diff. The assertions next to each case state what the golden file must show.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.support.factories import json_ld
from transforms import Article, Rejection, extract, render_markdown

GOLDEN = Path(__file__).resolve().parent / "golden" / "tricky"
CAPTURED = datetime(2022, 6, 1, 12, 0, tzinfo=UTC)
BODY = [
    "Residents of Port Skarn woke on Monday to find the old swing bridge stuck half open, cutting the town in two for the first time since it was built.",
    "Engineers from the county council spent the morning inspecting the gears, which had been greased only a week earlier, and said a broken pin was the likely cause.",
    "Shopkeepers on the east bank said trade had all but stopped, while the ferry that replaced the bridge for the day carried more than four hundred people across.",
    "The council expects the bridge to reopen by Thursday, and has promised a full report on its maintenance before the end of the month.",
]


def html(
    head: str = "", body: str = "", title: str = "Swing bridge stuck open | The Skarn Courier", lang: str = "en"
) -> str:
    return f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>{head}</head><body>{body}</body></html>'


def paragraphs(items=BODY) -> str:
    return "".join(f"<p>{p}</p>" for p in items)


ARTICLE_SHELL = '<nav><a href="/">Home</a> <a href="/news/">News</a></nav><article><h1>Swing bridge stuck open</h1>{byline}{body}</article><footer>The Skarn Courier</footer>'

CASES = {
    # "By [Jane Doe](#)" placeholder links and a ";"-joined meta author
    "placeholder_author_links": dict(
        page=html(
            head='<meta name="author" content="Mara Quill; Tobias Fenn">',
            body=ARTICLE_SHELL.format(
                byline='<p class="byline">By <a href="#">Mara Quill</a> and <a href="#">Tobias Fenn</a></p>',
                body=paragraphs(),
            ),
        ),
        authors=("Mara Quill", "Tobias Fenn"),
    ),
    # an outlet name and a role in the byline, an e-mail after a bar
    "byline_with_outlet_and_email": dict(
        page=html(
            body=ARTICLE_SHELL.format(
                byline='<p class="byline">By MARA QUILL, Skarn Courier | mara.quill@courier.example</p>',
                body=paragraphs(),
            )
        ),
        authors=("Mara Quill",),
    ),
    # JSON-LD date after the capture: impossible, the meta date (before it) wins
    "date_after_capture": dict(
        page=html(
            head=json_ld(
                {"@type": "NewsArticle", "headline": "Swing bridge stuck open", "datePublished": "2023-01-01T10:00:00Z"}
            )
            + '<meta property="article:published_time" content="2022-05-30T08:15:00+01:00">',
            body=ARTICLE_SHELL.format(byline="", body=paragraphs()),
        ),
        published_at=datetime(2022, 5, 30, 7, 15, tzinfo=UTC),
    ),
    # no declared date at all: null rather than a guess
    "no_date": dict(
        page=html(body=ARTICLE_SHELL.format(byline="", body=paragraphs())),
        published_at=None,
    ),
    # the date in the URL is evidence
    "date_in_url": dict(
        page=html(body=ARTICLE_SHELL.format(byline="", body=paragraphs())),
        url="https://www.skarn-courier.example/2022/05/28/swing-bridge-stuck-open/",
        published_at=datetime(2022, 5, 28, tzinfo=UTC),
    ),
    # disclaimer, newsletter box, caption and dateline inside the article
    "boilerplate_in_body": dict(
        page=html(
            body=ARTICLE_SHELL.format(
                byline='<p class="dateline">May 30, 2022 8:15 a.m. | Updated 2 hours ago</p>',
                body=paragraphs(BODY[:2])
                + '<div class="newsletter"><h3>Morning Brief</h3><p>Sign up for our newsletter and get the news in your inbox.</p></div>'
                + "<figure><figcaption>The bridge on Monday. Photo: Courier archive</figcaption></figure>"
                + paragraphs(BODY[2:])
                + "<p>The views expressed by readers in the comments do not reflect the views of The Skarn Courier.</p>",
            )
        ),
        paragraph_count=4,
    ),
    # paragraphs broken in mid-sentence, by <br> and by two <p>
    "broken_paragraphs": dict(
        page=html(
            body=ARTICLE_SHELL.format(
                byline="",
                body="<p>Residents of Port Skarn woke on Monday to find the old swing bridge stuck half open, cutting the town</p><p>in two for the first time since it was built.</p>"
                + "<p>Engineers from the county council spent the morning inspecting the gears, which had been greased only a week<br>earlier, and said a broken pin was the likely cause.</p>"
                + paragraphs(BODY[2:]),
            )
        ),
        paragraph_count=4,
    ),
    # site name suffix and a section in the <title>, og:title with the suffix too
    "title_suffixes": dict(
        page=html(
            title="Swing bridge stuck open - Local - The Skarn Courier",
            head='<meta property="og:title" content="Swing bridge stuck open | The Skarn Courier"><meta property="og:site_name" content="The Skarn Courier">',
            body=ARTICLE_SHELL.format(byline="", body=paragraphs()),
        ),
        title="Swing bridge stuck open",
        publication="The Skarn Courier",
    ),
    # JSON-LD articleBody when the markup hides most of the text (a teaser page)
    "json_ld_article_body": dict(
        page=html(
            head=json_ld(
                {"@type": "NewsArticle", "headline": "Swing bridge stuck open", "articleBody": "\n\n".join(BODY)}
            ),
            body='<article><h1>Swing bridge stuck open</h1><p>Residents of Port Skarn woke on Monday to find the old swing bridge stuck half open.</p><a href="/subscribe">Subscribe to read more</a></article>',
        ),
        paragraph_count=4,
    ),
    # ISO-8859-1 page that says so only in <meta http-equiv>
    "latin1_meta_charset": dict(
        page=html(
            lang="de",
            title="Drehbrücke klemmt | Skarner Bote",
            body=ARTICLE_SHELL.format(
                byline="<p>Von Jürgen Weiß</p>",
                body=paragraphs(
                    [
                        "Die alte Drehbrücke in Port Skarn ließ sich am Montag nicht mehr schließen, die Stadt war für Stunden geteilt.",
                        "Techniker des Kreises prüften die Zahnräder und fanden einen gebrochenen Bolzen, der wohl die Ursache war.",
                        "Die Geschäfte am Ostufer blieben leer, während die Fähre mehr als vierhundert Menschen übersetzte.",
                        "Der Kreis rechnet damit, dass die Brücke bis Donnerstag wieder geöffnet werden kann.",
                    ]
                ),
            ),
        )
        .replace('<meta charset="utf-8">', '<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1">')
        .replace("<h1>Swing bridge stuck open</h1>", "<h1>Drehbrücke klemmt</h1>")
        .encode("latin-1"),
        authors=("Jürgen Weiß",),
        title="Drehbrücke klemmt",
        publication="Skarner Bote",
        language="de",
    ),
    # the page redirected to the home page: its canonical URL is the site root
    "redirect_to_home": dict(
        page=html(
            head='<link rel="canonical" href="https://www.skarn-courier.example/">',
            body=ARTICLE_SHELL.format(byline="", body=paragraphs()),
        ),
        reason="not_article",
    ),
    # status 200, but the page says it is not there
    "soft_404": dict(
        page=html(
            title="Page not found - The Skarn Courier",
            body="<h1>Sorry, this page does not exist</h1><p>Try our <a href='/'>home page</a>.</p>",
        ),
        reason="soft_404",
    ),
    # a consent wall in front of the article
    "consent_wall": dict(
        page=html(
            title="Before you continue",
            body="<div><h2>We value your privacy</h2><p>We and our partners use cookies. Accept all cookies or manage your privacy settings to continue.</p><button>Accept all</button></div>",
        ),
        reason="not_article",
    ),
    # a section index: teasers under headline links
    "section_index": dict(
        page=html(
            title="Local news | The Skarn Courier",
            body="<h1>Local news</h1><ul>"
            + "".join(
                f'<li><a href="/news/local/story-{i}">Council votes on harbour plan number {i} for Port Skarn</a><p>{BODY[i % 4][:90]}</p></li>'
                for i in range(8)
            )
            + "</ul>",
        ),
        url="https://www.skarn-courier.example/news/local/",
        reason="not_article",
    ),
    # a replay page from the Wayback Machine with its toolbar
    "archive_toolbar": dict(
        page=html(
            body='<!-- BEGIN WAYBACK TOOLBAR INSERT --><div id="wm-ipp-base"><p>The Wayback Machine captured this page 12 times. Please donate today.</p></div><!-- END WAYBACK TOOLBAR INSERT -->'
            + ARTICLE_SHELL.format(byline="", body=paragraphs())
        ),
        url="https://web.archive.org/web/20220601120000/https://www.skarn-courier.example/news/local/swing-bridge-stuck-open",
        paragraph_count=4,
    ),
}
DEFAULT_URL = "https://www.skarn-courier.example/news/local/swing-bridge-stuck-open-4812"
MARKDOWN_CASES = ("placeholder_author_links", "broken_paragraphs", "latin1_meta_charset")


def _record(result: Article | Rejection) -> dict:
    record = {"type": type(result).__name__}
    for field in dataclasses.fields(result):
        value = getattr(result, field.name)
        record[field.name] = (
            value.isoformat() if isinstance(value, datetime) else list(value) if isinstance(value, tuple) else value
        )
    return record


@pytest.mark.parametrize("name", sorted(CASES))
def test_tricky_case(name, update_golden):
    case = CASES[name]
    result = extract(case["page"], case.get("url", DEFAULT_URL), captured_at=CAPTURED)
    if "reason" in case:
        assert isinstance(result, Rejection) and result.reason == case["reason"], result
    else:
        assert isinstance(result, Article), result
        for field in ("authors", "published_at", "title", "publication", "language"):
            if field in case:
                assert getattr(result, field) == case[field], field
        if "paragraph_count" in case:
            assert (
                result.text.split("\n\n") == BODY[: case["paragraph_count"]]
                or len(result.text.split("\n\n")) == case["paragraph_count"]
            )
        assert "Wayback" not in result.text and "newsletter" not in result.text.lower()
    golden = GOLDEN / f"{name}.json"
    record = _record(result)
    if update_golden:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    assert golden.exists(), f"missing {golden}: run pytest tests/transforms --update-golden"
    assert json.loads(golden.read_text(encoding="utf-8")) == record
    if name in MARKDOWN_CASES:
        markdown = render_markdown(result)
        golden_md = GOLDEN / f"{name}.md"
        if update_golden:
            golden_md.write_text(markdown, encoding="utf-8")
        assert golden_md.read_text(encoding="utf-8") == markdown
