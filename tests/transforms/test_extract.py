"""extract(): one capture in, an Article or a Rejection with a reason out; never raises."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.factories import json_ld
from transforms import Article, Rejection, extract
from transforms.records import REJECTION_REASONS

CAPTURED = datetime(2021, 3, 10, 12, 0, tzinfo=UTC)
URL = "https://www.harbour-gazette.co.uk/news/local/ferry-route-approved-4810233"
PARAGRAPHS = [
    "The harbour council voted on Tuesday evening to open a new ferry route between the old pier and the island of Skarn, a move residents had demanded for more than a decade.",
    "Council members argued for two hours about the cost of the new vessels, which the harbour master estimated at four million pounds over the next five years.",
    "The route is expected to open next spring, and the first crossings would run twice a day during the summer season and once a day in winter, the council said.",
]


def page(
    *,
    title="Ferry route approved | The Harbour Gazette",
    head="",
    body_extra="",
    paragraphs=PARAGRAPHS,
    byline="By Jane Doe and John Roe",
    lang="en",
) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>{head}</head>
<body><nav><a href="/">Home</a> <a href="/news/">News</a></nav>
<article><h1>Ferry route approved</h1><p class="byline">{byline}</p>{body}{body_extra}</article>
<footer>Contact us</footer></body></html>"""


def test_article_fields_from_structured_data():
    head = json_ld(
        {
            "@context": "https://schema.org",
            "@graph": [
                {"@type": "WebSite", "name": "The Harbour Gazette"},
                {
                    "@type": "NewsArticle",
                    "headline": "Ferry route approved",
                    "datePublished": "2021-03-04T09:30:00+01:00",
                    "dateModified": "2021-03-04T11:00:00+01:00",
                    "author": [
                        {"@type": "Person", "name": "Jane Doe"},
                        {"@type": "Organization", "name": "Harbour Gazette Staff"},
                    ],
                    "publisher": {"@type": "NewsMediaOrganization", "name": "The Harbour Gazette"},
                    "articleSection": "Local",
                    "keywords": "ferries, council",
                    "description": "The council approved a new ferry route.",
                },
            ],
        }
    )
    article = extract(page(head=head).encode("utf-8"), URL + "?utm_source=x", captured_at=CAPTURED)
    assert isinstance(article, Article), article
    assert article.url == URL
    assert article.title == "Ferry route approved"
    assert article.authors == ("Jane Doe",)
    assert article.published_at == datetime(2021, 3, 4, 8, 30, tzinfo=UTC)
    assert article.date_source == "json-ld"
    assert article.modified_at == datetime(2021, 3, 4, 10, 0, tzinfo=UTC)
    assert article.publication == "The Harbour Gazette"
    assert article.domain == "harbour-gazette.co.uk"
    assert article.section == "Local"
    assert article.tags == ("ferries", "council")
    assert article.description == "The council approved a new ferry route."
    assert article.language == "en"
    assert article.text.split("\n\n") == PARAGRAPHS
    assert article.word_count == len(re.findall(r"\w+", " ".join(PARAGRAPHS)))
    assert len(article.content_hash) == 64 and 0 <= article.simhash < 2**64
    assert article.captured_at == CAPTURED


def test_article_fields_from_meta_and_byline_only():
    head = (
        '<meta property="og:site_name" content="The Harbour Gazette">'
        '<meta property="article:published_time" content="2021-03-04T09:30:00Z">'
    )
    article = extract(page(head=head), URL, captured_at=CAPTURED)
    assert isinstance(article, Article), article
    assert article.authors == ("Jane Doe", "John Roe")
    assert article.title == "Ferry route approved"
    assert article.date_source == "meta"
    assert "By Jane Doe" not in article.text


def test_published_after_capture_is_dropped():
    head = '<meta property="article:published_time" content="2021-04-04T09:30:00Z">'
    article = extract(page(head=head), URL, captured_at=CAPTURED)
    assert isinstance(article, Article)
    assert article.published_at is None or article.published_at <= CAPTURED


