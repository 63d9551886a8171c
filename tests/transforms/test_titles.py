"""Titles: headline without the outlet's suffix or prefix."""

from __future__ import annotations

import pytest

from transforms.titles import choose_title, drop_short_tail, strip_outlet, suffix_outlet

OUTLETS = ("The Harbour Gazette",)


@pytest.mark.parametrize(
    "raw, title",
    [
        # " | Outlet" suffix
        ("Ferry route approved | The Harbour Gazette", "Ferry route approved"),
        # " - Outlet" suffix, outlet written without "The"
        ("Ferry route approved - Harbour Gazette", "Ferry route approved"),
        # prefix form
        ("The Harbour Gazette: Ferry route approved", "The Harbour Gazette: Ferry route approved"),
        ("The Harbour Gazette | Ferry route approved", "Ferry route approved"),
        # the domain as suffix
        ("Ferry route approved – harbour-gazette.co.uk", "Ferry route approved"),
        # a dash inside the headline stays
        ("Hund vertreibt Einbrecher – Zeugenaufruf", "Hund vertreibt Einbrecher – Zeugenaufruf"),
        # a colon inside the headline stays
        ("JSON parsing: fast vs. slow", "JSON parsing: fast vs. slow"),
        # several trailing parts: section and outlet
        ("Ferry route approved | Local | The Harbour Gazette", "Ferry route approved | Local"),
        # whitespace collapsed
        ("  Ferry   route\napproved ", "Ferry route approved"),
    ],
)
def test_strip_outlet(raw, title):
    assert strip_outlet(raw, OUTLETS, "harbour-gazette.co.uk") == title


def test_choose_title_prefers_the_h1_inside_a_longer_title():
    candidates = [("title", "Ferry route approved after long debate - Local News - Some Site")]
    assert (
        choose_title(candidates, ["Ferry route approved after long debate"]) == "Ferry route approved after long debate"
    )


def test_choose_title_falls_back_to_structured_then_h1():
    # navigation headings and the outlet's own name are not headlines
    assert (
        choose_title([("json-ld", "Ferry route approved")], ["Navigation", "The Harbour Gazette"], OUTLETS)
        == "Ferry route approved"
    )
    assert choose_title([], ["Ferry route approved"]) == "Ferry route approved"
    assert choose_title([], []) is None


def test_choose_title_prefers_the_shown_headline():
    # the <h1> as shown, where the declared title differs only in punctuation
    assert choose_title([("meta", "Editor's letter: bye")], ["Editor’s letter: bye"]) == "Editor’s letter: bye"
    # a lone <h1> over an SEO variant in og:title
    assert choose_title(
        [("meta", "Ferry route: all you need to know")], ["Ferry route approved after long debate"]
    ) == ("Ferry route approved after long debate")
    # an <h1> with a kicker in front: the declared title
    assert choose_title([("meta", "Ferry route approved")], ["Harbour Ferry route approved"]) == "Ferry route approved"
    # the blog's name in the first <h1>, the post title in the second
    assert (
        choose_title([("meta", "Need for speed")], ["Harbour Diary", "Need for speed"], ("Harbour Diary",))
        == "Need for speed"
    )


@pytest.mark.parametrize(
    "raw, outlet",
    [
        ("Ferry route approved | The Harbour Gazette", "The Harbour Gazette"),
        ("Ferry route approved", None),
        ("Ferry route approved - and then something happened in the town.", None),
    ],
)
def test_suffix_outlet(raw, outlet):
    assert suffix_outlet(raw) == outlet


@pytest.mark.parametrize(
    "title, headline",
    [
        # forum and section names after bars
        ("No app store over mobile data with iOS 13? | iPhone | Forum", "No app store over mobile data with iOS 13?"),
        # a press office name after a hyphen
        ("Club sets the course for the future - Club Press", "Club sets the course for the future"),
        # an en dash belongs to the headline
        ("Dog scares off burglar at night – police appeal", "Dog scares off burglar at night – police appeal"),
        # a short head keeps its tail (it may be 'Kicker | Headline')
        ("Brexit | What happens next", "Brexit | What happens next"),
        # a long tail is part of the headline
        (
            "Council votes on plan - and residents are not happy about it",
            "Council votes on plan - and residents are not happy about it",
        ),
    ],
)
def test_drop_short_tail(title, headline):
    assert drop_short_tail(title) == headline
