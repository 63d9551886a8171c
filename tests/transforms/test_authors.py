"""Authors: clean person names from bylines and metadata."""

from __future__ import annotations

import pytest

from transforms.authors import clean_authors

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
        # nothing
        ([""], ()),
    ],
)
def test_clean_authors(raw, names):
    assert clean_authors(raw, OUTLETS) == names