def test_publication_from_domain_when_the_page_names_none():
    article = extract(
        page(title="Ferry route approved"), "https://www.valley-herald.example/2021/03/04/ferry/", captured_at=CAPTURED
    )
    assert isinstance(article, Article), article
    assert article.publication == "Valley Herald"
    assert article.published_at == datetime(2021, 3, 4, tzinfo=UTC)  # from the URL
    assert article.date_source in ("url", "htmldate")


def test_disclaimer_and_broken_paragraph_cleaned():
    paragraphs = PARAGRAPHS[:2] + [
        "The route is expected to open next spring, and the first crossings would run twice a",
        "day during the summer season.",
        "The views expressed in opinion pieces do not necessarily reflect the position of The Harbour Gazette.",
    ]
    article = extract(page(paragraphs=paragraphs), URL, captured_at=CAPTURED)
    assert isinstance(article, Article), article
    assert article.text.split("\n\n")[-1] == (
        "The route is expected to open next spring, and the first crossings would run twice a day during the summer season."
    )


NOT_FOUND = (
    "<html><head><title>Page not found</title></head><body><h1>Sorry</h1><p>Try the home page.</p></body></html>"
)
CONSENT = (
    "<html><head><title>Before you continue</title></head><body><div><h2>We value your privacy</h2>"
    "<p>We and our partners use cookies to store and access information on your device. Accept all cookies "
    "or manage your privacy settings to continue.</p><button>Accept</button></div></body></html>"
)
INDEX = (
    "<html><head><title>Local news - The Harbour Gazette</title></head><body><h1>Local news</h1><ul>"
    + "".join(
        f'<li><a href="/news/local/story-{i}">Council approves plan number {i} for the harbour</a></li>'
        for i in range(12)
    )
    + "</ul></body></html>"
)


@pytest.mark.parametrize(
    "body, url, content_type, reason",
    [
        (b"", URL, "text/html", "empty"),  # empty body
        (b"   \n ", URL, "text/html", "empty"),  # only whitespace
        (b"\x89PNG\r\n\x1a\n" + bytes(100), URL, None, "not_html"),  # image bytes without a type
        (b"<html></html>", URL, "image/jpeg", "not_html"),  # declared non-HTML
        (b'{"a": 1}', URL, "application/json", "not_html"),
        (b"just some words, no markup at all", URL, None, "not_html"),
        (page().encode(), "ftp://example.com/x", None, "invalid_url"),
        (page().encode(), "not a url", None, "invalid_url"),
        (NOT_FOUND, URL, None, "soft_404"),  # status 200, but the page says "not found"
        (CONSENT, URL, None, "not_article"),  # consent wall
        (INDEX, "https://www.harbour-gazette.co.uk/news/local/", None, "not_article"),  # section index
        (page(), "https://www.harbour-gazette.co.uk/", None, "not_article"),  # home page
        (page(paragraphs=["Too short."]), URL, None, "no_article_text"),
    ],
)
def test_rejections(body, url, content_type, reason):
    result = extract(body, url, captured_at=CAPTURED, content_type=content_type)
    assert isinstance(result, Rejection), result
    assert result.reason == reason, result.detail
    assert result.reason in REJECTION_REASONS
    assert result.detail
    assert result.captured_at == CAPTURED


def test_rejection_keeps_archive_url():
    result = extract(b"", URL, captured_at=CAPTURED, archive_url="https://web.archive.org/web/20210310id_/" + URL)
    assert isinstance(result, Rejection)
    assert result.archive_url.startswith("https://web.archive.org/")


def test_declared_charset_in_headers_is_used():
    text = page(paragraphs=[p.replace("harbour", "Hafenstraße") for p in PARAGRAPHS])
    body = text.replace('<meta charset="utf-8">', "").encode("cp1252")
    article = extract(body, URL, captured_at=CAPTURED, headers={"Content-Type": "text/html; charset=windows-1252"})
    assert isinstance(article, Article), article
    assert "Hafenstraße" in article.text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_extract_never_raises_on_arbitrary_bytes(body):
    result = extract(body, URL, captured_at=CAPTURED)
    assert isinstance(result, (Article, Rejection))
    if isinstance(result, Rejection):
        assert result.reason in REJECTION_REASONS


