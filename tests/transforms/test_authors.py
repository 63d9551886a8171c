"""Authors: clean person names from bylines and metadata."""

from __future__ import annotations

import pytest

from transforms.authors import byline_in_text, clean_authors

OUTLETS = ("The Harbour Gazette", "harbour-gazette.co.uk")


@pytest.mark.parametrize(
    "raw, names",
    [
        # "By" prefix and "and"
        (["By Jane Doe and John Roe"], ("Jane Doe", "John Roe")),
        # German "Von" and "und"
        (["Von Anna Schmidt und Karl Weber"], ("Anna Schmidt", "Karl Weber")),
        # a ";"-joined string
        (["Jane Doe; John Roe"], ("Jane Doe", "John Roe")),
        # commas and a final "&"
        (["Jane Doe, John Roe & Ann Lee"], ("Jane Doe", "John Roe", "Ann Lee")),
        # e-mail after a bar
        (["By Jane Doe | jane.doe@example.com"], ("Jane Doe",)),
        # role after the name, name in capitals
        (["By JANE DOE, Staff Reporter"], ("Jane Doe",)),
        # Markdown placeholder link from a bad converter
        (["By [Jane Doe](#)"], ("Jane Doe",)),
        # the outlet's name is not an author
        (["The Harbour Gazette"], ()),
        # agency and desk names are not people
        (["Reuters", "Staff", "Newsroom"], ()),
        # twitter handle dropped
        (["Jane Doe @janedoe"], ("Jane Doe",)),
        # duplicates across sources collapse, order kept
        (["Jane Doe", "jane doe", "John Roe"], ("Jane Doe", "John Roe")),
        # dates and numbers are not names
        (["Updated 12 May 2020"], ()),
        # Cyrillic "Автор:" prefix
        (["Автор: Николай Ветров"], ("Николай Ветров",)),
        # inverted "Doe, Jane"
        (["Doe, Jane"], ("Jane Doe",)),
        # date first, then "by"
        (["Posted on September 21, 2020 by Adi Tzlil"], ("Adi Tzlil",)),
        # a login with digits is the author's identity; a date is not
        (["freeman1984"], ("freeman1984",)),
        # a login written first.last
        (["robert.stitz"], ("Robert Stitz",)),
        # labels after the name
        (["Johanna Kropfitsch Alle Artikel"], ("Johanna Kropfitsch",)),
        # a list of categories is no byline
        (["CSP, International, Photovoltaik, Speicher"], ()),
        # roles before the colon
        (["Text und Interview: Harald Willenbrock"], ("Harald Willenbrock",)),
        # nothing
        ([""], ()),
    ],
)
def test_clean_authors(raw, names):
    assert clean_authors(raw, OUTLETS) == names


@pytest.mark.parametrize(
    "paragraph, byline",
    [
        ("von Daniela Obers", "von Daniela Obers"),
        ("By Jane Doe and John Roe", "By Jane Doe and John Roe"),
        ("Autorin: Uta Staschewski, Projektleiterin Länderanalysen", "Autorin: Uta Staschewski"),
        ("By the end of the day the bridge was open again.", None),  # a sentence, not a byline
    ],
)
def test_byline_in_text(paragraph, byline):
    assert byline_in_text(paragraph) == byline
