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
