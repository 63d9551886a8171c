"""trafilatura's byline fallback without the whole-page prune gives trafilatura's own answer:
bylines inside discarded parts (comments, sidebars, dates, figures) are skipped, a byline with a
discarded part inside it is read from the pruned page. Pages written for these tests."""

from __future__ import annotations

import pytest
from trafilatura.utils import load_html

from transforms import byline_fallback
from transforms.byline_fallback import trafilatura_byline

ARTICLE = "<p>" + "The ferry timetable changes on Monday for the winter season. " * 4 + "</p>"


def _page(inside: str) -> str:
    return (
        f"<html><head><title>Ferry</title></head><body><article><h1>Ferry</h1>{inside}{ARTICLE}</article></body></html>"
    )


PAGES = {
    "plain byline": _page('<div class="author">Mara Quill</div>'),
    "no byline": _page("<p>Harbour news</p>"),
    "byline in a sidebar, then the real one": _page(
        '<aside><div class="sidebar"><span class="author">Sidebar Writer</span></div></aside>'
        '<span class="author-name">Mara Quill</span>'
    ),
    "byline in the comments": _page(
        '<div id="comments"><p class="author">Commenter Name</p></div><a rel="author">Mara Quill</a>'
    ),
    "byline inside a figure": _page('<figure><span class="author">Photo Credit</span></figure>'),
    "date inside the byline": _page('<p class="byline">By Mara Quill <time>May 3, 2021</time> in Harbour</p>'),
    "discarded date class inside": _page(
        '<div class="post-author">Mara Quill<span class="date">3 May</span>, harbour desk</div>'
    ),
    "too long, then the generic one": _page(
        '<div class="author">' + "word " * 40 + '</div><h4 class="posted-by">Mara Quill</h4>'
    ),
    "element named rel": _page("<div><rel>me</rel>Mara Quill</div>"),
}


@pytest.mark.parametrize("name", sorted(PAGES))
def test_same_answer_as_pruning_the_page(name: str) -> None:
    html = PAGES[name]
    expected = byline_fallback._pruned_byline(load_html(html), 120)
    assert trafilatura_byline(load_html(html), 120) == expected


def test_finds_the_byline_outside_discarded_parts() -> None:
    assert trafilatura_byline(load_html(PAGES["byline in a sidebar, then the real one"])) == "Mara Quill"
    assert trafilatura_byline(load_html(PAGES["byline in the comments"])) == "Mara Quill"
    assert trafilatura_byline(load_html(PAGES["byline inside a figure"])) is None
    assert trafilatura_byline(load_html(PAGES["no byline"])) is None


def test_prunes_only_when_a_byline_holds_a_discarded_part(monkeypatch: pytest.MonkeyPatch) -> None:
    pruned: list[str] = []
    original = byline_fallback._pruned_byline

    def counting(tree, len_limit):
        pruned.append("pruned")
        return original(tree, len_limit)

    monkeypatch.setattr(byline_fallback, "_pruned_byline", counting)
    assert trafilatura_byline(load_html(PAGES["plain byline"])) == "Mara Quill"
    assert pruned == []
    assert trafilatura_byline(load_html(PAGES["date inside the byline"])) == "By Mara Quill in Harbour"
    assert pruned == ["pruned"]


# Elements each of trafilatura's author expressions tests for, and near misses (other tags,
# other case, the attribute on a parent), written for this test.
MARKUP = "".join(
    (
        '<div class="author">Jane Doe</div><section class="author">not this tag</section>',
        '<span class="post-authorname">A</span><p class="author-name x">B</p><strong class="AuthorName">C</strong>',
        '<a class="authorName">D</a><a class="Author-Name">not this case</a><link rel="author" href="/a">',
        '<address id="author">E</address><p id="authors">F</p><span itemprop="author name">G</span>',
        '<span itemprop="author">H</span><div data-testid="AuthorCard">I</div><div data-testid="AuthorURL">J</div>',
        "<div><rel>me</rel>K</div><p><rel>you</rel>L</p><author>M</author>",
        '<h3 class="byline">N</h3><h4 class="username">O</h4><span class="byl">P</span><p class="BBL">Q</p>',
        '<div class="channel-name">R</div><span class="zuozhe">S</span><p id="bianji">T</p><a id="xiaobian">U</a>',
        '<div class="submitted-by">V</div><div class="posted-by">W</div><span class="journalist-name">X</span>',
        '<h2 class="author">not this tag</h2><li class="author">nor this</li><div class="by-line">Y</div>',
        '<div class="author"><span class="author">nested</span></div>',
    )
)


def test_byline_expressions_select_what_trafilaturas_select() -> None:
    from trafilatura.xpaths import AUTHOR_XPATHS

    tree = load_html(_page(MARKUP))
    for ours, theirs in zip(byline_fallback.BYLINE_XPATHS, AUTHOR_XPATHS[:2], strict=True):
        assert ours is not theirs  # the faster expressions are in use for trafilatura 2.3
        assert ours(tree) == theirs(tree)
        assert len(ours(tree)) >= 8