_html_bits = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<div>",
        "</div>",
        "<h1>",
        "<script>",
        "<!--",
        "-->",
        "<meta charset='x'>",
        "&amp;",
        "&#0;",
        "<title>",
        "</title>",
        '<script type="application/ld+json">{"@type":"NewsArticle","author":',
        "]}",
        "\x00",
        "é",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_html_bits, st.text(max_size=30)), max_size=60), st.text(max_size=40))
def test_extract_never_raises_on_arbitrary_markup_and_urls(pieces, url):
    result = extract("".join(pieces), url, captured_at=CAPTURED, content_type="text/html")
    assert isinstance(result, (Article, Rejection))


TOOLBAR = (
    '<!-- BEGIN WAYBACK TOOLBAR INSERT --><div id="wm-ipp-base"><p>The Wayback Machine has 41 captures of this page '
    "between 2019 and 2021, please donate to keep the archive running for everyone.</p></div>"
    "<!-- END WAYBACK TOOLBAR INSERT -->"
)


def test_replay_page_that_slipped_through():
    replay = "https://web.archive.org/web/20210305120000/" + URL
    html = page().replace("<body>", "<body>" + TOOLBAR)
    article = extract(html, replay)
    assert isinstance(article, Article), article
    assert article.url == URL  # the original page, not the archive's URL
    assert article.archive_url == replay
    assert article.captured_at == datetime(2021, 3, 5, 12, 0, tzinfo=UTC)  # from the replay timestamp
    assert "Wayback" not in article.text and "donate" not in article.text


def test_date_printed_next_to_the_headline_beats_a_caption_date():
    html = page().replace(
        '<p class="byline">By Jane Doe and John Roe</p>',
        '<div style="color:#999">FILE PHOTO: the old pier, March 1, 2021. Harbour archive</div><p>March 4, 2021</p>',
    )
    article = extract(html, URL, captured_at=CAPTURED)
    assert isinstance(article, Article), article
    assert (article.published_at, article.date_source) == (datetime(2021, 3, 4, tzinfo=UTC), "headline")


@pytest.mark.parametrize(
    "heading, missing",
    [
        ("404 - Page not found", True),
        ("Error 404", True),
        ("Sorry, we couldn't find that page.", True),
        ("Seite nicht gefunden", True),
        ("The page you are looking for does not exist", True),
        # headlines that merely contain the words
        ("404 people injured in storm", False),
        ("Route 404 reopens after repairs", False),
        ("Missing hiker could not be found", False),
        ("Front page found in attic", False),
    ],
)
def test_soft_404_headings(heading, missing):
    result = extract(
        page(title=heading).replace("<h1>Ferry route approved</h1>", f"<h1>{heading}</h1>"), URL, captured_at=CAPTURED
    )
    assert (isinstance(result, Rejection) and result.reason == "soft_404") is missing, result


def test_short_article_about_approval_is_no_consent_wall():
    # "Zustimmung" (approval) is an everyday word in German news, not a consent banner
    paragraphs = [
        "Der Gemeinderat hat dem Bau der neuen Fähre mit großer Zustimmung zugestimmt, berichtete die Bürgermeisterin am Dienstag.",
        "Die Fähre soll ab dem kommenden Frühjahr zweimal am Tag zwischen dem alten Anleger und der Insel verkehren, im Winter einmal.",
        "Die Kosten von rund vier Millionen Euro teilen sich das Land und die Gemeinde, die Reederei übernimmt den Betrieb für zehn Jahre.",
    ]
    result = extract(page(paragraphs=paragraphs, lang="de"), URL, captured_at=CAPTURED)
    assert isinstance(result, Article), result
    assert result.language == "de"
