"""Titles as rules of how pages are written (issue 12), on pages written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.transforms.pages import ARTICLE_BODY
from transforms import Article, extract
from transforms.titles import choose_title, strip_outlet, suffix_outlet


def article(head: str, body: str, url: str) -> Article:
    html = f"<html><head>{head}</head><body>{body}<article>{ARTICLE_BODY}</article></body></html>"
    result = extract(html, url, captured_at=datetime(2024, 1, 1, tzinfo=UTC))
    assert isinstance(result, Article), result
    return result


def test_of_several_h1_pieces_of_the_title_the_longest_is_the_headline():
    # the site, the section and the article each have an <h1>
    title = "Hafenamt online - Fachmeldungen - Neue Liegeplatzordnung für den Nordkai"
    h1s = ["Hafenamt", "Fachmeldungen", "Neue Liegeplatzordnung für den Nordkai"]
    assert choose_title([("title", title)], h1s) == "Neue Liegeplatzordnung für den Nordkai"


def test_a_title_led_by_the_sites_host_name_keeps_only_the_headline():
    title = "quaynotes.example » Blog Archiv » North quay wall to be repaired"
    result = article(f"<title>{title}</title>", "<h1>quaynotes.example</h1>", "https://quaynotes.example/2021/wall")
    assert result.title == "North quay wall to be repaired"
    assert result.publication != "North quay wall to be repaired"


def test_suffix_outlet_is_not_read_from_a_title_led_by_a_host_name():
    assert suffix_outlet("quaynotes.example » Blog Archiv » Wall repaired") is None
    assert suffix_outlet("North quay wall to be repaired | Quay Notes") == "Quay Notes"


def test_breadcrumb_after_a_leading_outlet_is_dropped_but_a_short_headline_stays():
    names = ("Quay Notes",)
    assert strip_outlet("Quay Notes » News » North quay wall to be repaired", names) == "North quay wall to be repaired"
    # without a leading outlet nothing is taken for a breadcrumb
    assert (
        strip_outlet("Storm warning: North quay closed to traffic", names)
        == "Storm warning: North quay closed to traffic"
    )


def test_an_h1_for_screen_readers_only_is_not_the_headline():
    # og:title and <title> carry the headline; the page's only other <h1> is a hidden label
    head = (
        "<title>Nordkai wird vor dem Winter repariert - Hafenblatt</title>"
        '<meta property="og:title" content="Nordkai wird vor dem Winter repariert - Hafenblatt">'
    )
    body = '<h1 class="page_ttl is_blind">기사 상세</h1><h1 class="logo"><span>Hafenblatt</span></h1>'
    result = article(head, body, "https://www.hafenblatt.example/news/society/9419376")
    assert result.title == "Nordkai wird vor dem Winter repariert"


def test_a_title_moved_into_the_body_by_text_before_the_html_is_still_the_title():
    # a server printed its warnings before <html>: the parser puts the head's <title> in the body
    warnings = "<br />\n<b>Warning</b>: deprecated call in <b>/www/site/db.php</b> on line <b>56</b><br />\n"
    html = (
        f"{warnings}<html><head><title>North quay wall to be repaired before winter</title></head>"
        f"<body><div class='nav'>Harbour news</div><article>{ARTICLE_BODY}</article></body></html>"
    )
    result = extract(html, "https://quaynotes.example/north-quay-wall.html")
    assert isinstance(result, Article), result
    assert result.title == "North quay wall to be repaired before winter"


def test_an_svg_title_is_never_the_pages_title():
    html = (
        "<html><body><svg><title>Share icon</title><path d='M0 0'/></svg>"
        f"<article>{ARTICLE_BODY}</article></body></html>"
    )
    result = extract(html, "https://quaynotes.example/north-quay-wall.html")
    assert isinstance(result, Article), result
    assert result.title != "Share icon"


def test_styles_written_into_the_headline_are_not_its_text():
    # a CSS-in-JS framework writes <style> elements inside the <h1>, before a label and the headline
    head = (
        '<title>North quay wall to be repaired before winter</title><meta property="og:title" content="Press releases">'
    )
    body = (
        "<h1><style>.css-x1{font-size:16px;font-weight:400;line-height:1.0625;color:#707070;margin-bottom:12px;"
        "display:block;}</style><span class='css-x1'>Press release of the harbour board</span><style>.css-y2{"
        "border:0;clip:rect(0 0 0 0);height:1px;margin:-1px;overflow:hidden;padding:0;position:absolute;"
        "white-space:nowrap;width:1px;}</style><span class='css-y2'>:</span>"
        "North quay wall to be repaired before winter</h1>"
    )
    result = article(head, body, "https://www.harbour.example/press/releases.html?id=c3aa546f")
    assert result.title == "North quay wall to be repaired before winter"
    assert "font-size" not in result.title
