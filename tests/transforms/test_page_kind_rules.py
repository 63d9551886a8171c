"""Pages that are not articles are rejected with a reason (shop pages selling one thing, policy
and account pages, lyrics, test pages, navigation-only pages), and what is not article text
at the head of the body is left out (section labels with dates, label-only lines, skip links).
Pages written for these tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from transforms import Article, Rejection, extract

CAPTURED = datetime(2022, 6, 1, 12, 0, tzinfo=UTC)
URL = "https://www.tidewater-ledger.example/news/harbour/ferry-timetable-changes"
PROSE = [
    "The harbour board voted on Tuesday to change the winter ferry timetable, moving the first crossing of the day forty minutes later.",
    "Commuters who cross to the mainland for the early shift at the cannery said the change would leave them waiting on the quay.",
    "The board said it would review the change after one season, once ticket sales and passenger counts for the winter are known.",
]
NAV = (
    '<nav><a href="/">Home</a> <a href="/news/">News</a> <a href="/news/harbour/">Harbour</a> '
    '<a href="/sport/">Sport</a></nav>'
)


def _page(heading: str, body: str, head: str = "", title: str | None = None) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title or heading} | Tidewater Ledger'
        f"</title>{head}</head><body>{NAV}<main><h1>{heading}</h1>{body}</main></body></html>"
    )


def _prose(items=PROSE) -> str:
    return "".join(f"<p>{item}</p>" for item in items)


def _rejected(page: str, url: str = URL) -> Rejection:
    result = extract(page, url, captured_at=CAPTURED)
    assert isinstance(result, Rejection), result
    assert result.reason == "not_article"
    return result


def test_a_shop_page_with_one_cart_button_and_a_price_is_rejected():
    result = _rejected(
        _page(
            "Brass harbour lantern",
            _prose(
                [
                    "Cast in solid brass and finished by hand in our workshop on the south quay, this lantern holds one candle.",
                    "It stands thirty centimetres tall with its handle folded and ships within three working days of your order.",
                    "Every lantern is tested outdoors for a week before it leaves the workshop, in all the weather the bay can offer.",
                ]
            )
            + '<div class="product-price">€49.00</div><button class="btn add-to-cart">Add to cart</button>',
        ),
        "https://shop.tidewater-ledger.example/lanterns/brass",
    )
    assert "cart" in result.detail


def test_a_cart_button_is_read_by_its_label_not_the_product_id_it_sends():
    result = _rejected(
        _page(
            "Oak tide clock",
            _prose(
                [
                    "Turned from a single piece of oak felled on the north shore, this clock shows the tide instead of the hour.",
                    "Set it once at high water and it keeps the bay's rhythm for a year on one battery, indoors or under a porch.",
                    "Each clock is numbered and signed by the turner, and comes in a box made from the offcuts of the same tree.",
                ]
            )
            + '<span class="price">€85.00</span><button name="product" value="40127">Add to cart</button>',
        ),
        "https://shop.tidewater-ledger.example/clocks/oak",
    )
    assert "cart" in result.detail


@pytest.mark.parametrize(
    "heading", ["Privacy Policy", "Terms of Service", "Impressum", "Datenschutzerklärung", "Contact us", "Subscribe"]
)
def test_policy_contact_and_account_pages_are_rejected(heading):
    result = _rejected(_page(heading, _prose()), "https://www.tidewater-ledger.example/legal/page")
    assert "policy" in result.detail


def test_an_article_about_a_privacy_policy_is_kept():
    page = _page("Privacy policy changes anger ferry passengers", _prose())
    assert isinstance(extract(page, URL, captured_at=CAPTURED), Article)


def test_a_lyrics_page_is_rejected():
    lines = [
        "Down by the harbour where the grey gulls fly",
        "The morning ferry sings a lullaby",
        "Rope and timber, salt and tar",
        "Carry me home to where you are",
    ] * 3
    page = _page("Harbour Lullaby Lyrics", "<p>" + "<br><br>".join(lines) + "</p>", title="Harbour Lullaby Lyrics")
    assert "lyrics" in _rejected(page, "https://www.tidewater-songs.example/harbour-lullaby-lyrics").detail


def test_a_news_story_about_lyrics_is_kept():
    page = _page("Ferry song lyrics spark a row at the harbour festival", _prose())
    assert isinstance(extract(page, URL, captured_at=CAPTURED), Article)


@pytest.mark.parametrize(
    "heading, first",
    [
        ("Test page", PROSE[0]),
        ("Hello world!", PROSE[0]),
        ("Ferry notes", "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt."),
    ],
)
def test_test_and_placeholder_pages_are_rejected(heading, first):
    result = _rejected(_page(heading, _prose([first, *PROSE[1:]])), "https://www.tidewater-ledger.example/p/1")
    assert "placeholder" in result.detail


def test_a_page_whose_text_is_its_navigation_is_rejected():
    headlines = [
        "Ferry timetable changes for the winter season",
        "Harbour board approves new lifejackets for the crew",
        "Cannery shift workers ask for a later first boat",
        "Storm closes the north quay for a second day",
        "Lifeboat station hosts the town meeting on Friday",
        "Library on Mill Street extends its opening hours",
    ]
    # one block of text, as a page renders its "more news" and "latest" boxes when the story
    # itself is loaded by a script: the headlines run together with their times
    links = " ".join(f'{17 - n}:{n}5 <a href="/news/{n}">{h}</a>' for n, h in enumerate(headlines))
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Ferry story | Tidewater Ledger</title>'
        '<meta property="og:type" content="article"></head><body><main><h1>Ferry story</h1>'
        f"<div>More harbour news {links} Latest {links}</div></main></body></html>"
    )
    assert "links" in _rejected(page).detail


def test_an_article_with_links_in_its_prose_is_kept():
    body = (
        "".join(f"<p>{sentence.replace('ferry', '<a href=/ferry>ferry</a>', 1)}</p>" for sentence in PROSE)
        + '<p>Read more: <a href="/news/1">Harbour board approves new lifejackets for the crew</a></p>'
    )
    assert isinstance(extract(_page("Ferry timetable changes", body), URL, captured_at=CAPTURED), Article)


def _text(body: str) -> list[str]:
    result = extract(_page("Ferry timetable changes", body), URL, captured_at=CAPTURED)
    assert isinstance(result, Article), result
    return result.text.split("\n\n")


def test_a_section_label_with_its_date_at_the_head_of_the_body_is_dropped():
    paragraphs = _text('<p><a href="/news/harbour/">Harbour</a> 2022-05-30 20:36:00</p>' + _prose())
    assert paragraphs[0] == PROSE[0]


def test_a_line_of_labels_without_values_is_dropped():
    paragraphs = _text("<p>Issued on: Modified:</p>" + _prose())
    assert paragraphs == PROSE


def test_a_skip_link_label_is_dropped():
    paragraphs = _text("<p>Main Content</p>" + _prose())
    assert paragraphs == PROSE


def test_a_short_first_paragraph_that_is_not_a_link_is_kept():
    paragraphs = _text("<p>Harbour news in brief</p>" + _prose())
    assert paragraphs[0] == "Harbour news in brief"


def _website(heading: str, extra_head: str = "") -> str:
    head = '<meta property="og:type" content="website">' + extra_head
    return _page(heading, _prose(), head=head)


def test_a_home_page_that_declares_itself_a_website_is_rejected_even_with_a_date():
    # a publication time on a home page dates its latest update, not an article
    page = _website("Tidewater Ledger", '<meta property="article:published_time" content="2022-05-30T08:00:00Z">')
    result = _rejected(page, "https://www.tidewater-ledger.example/")
    assert "home page" in result.detail


def test_a_section_front_declared_a_website_is_rejected():
    result = _rejected(_website("International"), "https://www.tidewater-ledger.example/international/")
    assert "section front" in result.detail


def test_an_article_at_a_one_word_address_that_declares_itself_an_article_is_kept():
    page = _page("Ferry timetable changes", _prose(), head='<meta property="og:type" content="article">')
    result = extract(page, "https://www.tidewater-ledger.example/ferry", captured_at=CAPTURED)
    assert isinstance(result, Article)


@pytest.mark.parametrize("line", ["Supported by", "Illustration by Mara Quill", "Courtesy Tidewater Museum"])
def test_sponsor_labels_and_picture_credits_are_not_article_text(line):
    assert _text(f"<p>{line}</p>" + _prose()) == PROSE


def test_a_sentence_that_starts_with_courtesy_is_kept():
    line = "Courtesy calls to every household on the island began on Monday"
    assert _text(f"<p>{line}</p>" + _prose())[0] == line
