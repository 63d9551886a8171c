"""Outlet names are names: not the page's description, not a tagline, not the web designer's
credit (issue 12), on values and pages written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.transforms.pages import ARTICLE_BODY
from transforms import Article, extract
from transforms.publications import clean_publication


@pytest.mark.parametrize(
    "value, domain, name",
    [
        ("The Quay Gazette", "quay-gazette.example", "The Quay Gazette"),
        # a tagline after the name
        ("Quay Gazette | News, weather and tides for the north shore", "quay-gazette.example", "Quay Gazette"),
        ("Kettlewick Bote – Das Portal für den ganzen Landkreis", "bote-online.example", "Kettlewick Bote"),
        # the piece that spells the domain, wherever it stands
        ("Ferry keeps winter timetable | The Quay Gazette", "quaygazette.example", "The Quay Gazette"),
        ("Ein Blog über Boote und Häfen • Hafenblick", "hafenblick.example", "Hafenblick"),
        # a description is no name
        ("News, sport and weather from the north shore, updated every hour of the day.", "x.example", None),
        ("Die Nachrichten aus dem Landkreis und der ganzen Region.", "x.example", None),
        # a credit for whoever built the site
        ("Website by Pixelgarten", "quay-gazette.example", None),
        ("Webdesign: Studio Nordlicht", "quay-gazette.example", None),
        ("Powered by WordPress", "quay-gazette.example", None),
        ("Webdesign", "quay-gazette.example", None),
        # names that merely start like a credit, or carry a legal form, stay
        ("Design Harbour Weekly", "design-harbour.example", "Design Harbour Weekly"),
        ("Hafenverein Kettlewick e.V.", "hafenverein.example", "Hafenverein Kettlewick e.V."),
        # a host name as the name: without its www.
        ("www.quay-gazette.example", "quay-gazette.example", "quay-gazette.example"),
        ("WWW.Quay-Gazette.example", "quay-gazette.example", "Quay-Gazette.example"),
    ],
)
def test_clean_publication(value, domain, name):
    assert clean_publication(value, domain) == name


def test_the_outlet_is_not_the_description_or_the_designer():
    html = (
        "<html><head><title>North quay wall to be repaired</title>"
        '<meta name="publisher" content="News, sport and weather from the north shore, updated every hour.">'
        '<meta property="og:site_name" content="Quay Gazette | News, weather and tides for the north shore">'
        '<meta name="description" content="News, sport and weather from the north shore, updated every hour.">'
        "</head><body><article><h1>North quay wall to be repaired</h1>" + ARTICLE_BODY + "</article>"
        "<footer><p>Website by Pixelgarten</p></footer></body></html>"
    )
    result = extract(
        html, "https://www.quay-gazette.example/news/quay-wall", captured_at=datetime(2024, 1, 1, tzinfo=UTC)
    )
    assert isinstance(result, Article)
    assert result.publication == "Quay Gazette"
