"""Bylines: what is not a person never becomes an author (months, interface words, outlet
names, handles and logins next to the name, labels, placeholders, site credits, roles), and
bylines written in ways the page metadata does not mark are still found. Pages and names
written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from transforms import Article, extract
from transforms.authors import clean_authors

OUTLETS = ("The Tidewater Ledger", "tidewater-ledger.example")
CAPTURED = datetime(2022, 6, 1, 12, 0, tzinfo=UTC)
BODY = "".join(
    f"<p>{sentence}</p>"
    for sentence in (
        "The harbour board voted on Tuesday to change the winter ferry timetable, moving the first crossing of the day forty minutes later.",
        "Commuters who cross to the mainland for the early shift at the cannery said the change would leave them waiting on the quay.",
        "The board said it would review the change after one season, once ticket sales and passenger counts for the winter are known.",
    )
)


@pytest.mark.parametrize(
    "raw, names",
    [
        # a month left over from a date next to the byline
        (["By Mara Quill, Aug."], ("Mara Quill",)),
        (["Nov"], ()),
        # interface words read as a name, alone or after it
        (["Last"], ()),
        (["Sign In"], ()),
        (["version"], ()),
        (["Mara Quill Last Updated"], ("Mara Quill",)),
        (["Mara Quill Sign In"], ("Mara Quill",)),
        # the outlet's own name, also with other accents or after a byline word of another language
        (["By Mara Quill", "The Tidewater Ledger"], ("Mara Quill",)),
        (["Tidewater Lédger"], ()),
        (["Nga Tidewater Ledger"], ()),
        (["Redazione The Tidewater Ledger"], ()),
        # a handle and a CMS login next to the person: the same person
        (["Mara Quill @mquill"], ("Mara Quill",)),
        (["Mara Quill", "mquill"], ("Mara Quill",)),
        # East Asian byline labels
        (["作者：王小明"], ("王小明",)),
        (["记者 王小明"], ("王小明",)),
        # a template's placeholder where a name should be
        (["link78"], ()),
        (["user_204"], ()),
        # who built the site is not who wrote the page
        (["Hecho en Tidewater con Drupal por Estudio Norte"], ()),
        (["Powered by WordPress"], ()),
        # a profession written before the name
        (["Rechtsanwalt Tobias Fenn"], ("Tobias Fenn",)),
        (["Reporter: Mara Quill"], ("Mara Quill",)),
        # a login with digits is still someone's identity
        (["ferryfan1984"], ("ferryfan1984",)),
    ],
)
def test_not_a_person_is_never_an_author(raw, names):
    assert clean_authors(raw, OUTLETS) == names


def _page(byline: str, head: str = "") -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ferry timetable changes</title>'
        f'<meta property="og:type" content="article">{head}</head><body><nav><a href="/">Home</a></nav>'
        f"<article><h1>Ferry timetable changes</h1>{byline}{BODY}</article></body></html>"
    )


def test_a_byline_marked_by_a_longer_class_name_is_read():
    page = _page('<div class="gallery--page-meta--author">Posted on May 3, 2022 by Mara Quill</div>')
    result = extract(page, "https://www.tidewater-ledger.example/news/ferry-timetable", captured_at=CAPTURED)
    assert isinstance(result, Article) and result.authors == ("Mara Quill",)


def test_an_author_box_with_a_biography_is_not_a_byline():
    page = _page('<div class="post-author-bio">Tidewater Ledger: news from the harbour since 1890</div>')
    result = extract(page, "https://www.tidewater-ledger.example/news/ferry-timetable", captured_at=CAPTURED)
    assert isinstance(result, Article) and result.authors == ()


def test_a_blog_owners_login_on_a_shared_host_is_the_author():
    # On jdoe.blogs.example the blog's name is its owner's login: the byline that gives it names
    # the person, not the outlet (on the outlet's own domain, the same word would be the outlet).
    page = _page('<span class="byline"><a href="/author/ferryfan/">ferryfan</a></span>')
    result = extract(page, "https://ferryfan.blogs.example/2022/05/03/ferry-timetable/", captured_at=CAPTURED)
    assert isinstance(result, Article) and result.authors == ("ferryfan",)
    result = extract(page, "https://www.ferryfan.example/2022/05/03/ferry-timetable/", captured_at=CAPTURED)
    assert isinstance(result, Article) and result.authors == ()


def test_a_meta_author_that_the_generator_tag_names_built_the_site():
    head = '<meta name="author" content="Nordwerk"><meta name="generator" content="HarbourCMS powered by Nordwerk">'
    page = _page('<p class="byline">By Mara Quill</p>', head)
    result = extract(page, "https://www.tidewater-ledger.example/news/ferry-timetable", captured_at=CAPTURED)
    assert isinstance(result, Article) and result.authors == ("Mara Quill",)
