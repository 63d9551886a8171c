"""Titles: headline without the outlet's suffix or prefix."""

from __future__ import annotations

import pytest

from transforms.titles import choose_title, strip_outlet, suffix_outlet

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
    assert choose_title(candidates, ["Ferry route approved after long debate"]) == "Ferry route approved after long debate"


def test_choose_title_falls_back_to_structured_then_h1():
    assert choose_title([("json-ld", "Ferry route approved")], ["Latest news"]) == "Ferry route approved"
    assert choose_title([], ["Ferry route approved"]) == "Ferry route approved"
    assert choose_title([], []) is None


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
