"""Paragraph structure: the mid-sentence repair joins only what is one sentence split by markup
(two sibling <p>, a line wrapped with one <br>); list items, headings, quotes and their
attribution, footnotes and double <br> keep their breaks; an article laid out in a table cell
keeps its paragraphs. Pages written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime

from transforms import Article, extract
from transforms.text import join_broken_paragraphs, seam_key

CAPTURED = datetime(2022, 6, 1, 12, 0, tzinfo=UTC)
URL = "https://www.tidewater-ledger.example/news/harbour/ferry-timetable-changes"
OPENING = (
    "The harbour board voted on Tuesday to change the winter ferry timetable, moving the first crossing "
    "of the day forty minutes later and adding a late boat on Fridays for the first time in a decade."
)
CLOSING = (
    "The new timetable starts on the first Monday of November, and the board said it would review the "
    "change after one season, once ticket sales and passenger counts for the winter are known."
)


def _page(body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ferry timetable changes</title>'
        '<meta property="og:type" content="article"></head><body><nav><a href="/">Home</a></nav>'
        f"<article><h1>Ferry timetable changes</h1><p>{OPENING}</p>{body}<p>{CLOSING}</p></article></body></html>"
    )


def _paragraphs(body: str) -> list[str]:
    result = extract(_page(body), URL, captured_at=CAPTURED)
    assert isinstance(result, Article), result
    return result.text.split("\n\n")


def test_two_p_elements_splitting_one_sentence_are_joined():
    paragraphs = _paragraphs(
        "<p>Commuters who cross to the mainland for the early shift at the cannery said the later first boat "
        "would leave them waiting on the quay for the</p><p>better part of an hour every morning.</p>"
    )
    assert (
        "Commuters who cross to the mainland for the early shift at the cannery said the later first boat would "
        "leave them waiting on the quay for the better part of an hour every morning."
    ) in paragraphs


def test_a_wrapped_line_is_joined_but_two_line_breaks_are_a_paragraph_break():
    paragraphs = _paragraphs(
        "<p>Timetables are posted at both terminals and at the library on Mill Street, where printed copies<br>"
        "can be collected free of charge.<br><br>The board also sends them to anyone who asks for them by post</p>"
        "<blockquote><p>Ask at the counter for the winter sheet, which lists every crossing and<br>"
        "the fares for cars and bicycles</p></blockquote>"
    )
    assert (
        "Timetables are posted at both terminals and at the library on Mill Street, where printed copies can be "
        "collected free of charge."
    ) in paragraphs
    assert "The board also sends them to anyone who asks for them by post" in paragraphs
    assert not any("crossing and the fares" in paragraph for paragraph in paragraphs)  # lines of a quote


def test_lines_of_a_list_item_are_not_glued_to_each_other():
    # the item's first line is the item's own start; its later lines were glued before
    paragraphs = _paragraphs(
        "<ul><li>Weekday crossings: the first boat leaves at seven<br>and the harbour office opens at half past "
        "six for tickets and<br>the last boat leaves the island at ten at night</li>"
        "<li>Friday crossings: an extra boat leaves the island at half past eleven</li></ul>"
    )
    assert not any("tickets and the last boat" in paragraph for paragraph in paragraphs)


def test_a_quote_and_its_attribution_line_stay_apart():
    paragraphs = _paragraphs(
        "<blockquote><p>Later boats mean a whole evening on the mainland for the first time in years.<br><br>"
        "The shops here will feel it pic.example/ferry</p>— Mara Quill (@maraquill) October 3, 2022</blockquote>"
    )
    assert not any("ferry — Mara" in paragraph or "ferry - Mara" in paragraph for paragraph in paragraphs)


def test_a_footnote_is_not_glued_to_the_paragraph_before_it():
    paragraphs = _paragraphs(
        "<p>Passenger counts come from the board's own survey, which it publishes every spring. Details are at "
        "www.tidewater-board.example</p><p>[1] Passenger survey 2021, Tidewater Harbour Board, page 12.</p>"
    )
    assert paragraphs.count("[1] Passenger survey 2021, Tidewater Harbour Board, page 12.") == 1


def test_a_paragraph_ending_on_an_emoji_is_closed():
    assert join_broken_paragraphs(["We waited two hours for the boat in the rain 🙁", "Never again!"]) == [
        "We waited two hours for the boat in the rain 🙁",
        "Never again!",
    ]


def test_an_attribution_dash_is_not_the_rest_of_a_sentence():
    before = "Later boats mean a whole evening on the mainland for the first time in years pic.example/x"
    after = "— Mara Quill (@maraquill) October 3, 2022"
    assert join_broken_paragraphs([before, after]) == [before, after]


def test_seams_limit_the_repair_to_split_elements():
    before, after = "Commuters said the boat would leave them waiting on the quay for the", "better part of an hour."
    assert join_broken_paragraphs([before, after], seams=frozenset()) == [before, after]
    assert join_broken_paragraphs([before, after], seams=frozenset({seam_key(before, after)})) == [f"{before} {after}"]


def test_an_article_laid_out_in_a_table_cell_keeps_its_paragraphs():
    first = " ".join(["The ferry crossed the bay twice a day through the long storm, and the crew kept a log."] * 5)
    second = " ".join(["Passengers on the late boat said the crossing was rough but on time every evening."] * 5)
    third = " ".join(["The board thanked the crew at its meeting and promised new lifejackets for the winter."] * 5)
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Storm crossings</title></head><body>'
        '<table><tr><td><a href="/">Home</a><br><a href="/news/">News</a></td><td>'
        f"<b>Storm crossings</b><br><br>{first}<br><br>{second}<br><br>{third}</td></tr></table></body></html>"
    )
    result = extract(page, URL, captured_at=CAPTURED)
    assert isinstance(result, Article), result
    paragraphs = result.text.split("\n\n")
    assert first in paragraphs and second in paragraphs and third in paragraphs


def test_a_long_run_of_continuing_blocks_becomes_one_paragraph_and_stops_at_a_full_stop():
    # 600 blocks that each continue the one before (never-closed inline tags write pages so):
    # read past the end of what the joining tests look at (the last 2,000 characters).
    blocks = [f"part {n} of the sentence goes on and" for n in range(600)]
    ended = [*blocks[:-1], blocks[-1] + " ends here.", "A new paragraph starts."]
    assert join_broken_paragraphs(ended) == [" ".join(ended[:-1]), "A new paragraph starts."]
