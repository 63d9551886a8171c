"""Reading what a page declares: JSON-LD (with @graph), meta tags, headings, bylines, times."""

from __future__ import annotations

import pytest
from lxml import html as lxml_html

from transforms.meta import headline_text, read_page_meta

PAGE = """<html lang="de"><head><title>Fähre | Hafenblatt</title>
<meta property="og:title" content="Fähre fährt wieder">
<meta name="author" content="Anna Schmidt">
<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
  {"@type": "WebSite", "name": "Hafenblatt"},
  {"@type": ["NewsArticle"], "headline": "Fähre fährt wieder", "datePublished": "2021-03-04T09:30:00+01:00",}
]}</script>
<script type="application/ld+json">not json at all</script>
<link rel="canonical" href="https://hafenblatt.example/faehre">
</head><body><h1><span class="kicker">Verkehr</span> Fähre fährt wieder</h1>
<p class="byline">Von Anna Schmidt</p><time datetime="2021-03-04T09:30:00+01:00">4. März</time>
<span itemprop="author" itemscope><span itemprop="name">Anna Schmidt</span></span></body></html>"""


def test_read_page_meta():
    page = read_page_meta(lxml_html.fromstring(PAGE))
    assert page.html_lang == "de"
    assert page.title_tag == "Fähre | Hafenblatt"
    assert page.first("og:title") == "Fähre fährt wieder"
    assert page.all("author") == ["Anna Schmidt"]
    # @graph flattened, trailing comma repaired, broken JSON skipped
    assert [obj.get("@type") for obj in page.json_ld] == [None, "WebSite", ["NewsArticle"]]
    assert page.ld_values("headline") == ["Fähre fährt wieder"]
    assert page.canonical_url == "https://hafenblatt.example/faehre"
    assert page.h1_texts == ["Fähre fährt wieder"]  # kicker dropped
    assert page.byline_texts == ["Von Anna Schmidt"]
    assert page.itemprop_authors == ["Anna Schmidt"]
    assert page.time_values == [("time", "2021-03-04T09:30:00+01:00")]


@pytest.mark.parametrize(
    "markup, text",
    [
        # kicker span with a hidden separator
        (
            '<h1><span class="kicker">Corona</span><span class="visually-hidden"> - </span><span>Headline here</span></h1>',
            "Headline here",
        ),
        # kicker span followed by bare text
        ('<h1><span class="dachzeile">Paris</span> Drinks by boat <b>downtown</b></h1>', "Drinks by boat downtown"),
        # no kicker: the whole heading
        ("<h1>Plain <em>headline</em> text</h1>", "Plain headline text"),
    ],
)
def test_headline_text(markup, text):
    assert headline_text(lxml_html.fragment_fromstring(markup)) == text
