"""What the page's markup says about the body's paragraphs: where one paragraph was split
into two by markup (and nowhere else may two be joined again).

The body text comes from trafilatura one block per line; these sets let `text.clean_body`
decide, paragraph by paragraph, what the page's elements were. Pure: a parsed tree in.
"""

from __future__ import annotations

import re

from transforms.text import seam_key


def _text(element) -> str:
    return " ".join(" ".join(element.itertext()).split())


_BREAK = object()


def _pieces(element):
    """The text of an element in order, with `_BREAK` where a <br> stands."""
    if element.text:
        yield element.text
    for child in element:
        if child.tag == "br":
            yield _BREAK
        elif isinstance(child.tag, str):
            yield from _pieces(child)
        if child.tail:
            yield child.tail


def _wrapped_lines(paragraph) -> list[tuple[str, str]]:
    """Pairs of lines of one <p> split by a single <br> (a wrapped line; two <br> in a row
    are a paragraph break the page meant)."""
    lines: list[str] = [""]
    breaks: list[int] = [0]
    for piece in _pieces(paragraph):
        if piece is _BREAK:
            if lines[-1].strip():
                lines.append("")
                breaks.append(1)
            else:
                breaks[-1] += 1
        else:
            lines[-1] += piece
    return [
        (" ".join(before.split()), " ".join(after.split()))
        for before, after, count in zip(lines, lines[1:], breaks[1:], strict=False)
        if count == 1 and before.strip() and after.strip()
    ]


def paragraph_seams(tree) -> frozenset[str]:
    """`seam_key`s of the places where a paragraph split in mid-sentence can come from: two <p>
    that follow each other in one parent with nothing written between them ('... at the
    G8</p><p>talks.'), and a single <br> inside a <p> of running text (a wrapped line). Two
    <br> in a row, list items, table cells, a quote and its attribution are never such a place."""
    seams: set[str] = set()
    texts: dict = {}
    for paragraph in tree.iter("p"):
        if paragraph.find(".//br") is not None and next(paragraph.iterancestors("blockquote", "li"), None) is None:
            seams.update(seam_key(before, after) for before, after in _wrapped_lines(paragraph))
        following = paragraph.getnext()
        while following is not None and not isinstance(following.tag, str):  # comments
            following = following.getnext()
        if following is None or following.tag != "p" or (paragraph.tail or "").strip():
            continue
        before = texts.pop(paragraph, None) or _text(paragraph)
        after = texts[following] = _text(following)
        if before and after:
            seams.add(seam_key(before, after))
    return frozenset(seams)


# A table cell holding this many words of running text is page layout, not a data table.
_CELL_PROSE_WORDS = 120
_LAYOUT_TAGS = frozenset({"table", "thead", "tbody", "tfoot", "tr", "td", "th"})


def unwrap_layout_tables(tree) -> None:
    """Turn the tables a page is laid out with (a cell of running text: old sites put the whole
    article in one) into plain blocks, so their text keeps its paragraphs: a table cell's text
    is read as one row, its <br><br> breaks lost. Data tables (short cells) stay tables."""
    layout: list = []
    for cell in tree.iter("td", "th"):
        text = " ".join(cell.itertext())
        if len(text.split()) >= _CELL_PROSE_WORDS and len(re.findall(r"[.!?。](?:\s|$)", text)) >= 3:
            layout.extend(ancestor for ancestor in cell.iterancestors("table") if ancestor not in layout)
    # Each layout table's own rows and cells (not those of a data table nested in it).
    renamed = [
        element
        for table in layout
        for element in table.iter(*_LAYOUT_TAGS)
        if element is table or next(element.iterancestors("table"), None) is table
    ]
    for element in renamed:
        element.tag = "div"
