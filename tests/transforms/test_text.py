"""Body text: normalisation, broken paragraphs, boilerplate, fingerprints."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.text import (
    clean_body,
    content_hash,
    hamming_distance,
    is_boilerplate,
    join_broken_paragraphs,
    normalize_text,
    simhash,
    word_count,
)


@pytest.mark.parametrize(
    "raw, normal",
    [
        # decomposed accents composed (NFC)
        ("Cafe\u0301", "Café"),
        # non-breaking and odd spaces become one space
        ("a\u00a0\u2009 b", "a b"),
        # control and zero-width characters removed
        ("a\x00b\u200bc\x07", "abc"),
        # line breaks inside a paragraph joined, paragraphs separated by one blank line
        ("one\ntwo\n\n\n\nthree", "one two\n\nthree"),
        # Windows line ends
        ("one\r\n\r\ntwo", "one\n\ntwo"),
        # surrounding whitespace trimmed
        ("  \n one  \n", "one"),
        ("", ""),
    ],
)
def test_normalize_text(raw, normal):
    assert normalize_text(raw) == normal


@pytest.mark.parametrize(
    "paragraphs, joined",
    [
        # the seed's case: a paragraph stopping mid-sentence and a lower-case tail
        (
            ["Medvedev mentioned gas cooperation at the G8", "talks."],
            ["Medvedev mentioned gas cooperation at the G8 talks."],
        ),
        # a long first part continues with a capitalised noun (German)
        (
            ["Bereits im Jahr 2015 hatte es erste Pläne gegeben, die damals jedoch am", "Geld scheiterten."],
            ["Bereits im Jahr 2015 hatte es erste Pläne gegeben, die damals jedoch am Geld scheiterten."],
        ),
        # a subheading (short, no sentence break) stays on its own
        (
            ["What happens next", "The council meets again in May."],
            ["What happens next", "The council meets again in May."],
        ),
        # complete sentences stay apart
        (["The vote passed.", "the mayor was pleased."], ["The vote passed.", "the mayor was pleased."]),
    ],
)
def test_join_broken_paragraphs(paragraphs, joined):
    assert join_broken_paragraphs(paragraphs) == joined


@pytest.mark.parametrize(
    "paragraph, boilerplate",
    [
        ("The views expressed in opinion pieces do not necessarily reflect the position of The Harbour Gazette.", True),
        ("Opinions in reader submissions do not reflect the views of the Herald or its staff.", True),
        ("Hinweis der Redaktion: Leserkommentare geben nicht die Meinung der Redaktion wieder.", True),
        ("Мнение авторов комментариев может не совпадать с позицией редакции.", True),
        ("Sign up for our daily newsletter to get the top stories.", True),
        ("Blick auf den Ortskern. Foto: Archiv", True),  # image caption
        ("We use cookies to improve your experience on our site.", True),  # cookie notice
        ("The baker uses cookies in the recipe.", False),
        ("November 6, 2018 6:20 p.m. ET | Updated 3 hours ago", True),  # dateline
        ("The council said the views of residents would be heard in May.", False),
        ("On May 5, 2020, the harbour reopened after 30 days.", False),
    ],
)
def test_is_boilerplate(paragraph, boilerplate):
    assert is_boilerplate(paragraph) is boilerplate


def test_clean_body_drops_given_lines_and_repeats():
    text = "By Jane Doe\n\nFirst paragraph here.\n\nFirst paragraph here.\n\nSecond one."
    assert clean_body(text, drop_lines=("By Jane Doe",)) == "First paragraph here.\n\nSecond one."


def test_word_count():
    assert word_count("The harbour's new ferry — 12 cars.") == 7


def test_content_hash_ignores_layout_differences():
    assert content_hash("One.\n\nTwo.") == content_hash("One.\r\n\r\n\r\nTwo.  ")
    assert content_hash("One.") != content_hash("Two.")


def test_simhash_is_close_for_near_duplicates_and_far_otherwise():
    base = " ".join(f"word{i} sentence about the harbour ferry number {i}." for i in range(60))
    near = base.replace("word5 ", "word5x ")
    other = " ".join(f"different{i} text on budgets and schools {i * 7}." for i in range(60))
    assert 0 <= simhash(base) < 2**64
    assert simhash(base) == simhash(base)
    assert hamming_distance(simhash(base), simhash(near)) <= 6
    assert hamming_distance(simhash(base), simhash(other)) > 12
    assert simhash("") == 0


@settings(max_examples=400, deadline=None)
@given(st.text())
def test_normalize_text_is_idempotent(text):
    once = normalize_text(text)
    assert normalize_text(once) == once


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40), max_size=8))
def test_clean_body_is_idempotent(paragraphs):
    once = clean_body("\n\n".join(paragraphs))
    assert clean_body(once) == once


@pytest.mark.parametrize(
    "paragraph",
    [
        # news sentences that use the words boilerplate uses
        "Residents can sign up for the scheme at the town hall.",
        "More from the council meeting on Tuesday: the budget passed after a long debate.",
        "The paper lost 5,000 subscriptions last year.",
    ],
)
def test_news_sentences_are_not_boilerplate(paragraph):
    assert not is_boilerplate(paragraph)


@pytest.mark.parametrize(
    "disclaimer",
    [
        "The views expressed in this column do not necessarily reflect those of the paper.",
        "It does not represent the views of the harbour board.",
        "Die Beiträge geben nicht unbedingt die Meinung der Redaktion wieder.",
        "Мнение автора может не совпадать с позицией редакции.",
        "Les propos n’engagent que leurs auteurs.",
        "Las opiniones no reflejan necesariamente las del periódico.",
        "Le opinioni non riflettono necessariamente quelle della testata.",
        "The Quay Post is an independent newsroom.",
        "Comments are pre-moderated.",
        "Alle Rechte vorbehalten.",
        "Все права защищены.",
        "We use cookies to improve the site.",
        "Diese Website verwendet Cookies.",
    ],
)
def test_disclaimers_hold_a_disclaimer_word(disclaimer):
    """The cheap search that gates the disclaimer expression finds every kind of disclaimer."""
    from transforms import text

    assert text._DISCLAIMER.search(disclaimer)
    assert text._DISCLAIMER_WORD.search(disclaimer)
    assert is_boilerplate(disclaimer)
