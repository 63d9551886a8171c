"""Language detection with the declared language as tie-break."""

from __future__ import annotations

import pytest

from transforms.language import declared_language, detect_language

ENGLISH = "The council voted on Tuesday to open a new ferry route between the old pier and the island. " * 3
GERMAN = "Der Gemeinderat hat am Dienstag beschlossen, eine neue Fährverbindung zur Insel einzurichten. " * 3
RUSSIAN = "Совет депутатов во вторник решил открыть новую паромную линию между старым причалом и островом. " * 3


@pytest.mark.parametrize(
    "text, declared, language",
    [
        (ENGLISH, None, "en"),
        (GERMAN, None, "de"),
        (RUSSIAN, None, "ru"),
        # clear text beats a wrong declaration
        (GERMAN, "en-US", "de"),
        # too little text: the declaration decides
        ("OK", "fr-FR", "fr"),
        ("", None, None),
    ],
)
def test_detect_language(text, declared, language):
    assert detect_language(text, declared) == language


@pytest.mark.parametrize(
    "value, code", [("en-GB", "en"), ("de_DE", "de"), ("RU", "ru"), ("english", None), (None, None)]
)
def test_declared_language(value, code):
    assert declared_language(value) == code
